import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LOCK_FILE } from './files';

/** Directories this process has open: a second store in the same process must not open one either. */
const openHere = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Takes the data directory's lock file, so that two stores never open the same directory at once: the file is
 * created exclusively and holds the owner's pid. A lock left by a process that no longer exists (killed, crashed) is
 * stale and taken over; one held by a live process is refused with a message naming the directory and the pid.
 * Returns the function that releases the lock.
 */
export async function lockDirectory(directory: string): Promise<() => Promise<void>> {
  const resolved = path.resolve(directory);
  const file = path.join(resolved, LOCK_FILE);
  if (openHere.has(resolved)) {
    throw new Error(`data directory ${resolved} is already open in this process (pid ${process.pid}); one store per data directory`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      const holder = await holderOf(file);
      // The pid may be ours from an earlier life (a container restarts with the same pid): that lock is stale too.
      if (holder !== null && holder !== process.pid && alive(holder)) {
        throw new Error(
          `data directory ${resolved} is in use by another embedded store (pid ${holder}, see ${LOCK_FILE}); stop that store first or choose another data directory`,
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  openHere.add(resolved);
  return async () => {
    openHere.delete(resolved);
    await unlink(file).catch(() => undefined);
  };
}
