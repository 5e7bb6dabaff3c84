import { defineSubgraph, loadTypeDefs } from '../kit/subgraph';
import { resolvers } from './resolvers';

/**
 * The city's reference subgraph. It holds no personal data: the kelurahan are public reference data
 * kept in the kit, so it needs no models of its own yet.
 */
export const city = defineSubgraph({
  name: 'city',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: () => ({}),
  loaders: () => ({}),
});
