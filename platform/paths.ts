import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder: the nearest folder above this module that holds package.json. Found by
 * walking up rather than by a fixed number of `../`, so the answer is the same whether this code runs from
 * its TypeScript source or from a compiled bundle in dist/.
 */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let folder = dirname(from);
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`No package.json above ${from}: cannot tell where the project starts.`);
    folder = parent;
  }
  return folder;
}

/** A path inside the project, e.g. `projectPath('schema', 'supergraph.graphql')`. */
export function projectPath(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}
