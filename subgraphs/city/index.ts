import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { cityModels } from './models';
import { resolvers } from './resolvers';

/**
 * The city's reference subgraph. The kelurahan are public reference data kept in the kit; its one
 * collection is the resident-access audit log, which the gateway appends to and auditors read.
 */
export const city = createSubgraph({
  name: 'city',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: cityModels,
  loaders: () => ({}),
});
