import { defineAgency } from '../kit/agency';
import { createBrandingLoaders } from './loaders';
import { createBrandingModels } from './models';
import { prodamas } from './pillar';
import { resolvers } from './resolvers';
import { seedBranding } from './seed';

/**
 * Bappeda's Prodamas Plus subgraph: RT budgets, proposals and their LPJs, residents' Prodamas roles, and
 * the Smart Branding pillar of the city's scorecard.
 */
export const branding = defineAgency({
  name: 'branding',
  resolvers,
  models: createBrandingModels,
  loaders: createBrandingLoaders,
  pillar: prodamas,
  seed: seedBranding,
});
