import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { projectPath } from '../../platform/paths';
import { loadDefinition } from '../../subgraphs/definitions';
import { SAMPLE_DATA_ENV, sampleDataDirectory, TEST_SECRETS } from '../../subgraphs/kit/testing';
import { SampleWorkers } from '../../scripts/sample/workers';
import { removeAbandonedFolders } from './abandoned';
import { testEntryCommand } from './compiled';
import { SUBGRAPHS } from '../../subgraphs/registry';

/**
 * Vitest's global setup: each agency's sample data is seeded once, into a data directory closed cleanly of its
 * own (scripts/sample), so that its snapshot holds it all. Every test that asks for sample data then
 * starts its own in-memory store loaded from those directories (well under a second) instead of seeding
 * again (seconds per agency): the sample is shared read-only, and what a test writes stays in its own store.
 *
 * The directories are kept under node_modules/.cache, named by a hash of everything that decides their
 * content (the subgraphs' and the store's code, the installed packages, the day): a second run of the suite
 * reuses them, and any change to a seed, a model or the store's files seeds afresh. They reach the test
 * processes through SAMPLE_DATA_ENV. A run started from inside another (a test that runs the suite of a
 * scaffolded copy) reuses the outer run's agencies and seeds only the ones it alone has.
 */
const CACHE = projectPath('node_modules', '.cache', 'kediri-test-sample');

export default async function seedSampleDataOnce(): Promise<void> {
  const root = join(CACHE, sampleKey());
  const started = Date.now();
  const missing: string[] = [];
  for (const entry of SUBGRAPHS) {
    const definition = await loadDefinition(entry.name);
    if (definition.seed && !sampleDataDirectory(entry.name) && !existsSync(join(root, entry.name))) missing.push(entry.name);
  }
  const workers = new SampleWorkers(testEntryCommand('scripts/sample/worker.ts'));
  try {
    await workers.write({ agencies: missing, root, secrets: TEST_SECRETS, figures: true });
  } finally {
    workers.close();
  }
  // A run inside another shares the outer run's cache, whose sample it must leave alone.
  if (!process.env[SAMPLE_DATA_ENV]) removeAbandonedFolders(CACHE, root);
  process.env[SAMPLE_DATA_ENV] = [process.env[SAMPLE_DATA_ENV], root].filter(Boolean).join(delimiter);
  if (missing.length > 0) {
    process.stdout.write(`Seeded the sample data of ${missing.join(', ')} for the tests in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  }
}

/** A hash of the sources the sample depends on, the lockfile and today's date (UTC). */
function sampleKey(): string {
  const hash = createHash('sha256').update(new Date().toISOString().slice(0, 10));
  const lockfile = projectPath('package-lock.json');
  if (existsSync(lockfile)) hash.update(readFileSync(lockfile));
  for (const folder of ['subgraphs', 'embedded-mongo', 'platform', 'scripts/sample']) {
    for (const file of sourceFiles(projectPath(folder))) hash.update(relative(projectPath(), file)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|csv|json|graphql)$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !/(^|\/)(\.[^/]+|node_modules)\//.test(relative(folder, file)))
    .sort();
}

