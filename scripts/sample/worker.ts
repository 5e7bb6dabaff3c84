import type { Secrets } from '../../subgraphs/kit/agency';
import { loadDefinition } from '../../subgraphs/definitions';
import { saveSample } from '../../subgraphs/kit/seeding';

/**
 * A process of seedSamples (seedSamples.ts): writes the sample data of each agency it is sent, as `{ agency,
 * directory, secrets }`, into that directory (saveSample), and answers `{ agency }` or `{ agency, error }`.
 */
process.on('message', (message: { agency: string; directory: string; secrets: Secrets }) => {
  loadDefinition(message.agency)
    .then((definition) => saveSample(definition, message.directory, message.secrets))
    .then(
      () => process.send!({ agency: message.agency }),
      (error: Error) => process.send!({ agency: message.agency, error: error.stack ?? error.message }),
    );
});
