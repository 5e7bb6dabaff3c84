import mongoose, { type Connection } from 'mongoose';
import { startEmbeddedMongo } from '../../embedded-mongo';

/**
 * Where agency data lives: a real MongoDB when MONGODB_URI is set, otherwise the embedded store started in
 * this process. Each agency gets its own database, `kediri_<agency>`, so agencies never share collections.
 */
export interface MongoTarget {
  uri: string;
  /** True when this process started the embedded store and must stop it. */
  embedded: boolean;
  stop(): Promise<void>;
}

export async function resolveMongoTarget(mongoUri: string | undefined): Promise<MongoTarget> {
  if (mongoUri) return { uri: mongoUri, embedded: false, stop: async () => {} };
  const store = await startEmbeddedMongo({ port: 0 });
  return { uri: store.uri, embedded: true, stop: () => store.stop() };
}

export function databaseName(agency: string): string {
  return `kediri_${agency}`;
}

export async function connectAgencyDatabase(agency: string, uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName: databaseName(agency),
    // Fail fast with a clear error when the database is unreachable instead of hanging a request.
    serverSelectionTimeoutMS: 5_000,
  });
  await connection.asPromise();
  return connection;
}

/** Builds every model's indexes before serving, so unique rules hold from the first request. */
export async function ensureIndexes(models: Record<string, mongoose.Model<any>>): Promise<void> {
  await Promise.all(Object.values(models).map((model) => model.init()));
}
