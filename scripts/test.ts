import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../platform/paths';

/**
 * `npm test`: type-checks the project and the dashboard while Vitest runs the suite, and fails when either
 * fails. The suite keeps both cores of a small machine busy only most of the time (its end-to-end tests wait
 * on the servers they start, and its global setup seeds in as many processes as there are agencies left); the
 * type checker, started first in the background, fills those gaps instead of holding the suite back by its
 * own twenty seconds. Arguments go to Vitest (`npm test -- subgraphs/tax`); its output is shown as it comes,
 * the type checker's at the end.
 */
const require = createRequire(import.meta.url);
/** Each tool's own command-line entry, as its package's `bin` names it. */
const bin = (name: string, path: string) => join(dirname(require.resolve(`${name}/package.json`)), path);
const tsc = bin('typescript', 'bin/tsc');
const vitest = bin('vitest', 'vitest.mjs');

interface Finished {
  code: number;
  output: string;
}

function run(args: string[], show: boolean): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot(), stdio: show ? 'inherit' : 'pipe' });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** Both projects, one after the other: one core for the type checker, the rest for the tests. */
async function typeCheck(): Promise<Finished> {
  const project = await run([tsc, '--noEmit'], false);
  if (project.code !== 0) return project;
  return run([tsc, '--noEmit', '-p', 'dashboard'], false);
}

const [types, tests] = await Promise.all([typeCheck(), run([vitest, 'run', ...process.argv.slice(2)], true)]);
if (types.code !== 0) process.stdout.write(`\nType check failed:\n${types.output}`);
else process.stdout.write('\nType check passed (project and dashboard).\n');
process.exit(types.code !== 0 ? types.code : tests.code);
