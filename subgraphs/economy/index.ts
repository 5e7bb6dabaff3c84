import { defineAgency } from '../kit/agency';
import { createEconomyLoaders } from './loaders';
import { createEconomyModels } from './models';
import { smartEconomy } from './pillar';
import { resolvers } from './resolvers';
import { seedEconomy } from './seed';

/**
 * The economy agency's subgraph (Dinas Koperasi dan UMTK): Program Kurnia applications, loans and
 * repayments, and the Smart Economy pillar of the city's scorecard.
 */
export const economy = defineAgency({
  name: 'economy',
  resolvers,
  models: createEconomyModels,
  loaders: createEconomyLoaders,
  pillar: smartEconomy,
  seed: seedEconomy,
});
