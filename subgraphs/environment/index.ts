import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createEnvironmentLoaders } from './loaders';
import { createEnvironmentModels } from './models';
import { resolvers } from './resolvers';
import { seedEnvironment } from './seed';

/** The environment agency's subgraph (DLHKP): the Bank Sampah waste banks and the Smart Environment pillar. */
export const environment = createSubgraph({
  name: 'environment',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createEnvironmentModels,
  loaders: createEnvironmentLoaders,
  seed: seedEnvironment,
});
