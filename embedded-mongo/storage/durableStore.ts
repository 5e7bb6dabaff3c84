import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BSON } from 'bson';
import type { ChangeLog } from '../engine/changes';
import type { MemoryEngine } from '../engine/engine';
import { mongoError } from '../engine/errors';
import type { Document } from '../engine/types';
import { CorruptFileError, scanRecords } from './framing';
import { journalFile, listDirectory, removeSuperseded, snapshotFile, syncDirectory } from './files';
import { Journal } from './journal';
import { lockDirectory } from './lock';
import { decodeChanges, encodeChanges } from './records';
import { loadSnapshot, writeSnapshot, type SnapshotSummary } from './snapshot';

/** Compaction starts when the current journal passes this size, unless told otherwise. */
export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

export interface DurabilityOptions {
  /** Journal size, in bytes, past which a snapshot is written and a new journal started. */
  compactAfterBytes?: number;
  log: (line: string) => void;
}

/** What start-up found and did, for the log line and the tests. */
export interface Recovery {
  snapshot: string | null;
  documents: number;
  journalRecords: number;
  /** A record cut short by a crash at the end of the last journal, dropped (never applied). */
  tornTail: string | null;
  milliseconds: number;
}

/**
 * A data directory kept in step with the engine: every change is journaled (and synced) before its reply goes out,
 * and the journal is compacted into a snapshot when it grows past a threshold and at clean shutdown.
 */
export interface DurableStore {
  readonly directory: string;
  readonly recovery: Recovery;
  /**
   * Journals the engine's changes since the last call; settles when everything journaled so far is on disk.
   * `encodings` are inserted documents' bytes as the client sent them, written instead of serialising them again.
   */
  persist(encodings?: ReadonlyMap<Document, Uint8Array>): Promise<void>;
  /**
   * Writes a snapshot holding at least the state as of this call (after waiting for one already running) and starts
   * a new journal; settles when the snapshot is in place.
   */
  compact(): Promise<SnapshotSummary | null>;
  /** The latest snapshot this store wrote, if any. */
  readonly lastSnapshot: SnapshotSummary | null;
  /** Journals what is left, writes the shutdown snapshot, and releases the directory. */
  close(): Promise<void>;
}

/**
 * Opens a data directory into an empty engine: takes the lock, loads the newest snapshot, replays the journals from
 * its number on (dropping a torn record at the very end), and from then on journals every change.
 */
export async function openDurableStore(directory: string, engine: MemoryEngine, options: DurabilityOptions): Promise<DurableStore> {
  const resolved = path.resolve(directory);
  await mkdir(resolved, { recursive: true });
  const release = await lockDirectory(resolved);
  try {
    const { recovery, journal } = await recover(resolved, engine, options.log);
    return new DirectoryStore(resolved, engine, journal, recovery, options, release);
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Loads a data directory that was closed cleanly (its shutdown snapshot holds everything) into an engine, without
 * taking it over: no lock, nothing written, so many stores may load one directory at once. The test suite seeds
 * the sample data once into such directories and starts each test's in-memory store from them. A directory with
 * journal records after its newest snapshot is open or was not closed: it is refused rather than half read.
 */
export async function loadClosedDirectory(directory: string, engine: MemoryEngine): Promise<{ documents: number }> {
  const resolved = path.resolve(directory);
  const listing = await listDirectory(resolved);
  const snapshot = listing.snapshots.at(-1);
  if (snapshot === undefined) throw new Error(`data directory ${resolved} has no snapshot to load: expected a store closed cleanly there`);
  for (const number of listing.journals.filter((journal) => journal >= snapshot)) {
    if (await journalHoldsChanges(resolved, number)) {
      throw new Error(`data directory ${resolved} holds changes after its snapshot (${journalFile(number)}): it is in use or was not closed cleanly`);
    }
  }
  return loadSnapshot(path.join(resolved, snapshotFile(snapshot)), snapshot, engine);
}

/** Whether a data directory holds any data: a snapshot, or a journal with a change after its header. */
export async function holdsData(directory: string): Promise<boolean> {
  const resolved = path.resolve(directory);
  const listing = await listDirectory(resolved).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (listing === null) return false;
  if (listing.snapshots.length > 0) return true;
  for (const number of listing.journals) if (await journalHoldsChanges(resolved, number)) return true;
  return false;
}

/** Whether a journal holds any change: its first record is its header, and any other is a change. */
async function journalHoldsChanges(directory: string, number: number): Promise<boolean> {
  const file = path.join(directory, journalFile(number));
  return scanRecords(await readFile(file), file).records.length > 1;
}

async function recover(directory: string, engine: MemoryEngine, log: (line: string) => void): Promise<{ recovery: Recovery; journal: Journal }> {
  const started = performance.now();
  const listing = await listDirectory(directory);
  const snapshot = listing.snapshots.at(-1) ?? null;
  let documents = 0;
  if (snapshot !== null) documents = (await loadSnapshot(path.join(directory, snapshotFile(snapshot)), snapshot, engine)).documents;
  const journals = listing.journals.filter((number) => snapshot === null || number >= snapshot);
  // Journals continue one another with no gap, from the snapshot's number on (from 1 when there is no snapshot).
  const first = snapshot ?? 1;
  journals.forEach((number, i) => {
    if (number !== first + i) {
      throw new Error(`data directory ${directory}: ${journalFile(first + i)} is missing (found ${journals.map(journalFile).join(', ')}); the journals must follow one another`);
    }
  });
  let journalRecords = 0;
  let tornTail: string | null = null;
  let lastSize: number | null = null;
  let lastRecords = 0;
  for (const [i, number] of journals.entries()) {
    const file = path.join(directory, journalFile(number));
    const last = i === journals.length - 1;
    const bytes = await readFile(file);
    const scanned = scanRecords(bytes, file);
    if (scanned.tornTail) {
      // Only the last journal can end in a torn record: an older one was complete before the next was started.
      if (!last) throw new CorruptFileError(file, scanned.validLength, `${scanned.tornTail}, in a journal that a newer one follows`);
      tornTail = `${path.basename(file)} at byte ${scanned.validLength}: ${scanned.tornTail}`;
      log(`dropped a torn record at the end of ${file} (byte ${scanned.validLength}: ${scanned.tornTail}); it was never acknowledged`);
      await truncate(file, scanned.validLength);
    }
    for (const [position, { offset, payload }] of scanned.records.entries()) {
      if (position === 0) {
        const header = BSON.deserialize(payload);
        if (header.journal !== 'embedded-mongo' || Number(header.number) !== number) {
          throw new CorruptFileError(file, offset, `expected the header of journal ${number}, found ${JSON.stringify(header)}`);
        }
        continue;
      }
      try {
        engine.replay(decodeChanges(payload));
      } catch (error) {
        throw new CorruptFileError(file, offset, `the record cannot be replayed (${(error as Error).message})`);
      }
      journalRecords++;
      // A long journal takes a while to replay; let timers and other work in the process run between records.
      if (journalRecords % 4 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (last) {
      lastSize = scanned.validLength;
      lastRecords = Math.max(0, scanned.records.length - 1);
    }
  }
  await removeSuperseded(directory, first);
  const current = journals.at(-1) ?? first;
  const journal = new Journal(directory, current, journals.length > 0 ? lastSize : null, lastRecords, log);
  const recovery: Recovery = {
    snapshot: snapshot === null ? null : snapshotFile(snapshot),
    documents: documents,
    journalRecords,
    tornTail,
    milliseconds: performance.now() - started,
  };
  return { recovery, journal };
}

async function truncate(file: string, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

class DirectoryStore implements DurableStore {
  private readonly changes: ChangeLog;
  private compacting: Promise<SnapshotSummary | null> | null = null;
  private readonly compactAfterBytes: number;
  lastSnapshot: SnapshotSummary | null = null;

  constructor(
    readonly directory: string,
    private readonly engine: MemoryEngine,
    private readonly journal: Journal,
    readonly recovery: Recovery,
    private readonly options: DurabilityOptions,
    private readonly release: () => Promise<void>,
  ) {
    this.changes = engine.captureChanges();
    this.compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  }

  persist(encodings?: ReadonlyMap<Document, Uint8Array>): Promise<void> {
    const failure = this.journal.failed;
    if (failure) return Promise.reject(mongoError('InternalError', failure.message));
    this.journalChanges(encodings);
    if (this.journal.size >= this.compactAfterBytes && !this.compacting) {
      this.compact().catch((error: Error) => this.options.log(`compaction of ${this.directory} failed: ${error.message}`));
    }
    return this.journal.whenDurable().catch((error: Error) => {
      throw mongoError('InternalError', error.message);
    });
  }

  /** Moves the changes the engine has made into one journal record. */
  private journalChanges(encodings?: ReadonlyMap<Document, Uint8Array>): void {
    if (this.changes.empty) return;
    this.journal.append(encodeChanges(this.changes.take(), encodings));
  }

  compact(): Promise<SnapshotSummary | null> {
    // A compaction already running holds the state as of its start; the caller asks for the state as of now, so it
    // waits for that one and then compacts what came after it, if anything did.
    if (this.compacting) return this.compacting.catch(() => null).then(() => this.compacting ?? this.compactAgain());
    return this.compactNow();
  }

  private compactAgain(): Promise<SnapshotSummary | null> {
    if (this.changes.empty && this.journal.recordsSinceRotation === 0 && this.lastSnapshot) return Promise.resolve(this.lastSnapshot);
    return this.compactNow();
  }

  private compactNow(): Promise<SnapshotSummary | null> {
    const run = async () => {
      // Everything applied so far goes into the old journal; the snapshot holds exactly that state.
      this.journalChanges();
      const state = this.engine.captureState();
      const number = this.journal.rotate();
      const summary = await writeSnapshot(this.directory, number, state);
      await this.journal.settle();
      await removeSuperseded(this.directory, number);
      this.lastSnapshot = summary;
      return summary;
    };
    this.compacting = run().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  async close(): Promise<void> {
    try {
      if (this.compacting) await this.compacting.catch(() => undefined);
      this.journalChanges();
      if (!this.journal.failed && this.journal.recordsSinceRotation > 0) await this.compact();
      await this.journal.close();
      await syncDirectory(this.directory);
    } finally {
      await this.release();
    }
  }
}
