import { createEngine } from './engine/index';
import { EmbeddedServer } from './server/server';

export interface EmbeddedMongoOptions {
  /** TCP port; 0 picks a free one. Defaults to 27017. */
  port?: number;
  /** Interface to listen on. Defaults to 127.0.0.1: the store has no authentication and must not face a network. */
  host?: string;
  /** How long an unused cursor lives before it is freed. Defaults to mongod's 10 minutes. */
  cursorIdleTimeoutMs?: number;
  /** Where protocol violations and internal errors are reported. Defaults to stderr. */
  log?: (line: string) => void;
}

export interface EmbeddedMongo {
  /** A connection string for the driver or mongoose, e.g. `mongodb://127.0.0.1:27017/`. */
  uri: string;
  port: number;
  /** Closes the server and every connection; resolves when closed. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded MongoDB-compatible store in this process, with its own empty in-memory storage.
 * Used by the launcher when no MONGODB_URI is configured, and by tests (with port 0).
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const server = new EmbeddedServer({
    engine: createEngine(),
    cursorIdleTimeoutMs: options.cursorIdleTimeoutMs,
    log: options.log,
  });
  const port = await server.listen(options.port ?? 27017, host);
  const uriHost = host.includes(':') ? `[${host}]` : host;
  return { uri: `mongodb://${uriHost}:${port}/`, port, stop: () => server.stop() };
}
