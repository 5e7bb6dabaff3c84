import { createSubgraph, loadTypeDefs } from '../kit/subgraph';
import { createEducationLoaders } from './loaders';
import { createEducationModels } from './models';
import { resolvers } from './resolvers';
import { seedEducation } from './seed';

/**
 * The education agency's subgraph (Dinas Pendidikan): English Massive, the Smart Society pillar's quick win.
 * It contributes EMAS spots to each Kelurahan, the `society` pillar to the scorecards, and a resident's EMAS
 * enrolments to Resident.
 */
export const education = createSubgraph({
  name: 'education',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers,
  models: createEducationModels,
  loaders: createEducationLoaders,
  seed: seedEducation,
});
