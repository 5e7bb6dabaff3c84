import type { Secrets } from '../../subgraphs/kit/agency';
import { loadDefinition } from '../../subgraphs/definitions';
import { saveSample } from '../../subgraphs/kit/seeding';

/**
 * A process of seedSamples (seedSamples.ts): writes the sample data of each agency it is sent, as `{ agency,
 * directory, secrets }`, into that directory (saveSample), and answers `{ agency, written }` (false for an agency
 * without sample data, which writes nothing) or `{ agency, error }`.
 */
process.on('message', (message: { agency: string; directory: string; secrets: Secrets }) => {
  const { agency, directory, secrets } = message;
  loadDefinition(agency)
    .then(async (definition) => {
      if (!definition.seed) return false;
      await saveSample(definition, directory, secrets);
      return true;
    })
    .then(
      (written) => process.send!({ agency, written }),
      (error: Error) => process.send!({ agency, error: error.stack ?? error.message }),
    );
});
