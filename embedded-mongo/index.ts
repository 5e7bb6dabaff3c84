import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BSON, ObjectId } from 'bson';
import { createEngine, type Document, type MemoryEngine } from './engine/index';
import { EmbeddedServer } from './server/server';
import { holdsData, loadClosedDirectory, openDurableStore, type DurableStore, type Recovery } from './storage/durableStore';
import { listDirectory, snapshotFile } from './storage/files';
import { writeSnapshot, type SnapshotSummary } from './storage/snapshot';

export { REPLICA_SET_NAME } from './commands/handshake';
export { holdsData } from './storage/durableStore';
export type { Recovery } from './storage/durableStore';
export type { SnapshotSummary } from './storage/snapshot';

export interface EmbeddedMongoOptions {
  /** TCP port; 0 picks a free one. Defaults to 27017. */
  port?: number;
  /** Interface to listen on. Defaults to 127.0.0.1: the store has no authentication and must not face a network. */
  host?: string;
  /**
   * A directory to keep the data in (created if missing): it is loaded at start, and every acknowledged write is
   * journaled there before its reply. Without it the store keeps its data in memory only.
   */
  dataDir?: string;
  /**
   * Data directories of stores that were closed cleanly, loaded at start and never written to (each must hold other
   * databases than the rest). Without `dataDir`, several in-memory stores can start from one seeded sample this way.
   * With `dataDir`, which must then hold no data yet, they are imported into it: its first snapshot holds them.
   * Given as a promise (of directories still being written), the store listens at once and holds every command but
   * the handshake until they are loaded (see `opened`), so that its clients start meanwhile.
   */
  loadFrom?: string[] | Promise<string[]>;
  /** With `dataDir`: the journal size, in bytes, past which a snapshot is written. Defaults to 64 MiB. */
  compactAfterBytes?: number;
  /** How long an unused cursor lives before it is freed. Defaults to mongod's 10 minutes. */
  cursorIdleTimeoutMs?: number;
  /** How long a transaction may live before it is aborted. Defaults to mongod's 60 seconds. */
  transactionLifetimeMs?: number;
  /** Where protocol violations, internal errors and recovery notes are reported. Defaults to stderr. */
  log?: (line: string) => void;
}

export interface EmbeddedMongo {
  /** A connection string for the driver or mongoose, e.g. `mongodb://127.0.0.1:27017/`. */
  uri: string;
  port: number;
  /** The data directory, when the store keeps one. */
  dataDir?: string;
  /** What start-up loaded from the data directory. */
  recovery?: Recovery;
  /**
   * Settles when the data is loaded: at once, unless `loadFrom` was a promise. Rejects when loading fails, and then
   * every command but the handshake fails too.
   */
  opened: Promise<void>;
  /** Writes a snapshot of the data directory now (null without one); compaction otherwise runs by itself. */
  compact(): Promise<SnapshotSummary | null>;
  /**
   * Bulk-loads documents into a collection without a client's round trip, for the process that owns an in-memory
   * store (the sample data): each is encoded as the driver would send it (`_id` generated when missing, `undefined`
   * as null) and kept as BSON until first read; indexes are checked as an ordered insert checks them (a duplicate
   * key fails the load, keeping the documents before it) and the non-unique ones are built when first used. A store
   * kept in a data directory refuses it, since what it loads would not be journaled: load into memory, then `saveTo`.
   */
  load(db: string, collection: string, documents: readonly Document[]): number;
  /**
   * Writes everything the store holds as a data directory closed cleanly (a new or empty directory), which another
   * store can start from (`loadFrom`).
   */
  saveTo(directory: string): Promise<SnapshotSummary>;
  /** Closes the server and every connection, then (with a data directory) writes the shutdown snapshot and unlocks it. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded MongoDB-compatible store in this process: in memory, or kept in `dataDir`. It presents itself
 * as a single-node replica set (`rs0`), so sessions, retryable writes and transactions work as against mongod.
 * Used by the launcher when no MONGODB_URI is configured, and by tests (with port 0).
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => process.stderr.write(`[embedded-mongo] ${line}\n`));
  const engine = createEngine();
  let durable: DurableStore | undefined;
  const open = async (directories: readonly string[]) => {
    const importing = options.dataDir !== undefined && directories.length > 0;
    if (importing && (await holdsData(options.dataDir as string))) {
      throw new Error(`Expected an empty data directory to import ${directories.join(', ')} into; ${options.dataDir} already holds data.`);
    }
    for (const directory of directories) {
      if (options.dataDir === undefined) engine.copyDatabasesOf(await loadedOnce(directory));
      else await loadClosedDirectory(directory, engine);
    }
    if (options.dataDir !== undefined) {
      durable = await openDurableStore(options.dataDir, engine, { compactAfterBytes: options.compactAfterBytes, log });
      // What was imported is in no journal: the directory's first snapshot holds it before anything else is written.
      if (importing) await durable.compact();
    }
  };
  const later = options.loadFrom instanceof Promise ? options.loadFrom : undefined;
  if (!later) await open((options.loadFrom as string[] | undefined) ?? []);
  const server = new EmbeddedServer({
    engine,
    cursorIdleTimeoutMs: options.cursorIdleTimeoutMs,
    transactionLifetimeMs: options.transactionLifetimeMs,
    log,
    persist: options.dataDir !== undefined ? (encodings) => (durable as DurableStore).persist(encodings) : undefined,
  });
  const opened = later ? later.then(open) : Promise.resolve();
  if (later) server.holdUntil(opened);
  const closeData = async () => {
    await opened.catch(() => {});
    await durable?.close();
  };
  let port: number;
  try {
    port = await server.listen(options.port ?? 27017, host);
  } catch (error) {
    await closeData();
    throw error;
  }
  const uriHost = host.includes(':') ? `[${host}]` : host;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    port,
    get dataDir() {
      return durable?.directory;
    },
    get recovery() {
      return durable?.recovery;
    },
    opened,
    compact: async () => (durable ? durable.compact() : null),
    load(db, collection, documents) {
      if (options.dataDir !== undefined) {
        throw new Error(`Expected an in-memory store to bulk-load ${db}.${collection} into; this one keeps its data in ${options.dataDir}, where a load would not be journaled.`);
      }
      return engine.load(db, collection, documents.map(encodeAsDriver));
    },
    async saveTo(directory) {
      await mkdir(directory, { recursive: true });
      const listing = await listDirectory(directory);
      if (listing.snapshots.length > 0 || listing.journals.length > 0) throw new Error(`Expected a new or empty directory to save the store in; ${directory} already holds a store's files.`);
      return writeSnapshot(directory, 1, engine.captureState());
    },
    async stop() {
      await server.stop();
      await closeData();
    },
  };
}

/**
 * Closed data directories as loaded by this process, by directory and snapshot. In-memory stores started from one
 * take copies of it that share its documents, its decoded documents and its indexes' builds until they write (see
 * Collection.copyTo): a test suite that starts a store per file from one sample loads, decodes and indexes it once.
 */
const loaded = new Map<string, Promise<MemoryEngine>>();

async function loadedOnce(directory: string): Promise<MemoryEngine> {
  const resolved = path.resolve(directory);
  const snapshot = (await listDirectory(resolved).catch(() => null))?.snapshots.at(-1);
  const file = snapshot === undefined ? undefined : await stat(path.join(resolved, snapshotFile(snapshot)));
  const key = `${resolved}\0${snapshot}\0${file?.size}\0${file?.mtimeMs}`;
  let engine = loaded.get(key);
  if (engine === undefined) {
    const loading = createEngine();
    engine = loadClosedDirectory(resolved, loading).then(() => loading);
    loaded.set(key, engine);
    engine.catch(() => loaded.delete(key));
  }
  return engine;
}

/** A document's BSON as the driver sends it in an insert: `_id` first when it has to be generated, `undefined` as null. */
function encodeAsDriver(document: Document): Uint8Array {
  return BSON.serialize(document._id === undefined ? { _id: new ObjectId(), ...document } : document, { ignoreUndefined: false });
}
