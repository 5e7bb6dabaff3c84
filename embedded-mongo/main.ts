import { startEmbeddedMongo } from './index';

/**
 * `npm run store -- --port <n> [--host <address>] [--data-dir <path>]`: runs the embedded store alone, prints one line
 * with its URI when it is ready, and stops cleanly on SIGINT or SIGTERM (with a data directory: after writing a
 * snapshot). Without --data-dir the data lives in memory and is gone when the process ends.
 */
const USAGE = 'usage: npm run store -- [--port <0-65535>] [--host <address>] [--data-dir <path>] [--compact-after-bytes <n>]';

interface Flags {
  port: number;
  host: string;
  dataDir?: string;
  compactAfterBytes?: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { port: 27017, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const [name, inline] = flag.split('=', 2);
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i++;
    if (name === '--port') {
      const port = Number(value);
      if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
        fail(`--port expects an integer between 0 and 65535, got ${value === undefined ? 'nothing' : `'${value}'`}`);
      }
      flags.port = port;
    } else if (name === '--host') {
      if (!value) fail('--host expects an address, got nothing');
      flags.host = value;
    } else if (name === '--data-dir') {
      if (!value) fail('--data-dir expects a directory path, got nothing');
      flags.dataDir = value;
    } else if (name === '--compact-after-bytes') {
      const bytes = Number(value);
      if (value === undefined || !Number.isInteger(bytes) || bytes <= 0) {
        fail(`--compact-after-bytes expects a positive integer, got ${value === undefined ? 'nothing' : `'${value}'`}`);
      }
      flags.compactAfterBytes = bytes;
    } else {
      fail(`unknown flag '${flag}'`);
    }
  }
  return flags;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const store = await startEmbeddedMongo({ port: flags.port, host: flags.host, dataDir: flags.dataDir, compactAfterBytes: flags.compactAfterBytes });
  if (store.recovery) {
    const { snapshot, documents, journalRecords, milliseconds } = store.recovery;
    process.stdout.write(
      `loaded ${store.dataDir}: ${snapshot ? `${documents} documents from ${snapshot}` : 'no snapshot'}, ${journalRecords} journal records replayed, in ${Math.round(milliseconds)} ms\n`,
    );
  }
  process.stdout.write(`embedded MongoDB-compatible store listening on ${store.uri}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    store.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`embedded store failed to stop cleanly: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: Error) => {
  process.stderr.write(`embedded store failed to start: ${error.message}\n`);
  process.exit(1);
});
