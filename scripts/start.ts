import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdsData, startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo';
import { readFlag, readInteger, readPlatformConfig, readPort } from '../platform/config';
import { loadDevelopmentEnv } from '../platform/env';
import { createLogger, type Logger } from '../platform/logging';
import { projectPath } from '../platform/paths';
import { SUBGRAPHS } from '../subgraphs/registry';
import { entryCommand } from './bundles';
import { SampleWorkers } from './sample/workers';
import { Supervisor } from './start/supervisor';
import { embeddedDataDir } from './storeForCommand';

/**
 * `npm start`: the whole city graph on one machine. Unless MONGODB_URI is set it opens the embedded store
 * on its data directory (so data survives a restart; the first start writes the sample data), starts each
 * subgraph and the gateway as their own processes from the compiled bundles in dist/ (`npm run build`,
 * which `npm start` runs first) under a supervisor that knows each is ready by asking its /health and starts
 * again whatever stops (start/supervisor.ts), and stops everything cleanly on Ctrl-C.
 *
 * Each child writes its own log lines (pino: readable lines in development, JSON with NODE_ENV=production or
 * LOG_FORMAT=json), which the launcher passes through as they are; what a child writes to standard error
 * (a crash before its logger exists) is prefixed with its name. The launcher logs through pino as well.
 */

/** The launcher waits this much longer than a subgraph keeps trying its database before it says who is late. */
const READY_MARGIN_MS = 60_000;

let store: EmbeddedMongo | undefined;
let supervisor: Supervisor | undefined;
let logger: Logger | undefined;

/** The launcher's logger, made once the development settings are loaded (LOG_FORMAT may come from .env). */
function log(): Logger {
  logger ??= createLogger({ name: 'launcher' });
  return logger;
}

/** The compiled entry of a TypeScript entry point; run from source through tsx when dist/ is missing. */
const command = (entry: string) => entryCommand(entry, projectPath('dist'));

/** Set once a signal asks everything to stop. */
let stopping = false;

/** Stops the sample workers and removes what they wrote, while they are at work. */
let stopSample: (() => Promise<void>) | undefined;

async function stopAll(): Promise<void> {
  // The services first: stopping the sample workers fails the commands the store still holds for them.
  await supervisor?.stop();
  await stopSample?.();
  // The store writes its snapshot as it stops, so the next start loads it instead of replaying the journal.
  await store?.stop();
}

/**
 * A store holding no data yet starts with the sample data: every agency's records are written in parallel
 * processes, each straight into a store of its own (scripts/sample), and imported at once; far faster than each
 * subgraph inserting its own through the driver into the one store. The store listens meanwhile and holds its
 * clients' commands until the records are in, so the gateway and the subgraphs start beside the writing. The read
 * model comes after, built by the same processes at the lowest priority and copied in year by year (copyFigures);
 * a year read before its figures arrive is built by that read, as any year never built.
 */
async function startWithSample(env: NodeJS.ProcessEnv, options: { port: number; dataDir?: string }): Promise<EmbeddedMongo> {
  const started = Date.now();
  const config = readPlatformConfig(env);
  const root = await mkdtemp(join(tmpdir(), 'kediri-sample-'));
  const workers = new SampleWorkers(command('scripts/sample/worker.ts'));
  stopSample = async () => {
    workers.close();
    await rm(root, { recursive: true, force: true });
  };
  const secrets = { residentIdSecret: config.residentIdSecret, auditSecret: config.auditSecret };
  const written = workers.write({ agencies: SUBGRAPHS.map((entry) => entry.name), root, secrets, figures: false });
  const sampled = await startEmbeddedMongo({ ...options, loadFrom: written }).catch(async (error: unknown) => {
    await written.catch(() => {});
    await stopSample?.();
    throw error;
  });
  sampled.opened.then(
    async () => {
      log().info(`wrote the sample data in ${((Date.now() - started) / 1000).toFixed(1)} s; its figures follow`);
      const copying = Date.now();
      try {
        const copied = await workers.copyFigures(await written, sampled.uri);
        const years = [...copied.values()].reduce((sum, list) => sum + list.length, 0);
        log().info(`read model: copied ${years} agency-years of figures in ${((Date.now() - copying) / 1000).toFixed(1)} s`);
      } catch (error) {
        if (!stopping) log().warn(`read model: copying the sample's figures stopped (${(error as Error).message}); each year is built when first read`);
      } finally {
        await stopSample?.();
      }
    },
    async (error: Error) => {
      // Ctrl-C while the sample is written stops its workers: that is no failure to report.
      if (stopping) return;
      log().error(`the sample data could not be written: ${error.message}`);
      await stopAll();
      process.exit(1);
    },
  );
  return sampled;
}

async function main(): Promise<void> {
  const started = Date.now();
  loadDevelopmentEnv();
  const env = process.env;
  // The children write to a pipe, not to the terminal: tell them whether the terminal shows colours.
  env.LOG_COLOR ??= String(Boolean(process.stdout.isTTY));
  const host = env.HOST || '127.0.0.1';
  let storeNote = '';
  if (!env.MONGODB_URI) {
    const inMemory = readFlag(env, 'EMBEDDED_MONGO_IN_MEMORY', false);
    const dataDir = inMemory ? undefined : embeddedDataDir(env);
    // Sample data goes only into the embedded store, and only into an empty agency database there.
    env.SEED_IF_EMPTY ??= 'true';
    const port = readInteger(env, 'EMBEDDED_MONGO_PORT', 0, { max: 65_535 });
    if (readFlag(env, 'SEED_IF_EMPTY', true) && !(dataDir && (await holdsData(dataDir)))) {
      store = await startWithSample(env, { port, dataDir });
    } else {
      store = await startEmbeddedMongo({ port, dataDir });
    }
    env.MONGODB_URI = store.uri;
    storeNote = dataDir ? `data in ${dataDir}` : 'in memory: data lasts until Ctrl-C';
    log().info(`embedded MongoDB-compatible store at ${store.uri} (${storeNote})`);
  }

  const gatewayPort = readPort(env, 'PORT', 4000);
  const base = `http://${host}:${gatewayPort}`;
  supervisor = new Supervisor(log());
  supervisor.start({
    name: 'gateway',
    args: command('gateway/main.ts'),
    env: {
      ...env,
      PORT: String(gatewayPort),
      ...Object.fromEntries(SUBGRAPHS.map((entry) => [`SUBGRAPH_URL_${entry.name.toUpperCase()}`, `http://${host}:${entry.port}/graphql`])),
    },
    // The gateway serves as soon as it is up: its /ready speaks of the subgraphs, which are watched one by one.
    readyUrl: `${base}/health`,
  });
  for (const entry of SUBGRAPHS) {
    supervisor.start({ name: entry.name, args: command(`${entry.dir}/main.ts`), env: { ...env, PORT: String(entry.port) }, readyUrl: `http://${host}:${entry.port}/health` });
  }
  // A subgraph whose database is late keeps trying until its start-up deadline and is then started again;
  // past that deadline the launcher says who is not ready, and everything else serves.
  const deadlineMs = readInteger(env, 'STARTUP_DEADLINE_MS', 120_000, { min: 1_000 });
  const { notReady } = await supervisor.waitForReady(deadlineMs + READY_MARGIN_MS);
  // The welcome is for the person who typed `npm start`, not for a log collector: plain text on the terminal.
  process.stdout.write(`
Kediri City Graph is up in ${((Date.now() - started) / 1000).toFixed(1)} s${notReady.length ? `, except ${notReady.join(', ')} (not ready yet: still starting, and started again if it stops)` : ''}.
  gateway   ${base}/graphql   (health ${base}/health, readiness ${base}/ready)
${SUBGRAPHS.map((entry) => `  ${entry.name.padEnd(11)} http://${host}:${entry.port}/graphql`).join('\n')}${store ? `\n  store     ${store.uri} (${storeNote})` : ''}

A first query (no credentials needed):
  curl -s ${base}/graphql -H 'content-type: application/json' \\
    -d '{"query":"{ kelurahan(code: \\"35.71.01.1005\\") { code name kecamatan { code name } } }"}'

Development API keys are in .env.example. Ctrl-C stops everything.
`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    log().info(`${signal}: stopping the gateway, the subgraphs and the store`);
    stopAll().then(() => process.exit(0));
  });
}

main().catch(async (error: unknown) => {
  log().error(error instanceof Error ? error.message : String(error));
  await stopAll();
  process.exit(1);
});
