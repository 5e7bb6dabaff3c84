import { defineAgency } from '../kit/agency';
import { createEnvironmentLoaders } from './loaders';
import { createEnvironmentModels } from './models';
import { resolvers } from './resolvers';
import { seedEnvironment } from './seed';

/** The environment agency's subgraph (DLHKP): the Bank Sampah waste banks and the Smart Environment pillar. */
export const environment = defineAgency({
  name: 'environment',
  resolvers,
  models: createEnvironmentModels,
  loaders: createEnvironmentLoaders,
  seed: seedEnvironment,
});
