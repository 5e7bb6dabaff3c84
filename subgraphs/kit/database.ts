import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import mongoose, { type Connection } from 'mongoose';
import { CommandSpans } from '../../platform/tracing';

/**
 * Where agency data lives: a real MongoDB when MONGODB_URI is set (a replica set, for transactions),
 * otherwise the embedded store. Each agency gets its own database, `kediri_<agency>`, so agencies never
 * share collections.
 *
 * Inside `connection.transaction(...)`, mongoose hands the transaction's session to every operation by
 * itself, so a write unit cannot forget to pass it and write outside its transaction by mistake.
 *
 * Every connection has the driver's command monitoring on, so each command is counted and timed by name
 * and, inside a traced request, becomes a span (see `monitorCommands`).
 */
mongoose.set('transactionAsyncLocalStorage', true);

export function databaseName(agency: string): string {
  return `kediri_${agency}`;
}

export interface ConnectOptions {
  /** How long one attempt may take to find the server. */
  serverSelectionTimeoutMS?: number;
}

export async function connectAgencyDatabase(agency: string, uri: string, options: ConnectOptions = {}): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName: databaseName(agency),
    // Fail an unreachable database within seconds instead of hanging a request.
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
    // The driver reports each command it sends (name, database, duration): the metrics and spans of monitorCommands.
    monitorCommands: true,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  return connection;
}

export interface RetryOptions {
  /** When to give up, in milliseconds from the first attempt. */
  deadlineMs: number;
  /** Called before each wait, to report progress. */
  onRetry?: (attempt: number, error: Error, waitMs: number) => void;
}

/**
 * Connects, and when the database is not there yet (starting, seeding, elsewhere in a cluster where
 * nothing orders start-up) tries again with growing waits until the deadline. Only after the deadline does
 * it fail, with the last error.
 */
export async function connectWithRetry(agency: string, uri: string, options: RetryOptions): Promise<Connection> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await connectAgencyDatabase(agency, uri, { serverSelectionTimeoutMS: 2_000 });
    } catch (error) {
      const wait = Math.min(250 * 2 ** (attempt - 1), 5_000);
      if (Date.now() + wait - started > options.deadlineMs) {
        throw new Error(`The database at ${redactUri(uri)} did not answer within ${options.deadlineMs / 1000} s: ${(error as Error).message}`);
      }
      options.onRetry?.(attempt, error as Error, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Told each database command's outcome, by command name (find, aggregate, insert, ...). */
export interface CommandObserver {
  databaseCommand(commandName: string, outcome: 'ok' | 'failed', milliseconds: number): void;
}

/**
 * Follows the commands a connection sends (it must have been opened with `monitorCommands`, as
 * connectAgencyDatabase does): each is reported to `observer` and, when it runs inside a traced request,
 * recorded as a span under that request's. Returns the function that stops following.
 */
export function monitorCommands(connection: Connection, observer: CommandObserver): () => void {
  const client = connection.getClient();
  const spans = new CommandSpans();
  const started = (event: CommandStartedEvent) => spans.started(event);
  const succeeded = (event: CommandSucceededEvent) => {
    observer.databaseCommand(event.commandName, 'ok', event.duration);
    spans.ended(event);
  };
  const failed = (event: CommandFailedEvent) => {
    observer.databaseCommand(event.commandName, 'failed', event.duration);
    spans.ended(event, event.failure);
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  client.on('commandFailed', failed);
  return () => {
    client.off('commandStarted', started);
    client.off('commandSucceeded', succeeded);
    client.off('commandFailed', failed);
  };
}

/** A connection string without its password, for logs. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

/** Builds every model's indexes before serving, so unique rules hold from the first request. */
export async function ensureIndexes(models: Record<string, mongoose.Model<any>>): Promise<void> {
  for (const model of Object.values(models)) await model.init();
}

/** Whether the database answers a ping within `timeoutMs`; never waits longer. */
export async function pingDatabase(connection: Connection, timeoutMs: number): Promise<boolean> {
  if (connection.readyState !== 1 || !connection.db) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      connection.db
        .admin()
        .ping()
        .then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
