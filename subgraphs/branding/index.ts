import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createBrandingLoaders } from './loaders';
import { createBrandingModels } from './models';
import { resolvers } from './resolvers';
import { seedBranding } from './seed';

/** Bappeda's Prodamas Plus subgraph: the Smart Branding pillar of the city graph. */
export const branding = createSubgraph({
  name: 'branding',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createBrandingModels,
  loaders: createBrandingLoaders,
  seed: seedBranding,
});
