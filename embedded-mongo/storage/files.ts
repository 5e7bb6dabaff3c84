import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * The files of a data directory. Numbers tie them together: `snapshot-N.bson` holds the whole state as it was when
 * `journal-N.log` was started, and journals N, N+1, ... hold every change after it, in order. Start-up loads the
 * newest snapshot and replays the journals from its number on; files older than the newest snapshot are leftovers.
 */
export const LOCK_FILE = 'embedded-mongo.lock';

const pad = (number: number) => String(number).padStart(6, '0');

export const journalFile = (number: number) => `journal-${pad(number)}.log`;
export const snapshotFile = (number: number) => `snapshot-${pad(number)}.bson`;

export interface DirectoryListing {
  journals: number[];
  snapshots: number[];
  /** Snapshots a crash interrupted before they were complete: never read, always removed. */
  temporary: string[];
}

export async function listDirectory(directory: string): Promise<DirectoryListing> {
  const listing: DirectoryListing = { journals: [], snapshots: [], temporary: [] };
  for (const name of await readdir(directory)) {
    const journal = /^journal-(\d+)\.log$/.exec(name);
    const snapshot = /^snapshot-(\d+)\.bson$/.exec(name);
    if (journal) listing.journals.push(Number(journal[1]));
    else if (snapshot) listing.snapshots.push(Number(snapshot[1]));
    else if (name.endsWith('.tmp')) listing.temporary.push(name);
  }
  listing.journals.sort((a, b) => a - b);
  listing.snapshots.sort((a, b) => a - b);
  return listing;
}

/**
 * Makes the directory's entries durable: after a file is created, renamed or removed, the change to the directory
 * itself survives a crash only once the directory is synced.
 */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all of `bytes` at `position` (a write may be partial, so it loops). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}

/** Removes the journals and snapshots numbered below `number`, which the snapshot `number` supersedes. */
export async function removeSuperseded(directory: string, number: number): Promise<void> {
  const listing = await listDirectory(directory);
  const names = [
    ...listing.journals.filter((n) => n < number).map(journalFile),
    ...listing.snapshots.filter((n) => n < number).map(snapshotFile),
    ...listing.temporary,
  ];
  for (const name of names) await unlink(path.join(directory, name)).catch(() => undefined);
  if (names.length > 0) await syncDirectory(directory);
}
