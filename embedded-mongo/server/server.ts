import net from 'node:net';
import type { StorageEngine } from '../engine/types';
import type { ServerState } from '../commands/context';
import { Connection } from './connection';
import { CursorRegistry, DEFAULT_CURSOR_IDLE_TIMEOUT_MS } from './cursors';
import { OpCounters } from './opcounters';

export interface EmbeddedServerOptions {
  engine: StorageEngine;
  cursorIdleTimeoutMs?: number;
  log?: (line: string) => void;
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
  readonly startedAt = new Date();
  host = '127.0.0.1:0';

  private readonly log: (line: string) => void;
  private readonly connections = new Set<Connection>();
  private totalCreated = 0;
  private readonly server: net.Server;

  constructor(options: EmbeddedServerOptions) {
    this.engine = options.engine;
    this.cursors = new CursorRegistry(options.cursorIdleTimeoutMs ?? DEFAULT_CURSOR_IDLE_TIMEOUT_MS);
    this.log = options.log ?? ((line) => process.stderr.write(`[embedded-mongo] ${line}\n`));
    this.server = net.createServer((socket) => this.accept(socket));
    // A failing accept (for instance, out of file descriptors) is logged; it must not bring the process down.
    this.server.on('error', (error) => this.log(`server error: ${error.message}`));
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
        this.host = `${host}:${address.port}`;
        resolve(address.port);
      });
    });
  }

  /** Stops accepting, drops every connection and cursor; resolves once the listening socket is closed. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const connection of this.connections) connection.destroy();
      this.cursors.closeAll();
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
