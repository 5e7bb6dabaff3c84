import { readPlatformConfig } from '../platform/config';
import { loadDevelopmentEnv } from '../platform/env';
import { runMain } from '../platform/process';
import { loadDefinition } from '../subgraphs/definitions';
import { connectAgencyDatabase, ensureIndexes } from '../subgraphs/kit/database';
import { readModelModels, type ReadModelModels } from '../subgraphs/kit/readModel';
import { rebuildReadModel } from '../subgraphs/kit/seeding';
import { SUBGRAPHS } from '../subgraphs/registry';
import { openStoreForCommand } from './storeForCommand';

/**
 * `npm run figures -- --rebuild [agency ...]` rebuilds each agency's scorecard figures (its read model)
 * from its raw records; `npm run figures -- --check [agency ...]` compares the stored figures with a full
 * re-aggregation, figure by figure, and exits 1 naming every difference. Without agencies, all of them.
 */
const USAGE = 'usage: npm run figures -- --rebuild|--check [agency ...]';

runMain(async () => {
  loadDevelopmentEnv();
  const args = process.argv.slice(2);
  const mode = args.includes('--rebuild') ? 'rebuild' : args.includes('--check') ? 'check' : undefined;
  if (!mode) throw new Error(`Say what to do with the figures. ${USAGE}`);
  const names = args.filter((arg) => !arg.startsWith('-'));
  const withPillar = [];
  for (const name of names.length > 0 ? names : SUBGRAPHS.map((entry) => entry.name)) {
    const definition = await loadDefinition(name);
    if (definition.pillar) withPillar.push(definition);
    else if (names.includes(name)) throw new Error(`The ${name} subgraph reports on no pillar: it has no figures.`);
  }
  const config = readPlatformConfig();
  const store = await openStoreForCommand(config.mongoUri);
  let differences = 0;
  try {
    for (const definition of withPillar) {
      const connection = await connectAgencyDatabase(definition.name, store.uri);
      try {
        const models = { ...definition.models(connection), ...readModelModels(connection) } as Record<string, never> & ReadModelModels;
        await ensureIndexes(models);
        const started = Date.now();
        if (mode === 'rebuild') {
          const written = await rebuildReadModel(definition, models);
          console.log(`${definition.name}: rebuilt ${written} figure documents in ${Date.now() - started} ms`);
        } else {
          const found = await definition.pillar!.check(models);
          differences += found.length;
          for (const d of found) {
            console.log(`${definition.name}: ${d.year} ${d.place} ${d.figure}: stored ${JSON.stringify(d.stored)}, raw records give ${JSON.stringify(d.aggregated)}`);
          }
          console.log(`${definition.name}: ${found.length === 0 ? 'read model equals a full re-aggregation' : `${found.length} differences`} (${Date.now() - started} ms)`);
        }
      } finally {
        await connection.close();
      }
    }
  } finally {
    await store.close();
  }
  if (differences > 0) process.exitCode = 1;
});
