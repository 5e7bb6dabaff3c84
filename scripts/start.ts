import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo';
import { readFlag, readInteger, readPort } from '../platform/config';
import { loadDevelopmentEnv } from '../platform/env';
import { createLogger, type Logger } from '../platform/logging';
import { projectPath } from '../platform/paths';
import { SUBGRAPHS } from '../subgraphs/registry';
import { embeddedDataDir } from './storeForCommand';

/**
 * `npm start`: the whole city graph on one machine. Unless MONGODB_URI is set it opens the embedded store
 * on its data directory (so data survives a restart; the first start writes the sample data), starts each
 * subgraph and the gateway as their own processes from the compiled bundles in dist/ (`npm run build`,
 * which `npm start` runs first), knows each is ready by asking its /health (the gateway's /ready), and
 * stops everything cleanly on Ctrl-C.
 *
 * Each child writes its own log lines (pino: readable lines in development, JSON with NODE_ENV=production or
 * LOG_FORMAT=json), which the launcher passes through as they are; what a child writes to standard error
 * (a crash before its logger exists) is prefixed with its name. The launcher logs through pino as well.
 */
const READY_TIMEOUT_MS = 180_000;

interface Child {
  name: string;
  process: ChildProcess;
}

const children: Child[] = [];
let store: EmbeddedMongo | undefined;
let stopping = false;
let logger: Logger | undefined;

/** The launcher's logger, made once the development settings are loaded (LOG_FORMAT may come from .env). */
function log(): Logger {
  logger ??= createLogger({ name: 'launcher' });
  return logger;
}

/** The compiled entry of a TypeScript entry point; run from source through tsx when dist/ is missing. */
function command(entry: string): string[] {
  const compiled = projectPath('dist', entry.replace(/\.ts$/, '.js'));
  return existsSync(compiled) ? [compiled] : ['--import', 'tsx', projectPath(entry)];
}

function launch(name: string, entry: string, env: NodeJS.ProcessEnv): Child {
  const child: Child = { name, process: spawn(process.execPath, command(entry), { env, stdio: ['ignore', 'pipe', 'pipe'] }) };
  children.push(child);
  createInterface({ input: child.process.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
  createInterface({ input: child.process.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  child.process.once('exit', (code, signal) => {
    if (!stopping) log().error({ child: name, code, signal }, `${name} stopped (${signal ?? `exit code ${code}`}); the gateway serves the rest without it.`);
  });
  return child;
}

/** Asks a service's health route until it answers 200; fails when the service exits or the time is up. */
async function waitUntilReady(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`${child.name} exited before it was ready.`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${READY_TIMEOUT_MS / 1000} s.`);
}

async function stopAll(): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
          child.process.once('exit', () => resolve());
          child.process.kill('SIGTERM');
        }),
    ),
  );
  // The store writes its snapshot as it stops, so the next start loads it instead of replaying the journal.
  await store?.stop();
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
    store = await startEmbeddedMongo({ port: readInteger(env, 'EMBEDDED_MONGO_PORT', 0, { max: 65_535 }), dataDir });
    env.MONGODB_URI = store.uri;
    // Sample data goes only into the embedded store, and only into an empty agency database there.
    env.SEED_IF_EMPTY ??= 'true';
    storeNote = dataDir ? `data in ${dataDir}` : 'in memory: data lasts until Ctrl-C';
    log().info(`embedded MongoDB-compatible store at ${store.uri} (${storeNote})`);
  }

  const gatewayPort = readPort(env, 'PORT', 4000);
  const gateway = launch('gateway', 'gateway/main.ts', {
    ...env,
    PORT: String(gatewayPort),
    ...Object.fromEntries(SUBGRAPHS.map((entry) => [`SUBGRAPH_URL_${entry.name.toUpperCase()}`, `http://${host}:${entry.port}/graphql`])),
  });
  const subgraphs = SUBGRAPHS.map((entry) => ({ entry, child: launch(entry.name, `${entry.dir}/main.ts`, { ...env, PORT: String(entry.port) }) }));
  await Promise.all(subgraphs.map(({ entry, child }) => waitUntilReady(child, `http://${host}:${entry.port}/health`)));
  const base = `http://${host}:${gatewayPort}`;
  await waitUntilReady(gateway, `${base}/ready`);
  // The welcome is for the person who typed `npm start`, not for a log collector: plain text on the terminal.
  process.stdout.write(`
Kediri City Graph is up in ${((Date.now() - started) / 1000).toFixed(1)} s.
  gateway   ${base}/graphql   (health ${base}/health, readiness ${base}/ready)
${subgraphs.map(({ entry }) => `  ${entry.name.padEnd(11)} http://${host}:${entry.port}/graphql`).join('\n')}${store ? `\n  store     ${store.uri} (${storeNote})` : ''}

A first query (no credentials needed):
  curl -s ${base}/graphql -H 'content-type: application/json' \\
    -d '{"query":"{ kelurahan(code: \\"35.71.01.1005\\") { code name kecamatan { code name } } }"}'

Development API keys are in .env.example. Ctrl-C stops everything.
`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log().info(`${signal}: stopping the gateway, the subgraphs and the store`);
    stopAll().then(() => process.exit(0));
  });
}

main().catch(async (error: unknown) => {
  log().error(error instanceof Error ? error.message : String(error));
  await stopAll();
  process.exit(1);
});
