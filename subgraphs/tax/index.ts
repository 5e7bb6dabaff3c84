import { defineAgency } from '../kit/agency';
import { createTaxLoaders } from './loaders';
import { createTaxModels } from './models';
import { governance } from './pillar';
import { resolvers } from './resolvers';
import { seedTax } from './seed';

/**
 * The tax agency's subgraph (BPPKAD, e-SPTPD): taxpayers, tax objects, monthly tax reports and payments,
 * and the Smart Governance pillar of the city's scorecard.
 */
export const tax = defineAgency({
  name: 'tax',
  resolvers,
  models: createTaxModels,
  loaders: createTaxLoaders,
  pillar: governance,
  seed: seedTax,
});
