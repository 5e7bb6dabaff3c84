import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './composition';

/** A file's name as messages print it: relative to the project root when inside it (schema/...), else absolute. */
export function displayPath(file: URL | string): string {
  const absolute = file instanceof URL ? fileURLToPath(file) : file;
  const fromRoot = relative(fileURLToPath(ROOT), absolute);
  return fromRoot.startsWith('..') || isAbsolute(fromRoot) ? absolute : fromRoot;
}
