import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createEconomyLoaders } from './loaders';
import { createEconomyModels } from './models';
import { resolvers } from './resolvers';
import { seedEconomy } from './seed';

/**
 * The economy agency's subgraph (Dinas Koperasi dan UMTK): Program Kurnia loans and the Smart Economy
 * pillar of the city scorecard.
 */
export const economy = createSubgraph({
  name: 'economy',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createEconomyModels,
  loaders: createEconomyLoaders,
  seed: seedEconomy,
});
