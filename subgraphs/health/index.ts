import { defineAgency } from '../kit/agency';
import { createHealthLoaders } from './loaders';
import { createHealthModels } from './models';
import { living } from './pillar';
import { resolvers } from './resolvers';
import { seedHealth } from './seed';

/**
 * The health agency's subgraph (Dinas Kesehatan with RSUD Gambiran): Homecare requests, patients, visits and
 * referrals, and the Smart Living pillar of the city's scorecard.
 */
export const health = defineAgency({
  name: 'health',
  resolvers,
  models: createHealthModels,
  loaders: createHealthLoaders,
  pillar: living,
  seed: seedHealth,
});
