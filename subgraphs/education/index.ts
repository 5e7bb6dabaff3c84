import { defineAgency } from '../kit/agency';
import { createEducationLoaders } from './loaders';
import { createEducationModels } from './models';
import { society } from './pillar';
import { resolvers } from './resolvers';
import { seedEducation } from './seed';

/**
 * The education agency's subgraph (Dinas Pendidikan): English Massive, the Smart Society pillar's quick win.
 * It contributes EMAS spots to each Kelurahan, the `society` pillar to the scorecards, and a resident's EMAS
 * enrolments to Resident.
 */
export const education = defineAgency({
  name: 'education',
  resolvers,
  models: createEducationModels,
  loaders: createEducationLoaders,
  pillar: society,
  seed: seedEducation,
});
