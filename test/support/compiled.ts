import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../platform/paths';
import { compileEntries, entryCommand } from '../../scripts/bundles';
import { removeAbandonedFolders } from './abandoned';

/**
 * Vitest's global setup: the process entries compiled once per run (a second), so that the child processes tests
 * start (the store, subgraphs and gateway of the resilience tests, the store of the crash test, the sample's
 * writers) run as production runs them, each ready in half the time and on half the CPU of a start through tsx.
 *
 * The bundles go to a folder of the run's own inside the project (where they find its packages and files), which
 * the run removes at its end; the folder reaches the test processes through COMPILED_ENTRIES_ENV.
 */
export const COMPILED_ENTRIES_ENV = 'KEDIRI_TEST_COMPILED';

const ROOT = projectPath('.test-build');

/** The Node arguments that run an entry point in a test: its bundle of this run, or the source through tsx outside a run. */
export function testEntryCommand(entry: string): string[] {
  return entryCommand(entry, process.env[COMPILED_ENTRIES_ENV]);
}

export default async function compileForTests(): Promise<() => void> {
  // A run killed before its teardown leaves its folder behind.
  removeAbandonedFolders(ROOT);
  const outdir = mkdtempSync(join(ROOT, 'run-'));
  await compileEntries(outdir);
  process.env[COMPILED_ENTRIES_ENV] = outdir;
  return () => rmSync(outdir, { recursive: true, force: true });
}
