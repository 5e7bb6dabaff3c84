import { startEmbeddedMongo } from '../../embedded-mongo';
import { loadDefinition } from '../../subgraphs/definitions';
import { seedDatabase } from '../../subgraphs/kit/seeding';
import { TEST_SECRETS } from '../../subgraphs/kit/testing';

/**
 * A child of the test run's global setup (sampleData.ts): seeds each agency it is sent, as `{ agency,
 * directory }`, into a store of its own on that data directory, closes the store cleanly so that its
 * snapshot holds everything, and answers `{ agency }` or `{ agency, error }`. Two of these seed at once.
 */
process.on('message', (message: { agency: string; directory: string }) => {
  seed(message.agency, message.directory).then(
    () => process.send!({ agency: message.agency }),
    (error: Error) => process.send!({ agency: message.agency, error: error.stack ?? error.message }),
  );
});

async function seed(agency: string, directory: string): Promise<void> {
  const definition = await loadDefinition(agency);
  const store = await startEmbeddedMongo({ port: 0, dataDir: directory, log: () => {} });
  try {
    await seedDatabase(definition, store.uri, TEST_SECRETS);
  } finally {
    await store.stop();
  }
}
