import { readPlatformConfig } from '../platform/config';
import { loadDevelopmentEnv } from '../platform/env';
import { runMain } from '../platform/process';
import { loadDefinition } from '../subgraphs/definitions';
import { seedDatabase } from '../subgraphs/kit/seeding';
import { SUBGRAPHS } from '../subgraphs/registry';
import { openStoreForCommand } from './storeForCommand';

/**
 * `npm run seed [agency ...]`: writes the sample data into each named agency's database (all of them when
 * none is named) where that database is empty, and builds its read model. It is the only way sample data
 * reaches a database that is not the embedded store of `npm start`: production never seeds by itself.
 */
runMain(async () => {
  loadDevelopmentEnv();
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const targets = names.length > 0 ? names : SUBGRAPHS.map((entry) => entry.name);
  const config = readPlatformConfig();
  const store = await openStoreForCommand(config.mongoUri);
  try {
    for (const name of targets) {
      const definition = await loadDefinition(name);
      const started = Date.now();
      const { written } = await seedDatabase(definition, store.uri, { residentIdSecret: config.residentIdSecret });
      const what = written ? Object.entries(written).map(([kind, n]) => `${n} ${kind}`).join(', ') : 'not empty, left as it is';
      console.log(`${name}: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await store.close();
  }
});
