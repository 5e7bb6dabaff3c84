import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath, projectRoot } from '../platform/paths';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * The project's process entries compiled into JavaScript, one bundle per entry, with the npm packages left as
 * imports: what production, `npm start` and the tests' child processes run with plain Node, with no TypeScript
 * transpiler in the process (a subgraph is ready in half the time, and on half the CPU).
 */
export const ENTRIES = [
  'scripts/start.ts',
  'scripts/seed.ts',
  'scripts/figures.ts',
  'scripts/sample/worker.ts',
  'gateway/main.ts',
  'embedded-mongo/main.ts',
  ...SUBGRAPHS.map((entry) => `${entry.dir}/main.ts`),
];

/**
 * Compiles every entry into `outdir`, replacing what it held. The folder must lie inside the project, so that the
 * bundles find its installed packages and its own files (schemas, reference data) as the sources do.
 */
export async function compileEntries(outdir: string): Promise<void> {
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: projectRoot(),
    entryPoints: ENTRIES,
    outdir,
    outbase: '.',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    splitting: true,
    logLevel: 'warning',
  });
}

/**
 * The Node arguments that run a TypeScript entry point (`gateway/main.ts`): its bundle in `outdir` when there is
 * one, else the source through tsx.
 */
export function entryCommand(entry: string, outdir: string | undefined): string[] {
  const compiled = outdir === undefined ? undefined : join(outdir, entry.replace(/\.ts$/, '.js'));
  return compiled !== undefined && existsSync(compiled) ? [compiled] : ['--import', 'tsx', projectPath(entry)];
}
