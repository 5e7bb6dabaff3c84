import { defineAgency } from '../kit/agency';
import { createEconomyLoaders } from './loaders';
import { createEconomyModels } from './models';
import { resolvers } from './resolvers';
import { seedEconomy } from './seed';

/**
 * The economy agency's subgraph (Dinas Koperasi dan UMTK): Program Kurnia loans and the Smart Economy
 * pillar of the city scorecard.
 */
export const economy = defineAgency({
  name: 'economy',
  resolvers,
  models: createEconomyModels,
  loaders: createEconomyLoaders,
  seed: seedEconomy,
});
