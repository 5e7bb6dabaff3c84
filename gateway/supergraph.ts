import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { SupergraphManager } from '@apollo/gateway';

/**
 * Serves the committed supergraph file and reloads it when it changes, so a newly composed schema goes
 * live without a restart. A file that cannot be read or is empty keeps the schema already served: a bad
 * deploy never takes the graph down. (The gateway itself rejects an SDL it cannot build, keeping the old one.)
 */
export function supergraphFromFile(
  path: string,
  log: (line: string) => void,
  onLoaded: () => void = () => {},
): SupergraphManager {
  return {
    async initialize({ update }) {
      const sdl = await readFile(path, 'utf8');
      if (!sdl.trim()) throw new Error(`The supergraph file ${path} is empty: run \`npm run compose\`.`);
      let last = sdl;
      let timer: NodeJS.Timeout | undefined;
      const reload = async () => {
        try {
          const next = await readFile(path, 'utf8');
          if (!next.trim() || next === last) return;
          update(next);
          last = next;
          onLoaded();
          log('supergraph reloaded from file');
        } catch (error) {
          log(`supergraph reload failed, keeping the current schema: ${(error as Error).message}`);
        }
      };
      // Editors and `npm run compose` write in several steps; wait for the writes to settle.
      const watcher: FSWatcher = watch(path, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), 100);
      });
      onLoaded();
      return {
        supergraphSdl: sdl,
        async cleanup() {
          clearTimeout(timer);
          watcher.close();
        },
      };
    },
  };
}
