import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEntryCommand } from '../../test/support/compiled';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The store's CLI running as a child process, as `npm run store` runs it. */
export interface ChildStore {
  uri: string;
  process: ChildProcess;
  /** Everything the child wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** Settles with the exit code (or signal) once the child has exited. */
  exited: Promise<number | string>;
}

/**
 * Starts the store's command (`embedded-mongo/main.ts`, compiled for the run) with the given flags and resolves once it
 * prints the line with its URI, which it does only when it is listening (and has loaded its data directory):
 * readiness is that line, not a delay. Rejects with the child's output if it exits first.
 */
export function startChildStore(flags: string[]): Promise<ChildStore> {
  const child = spawn(process.execPath, [...testEntryCommand('embedded-mongo/main.ts'), ...flags], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (mongodb:\/\/\S+)/.exec(output);
      if (match) {
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (more: Buffer) => (output += more.toString()));
        resolve({ uri: match[1], process: child, output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`the store exited (${code}) before it was ready:\n${output}`)));
  });
}

/** A small seeded pseudo-random generator (mulberry32), so that a failing run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
