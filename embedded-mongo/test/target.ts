import { randomBytes } from 'node:crypto';
import { MongoClient, type MongoServerError } from 'mongodb';
import { expect } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../index';

/**
 * Where the compatibility suite runs. With MONGODB_URI set it runs against that real MongoDB, so anyone with one can
 * show that the embedded store and mongod agree; otherwise it starts the embedded store on a free port.
 * Each test file works in its own database (unique per run when the server is real, so no real data is touched),
 * and `stop()` drops that database on a real server.
 */
export interface Target {
  uri: string;
  /** The database this test file may use. */
  dbName: string;
  /** True when the suite runs against the embedded store; guards the embedded-only expectations. */
  embedded: boolean;
  stop(): Promise<void>;
}

/** Whether expectations that only hold for the embedded store (its messages, its limits) should be checked. */
export const EMBEDDED = !process.env.MONGODB_URI;

export async function startTarget(name: string, options: Omit<EmbeddedMongoOptions, 'port'> = {}): Promise<Target> {
  const realUri = process.env.MONGODB_URI;
  if (realUri) {
    const dbName = `compat_${name}_${randomBytes(4).toString('hex')}`;
    return {
      uri: realUri,
      dbName,
      embedded: false,
      async stop() {
        const client = await MongoClient.connect(realUri);
        try {
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const store = await startEmbeddedMongo({ port: 0, log: () => {}, ...options });
  return { uri: store.uri, dbName: name, embedded: true, stop: () => store.stop() };
}

/** The server's refusal of an operation that must fail; the test fails if it succeeds. */
export async function failure(run: () => Promise<unknown>): Promise<MongoServerError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the operation should have failed').toBeInstanceOf(Error);
  return error as MongoServerError;
}

/**
 * An embedded store on this data directory (in memory without one) for the length of `run`, with a client;
 * both are closed after, the store with its shutdown snapshot.
 */
export async function withStore<T>(
  dataDir: string | undefined,
  run: (client: MongoClient, store: EmbeddedMongo) => Promise<T>,
  options: { compactAfterBytes?: number } = {},
): Promise<T> {
  const store = await startEmbeddedMongo({ port: 0, dataDir, log: () => {}, ...options });
  const client = await MongoClient.connect(store.uri);
  try {
    return await run(client, store);
  } finally {
    await client.close();
    await store.stop();
  }
}
