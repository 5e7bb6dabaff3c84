import net from 'node:net';
import type { Document, StorageEngine } from '../engine/types';
import type { ServerState } from '../commands/context';
import { LOGICAL_SESSION_TIMEOUT_MINUTES } from '../protocol/limits';
import { Connection } from './connection';
import { CursorRegistry, DEFAULT_CURSOR_IDLE_TIMEOUT_MS } from './cursors';
import { OpCounters } from './opcounters';
import { DEFAULT_TRANSACTION_LIFETIME_MS, SessionRegistry } from './sessions';

export interface EmbeddedServerOptions {
  engine: StorageEngine;
  cursorIdleTimeoutMs?: number;
  /** How long a transaction may live before it is aborted; mongod's default is 60 seconds. */
  transactionLifetimeMs?: number;
  log?: (line: string) => void;
  /** Journals changes and says when they are durable; absent when the store keeps its data in memory only. */
  persist?: (encodings?: ReadonlyMap<Document, Uint8Array>) => Promise<void> | undefined;
}

/**
 * The address clients are told to use for the replica set's only member (`hosts`, `me`, `primary` in hello). A
 * wildcard listening address is not one a client can connect to, so the loopback address stands in for it.
 */
export function advertisedAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') ? `[${reachable}]:${port}` : `${reachable}:${port}`;
}

/**
 * The TCP server: accepts connections, gives each its own Connection, and owns the state they share (the engine,
 * cursors, opcounters). Commands run synchronously on the event loop, one at a time, which is what makes each
 * command atomic without locks.
 */
export class EmbeddedServer implements ServerState {
  readonly engine: StorageEngine;
  readonly cursors: CursorRegistry;
  readonly opcounters = new OpCounters();
  readonly sessions: SessionRegistry;
  readonly startedAt = new Date();
  readonly persistent: boolean;
  host = '127.0.0.1:0';

  private readonly log: (line: string) => void;
  private readonly persistChanges: (encodings?: ReadonlyMap<Document, Uint8Array>) => Promise<void> | undefined;
  private readonly connections = new Set<Connection>();
  private totalCreated = 0;
  private readonly server: net.Server;

  constructor(options: EmbeddedServerOptions) {
    this.engine = options.engine;
    this.cursors = new CursorRegistry(options.cursorIdleTimeoutMs ?? DEFAULT_CURSOR_IDLE_TIMEOUT_MS);
    this.sessions = new SessionRegistry(
      options.engine,
      options.transactionLifetimeMs ?? DEFAULT_TRANSACTION_LIFETIME_MS,
      LOGICAL_SESSION_TIMEOUT_MINUTES * 60_000,
    );
    this.persistent = options.persist !== undefined;
    this.persistChanges = options.persist ?? (() => undefined);
    this.log = options.log ?? ((line) => process.stderr.write(`[embedded-mongo] ${line}\n`));
    this.server = net.createServer((socket) => this.accept(socket));
    // A failing accept (for instance, out of file descriptors) is logged; it must not bring the process down.
    this.server.on('error', (error) => this.log(`server error: ${error.message}`));
  }

  /** While set, the data is still being loaded: commands other than the handshake wait for it (see holdUntil). */
  opening: Promise<void> | undefined;

  /**
   * Holds every command but the handshake until `loaded` settles: a store that listens before its data is loaded
   * lets its clients connect and send their first commands meanwhile. If loading fails, those commands fail.
   */
  holdUntil(loaded: Promise<void>): void {
    this.opening = loaded.then(() => {
      this.opening = undefined;
    });
    // Whoever started the store hears of the failure; here it only fails the commands that wait.
    this.opening.catch(() => {});
  }

  persist(encodings?: ReadonlyMap<Document, Uint8Array>): Promise<void> | undefined {
    return this.persistChanges(encodings);
  }

  connectionStats(): { current: number; totalCreated: number } {
    return { current: this.connections.size, totalCreated: this.totalCreated };
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address() as net.AddressInfo;
        this.host = advertisedAddress(host, address.port);
        resolve(address.port);
      });
    });
  }

  /**
   * Stops accepting, drops every connection and cursor, and aborts every open transaction; resolves once the
   * listening socket is closed.
   */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const connection of this.connections) connection.destroy();
      this.cursors.closeAll();
      this.sessions.close();
    });
  }

  private accept(socket: net.Socket): void {
    this.totalCreated += 1;
    const connection = new Connection(this.totalCreated, socket, this, this.log, (closed) =>
      this.connections.delete(closed),
    );
    this.connections.add(connection);
  }
}
