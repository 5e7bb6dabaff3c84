import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes the folders under `root` (creating it if need be) left an hour ago or more, except `keep`: what earlier
 * runs wrote there (a sample of older sources, a killed run's bundles) that no run can still be reading.
 */
export function removeAbandonedFolders(root: string, keep?: string): void {
  mkdirSync(root, { recursive: true });
  for (const name of readdirSync(root)) {
    const folder = join(root, name);
    if (folder !== keep && Date.now() - statSync(folder).mtimeMs > 3_600_000) rmSync(folder, { recursive: true, force: true });
  }
}
