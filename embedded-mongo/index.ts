import { createEngine } from './engine/index';
import { EmbeddedServer } from './server/server';
import { loadClosedDirectory, openDurableStore, type DurableStore, type Recovery } from './storage/durableStore';
import type { SnapshotSummary } from './storage/snapshot';

export { REPLICA_SET_NAME } from './commands/handshake';
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
   * Data directories of stores that were closed cleanly, loaded into this store's memory at start and never
   * written to: several in-memory stores can start from one seeded sample this way (each directory must hold
   * other databases than the rest). Not with `dataDir`.
   */
  loadFrom?: string[];
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
  /** Writes a snapshot of the data directory now (null without one); compaction otherwise runs by itself. */
  compact(): Promise<SnapshotSummary | null>;
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
  if (options.loadFrom && options.dataDir !== undefined) {
    throw new Error('Expected either dataDir (a store kept on disk) or loadFrom (an in-memory store started from saved data), not both.');
  }
  for (const directory of options.loadFrom ?? []) await loadClosedDirectory(directory, engine);
  if (options.dataDir !== undefined) {
    durable = await openDurableStore(options.dataDir, engine, { compactAfterBytes: options.compactAfterBytes, log });
  }
  const server = new EmbeddedServer({
    engine,
    cursorIdleTimeoutMs: options.cursorIdleTimeoutMs,
    transactionLifetimeMs: options.transactionLifetimeMs,
    log,
    persist: durable ? (encodings) => (durable as DurableStore).persist(encodings) : undefined,
  });
  let port: number;
  try {
    port = await server.listen(options.port ?? 27017, host);
  } catch (error) {
    await durable?.close();
    throw error;
  }
  const uriHost = host.includes(':') ? `[${host}]` : host;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    port,
    dataDir: durable?.directory,
    recovery: durable?.recovery,
    compact: async () => (durable ? durable.compact() : null),
    async stop() {
      await server.stop();
      await durable?.close();
    },
  };
}
