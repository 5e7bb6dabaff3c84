import { startEmbeddedMongo } from '../embedded-mongo';
import { projectPath } from '../platform/paths';

/**
 * The database a command (seed, figures) works on: MONGODB_URI when set, otherwise the embedded store's data
 * directory, opened in this process for the command's run. When `npm start` is running it holds that
 * directory, and the command says to pass the URI `npm start` printed instead.
 */
export interface CommandStore {
  uri: string;
  close(): Promise<void>;
}

export function embeddedDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EMBEDDED_MONGO_DATA_DIR || projectPath('.data', 'store');
}

export async function openStoreForCommand(mongoUri: string | undefined): Promise<CommandStore> {
  if (mongoUri) return { uri: mongoUri, close: async () => {} };
  const dataDir = embeddedDataDir();
  try {
    const store = await startEmbeddedMongo({ port: 0, dataDir });
    return { uri: store.uri, close: () => store.stop() };
  } catch (error) {
    throw new Error(
      `Could not open the embedded store's data directory ${dataDir}: ${(error as Error).message}. ` +
        'If `npm start` is running, pass the store URI it printed as MONGODB_URI.',
    );
  }
}
