import { defineAgency } from '../kit/agency';
import { createBrandingLoaders } from './loaders';
import { createBrandingModels } from './models';
import { resolvers } from './resolvers';
import { seedBranding } from './seed';

/** Bappeda's Prodamas Plus subgraph: the Smart Branding pillar of the city graph. */
export const branding = defineAgency({
  name: 'branding',
  resolvers,
  models: createBrandingModels,
  loaders: createBrandingLoaders,
  seed: seedBranding,
});
