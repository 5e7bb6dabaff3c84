import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createHealthLoaders } from './loaders';
import { createHealthModels } from './models';
import { resolvers } from './resolvers';
import { seedHealth } from './seed';

/**
 * The health agency's subgraph (Dinas Kesehatan with RSUD Gambiran): Homecare requests, patients, visits and
 * referrals, and the Smart Living pillar of the scorecard.
 */
export const health = createSubgraph({
  name: 'health',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createHealthModels,
  loaders: createHealthLoaders,
  seed: seedHealth,
});
