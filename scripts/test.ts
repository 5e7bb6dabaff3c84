import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../platform/paths';

/**
 * `npm test`: type-checks the project and the dashboard while Vitest runs the suite, and fails when either
 * fails. The suite keeps both cores of a small machine busy only most of the time (its end-to-end tests wait
 * on the servers they start, and its global setup seeds in one process per core); the
 * type checker, started first in the background, fills those gaps instead of holding the suite back by its
 * own twenty seconds. Arguments go to Vitest (`npm test -- subgraphs/tax`); its output is shown as it comes,
 * the type checker's at the end.
 */

/** Vitest's own command-line entry, as its package's `bin` names it. */
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

interface Finished {
  code: number;
  output: string;
}

function run(command: string, args: string[], show: boolean): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot(), stdio: show ? 'inherit' : 'pipe' });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** `npm run typecheck`, the one place that says which projects are checked. */
const typeCheck = () => run('npm', ['run', '--silent', 'typecheck'], false);

const [types, tests] = await Promise.all([typeCheck(), run(process.execPath, [vitest, 'run', ...process.argv.slice(2)], true)]);
if (types.code !== 0) process.stdout.write(`\nType check failed:\n${types.output}`);
else process.stdout.write('\nType check passed (project and dashboard).\n');
process.exit(types.code !== 0 ? types.code : tests.code);
