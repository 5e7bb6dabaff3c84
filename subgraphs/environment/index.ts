import { defineAgency } from '../kit/agency';
import { createEnvironmentLoaders } from './loaders';
import { createEnvironmentModels } from './models';
import { environmentPillar } from './pillar';
import { resolvers } from './resolvers';
import { seedEnvironment } from './seed';

/**
 * The environment agency's subgraph (DLHKP): the Bank Sampah waste banks, their members' savings, and the
 * Smart Environment pillar of the city's scorecard.
 */
export const environment = defineAgency({
  name: 'environment',
  resolvers,
  models: createEnvironmentModels,
  loaders: createEnvironmentLoaders,
  pillar: environmentPillar,
  seed: seedEnvironment,
});
