import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** Makes temporary directories for one test file, and removes them all after its last test. */
export function temporaryDirectories(prefix: string): () => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const directory of made.splice(0)) await rm(directory, { recursive: true, force: true });
  });
  return async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
    made.push(directory);
    return directory;
  };
}
