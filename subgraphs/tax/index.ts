import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createTaxLoaders } from './loaders';
import { createTaxModels } from './models';
import { resolvers } from './resolvers';
import { seedTax } from './seed';

/**
 * The tax agency's subgraph (BPPKAD, e-SPTPD): taxpayers, tax objects, monthly tax reports and payments,
 * and the Smart Governance pillar of the city's scorecard.
 */
export const tax = createSubgraph({
  name: 'tax',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createTaxModels,
  loaders: createTaxLoaders,
  seed: seedTax,
});
