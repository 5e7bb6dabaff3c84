import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo } from '../embedded-mongo';
import { loadDevelopmentEnv } from '../platform/env';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * `npm start`: the whole city graph on one machine. Starts the embedded store unless MONGODB_URI is set,
 * each subgraph as its own process on its registry port (each seeds its database when empty), then the
 * gateway on PORT (4000), and stops everything cleanly on Ctrl-C.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const READY_LINE = / ready at (\S+)/;
const START_TIMEOUT_MS = 120_000;

interface Child {
  name: string;
  process: ChildProcess;
  url?: string;
}

const children: Child[] = [];
let stopStore: (() => Promise<void>) | undefined;
let stopping = false;

/** Runs a TypeScript entry as its own Node process and resolves with its URL once it prints its ready line. */
function launch(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const child: Child = {
    name,
    process: spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  };
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready within ${START_TIMEOUT_MS / 1000} s.`)), START_TIMEOUT_MS);
    createInterface({ input: child.process.stdout! }).on('line', (line) => {
      console.log(line);
      const ready = READY_LINE.exec(line);
      if (ready && !child.url) {
        child.url = ready[1];
        clearTimeout(timer);
        resolve(child);
      }
    });
    createInterface({ input: child.process.stderr! }).on('line', (line) => console.error(`[${name}] ${line}`));
    child.process.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!child.url) reject(new Error(`${name} exited before it was ready (${signal ?? `exit code ${code}`}).`));
      else if (!stopping) {
        console.error(`[launcher] ${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); the gateway serves the rest without it.`);
      }
    });
  });
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
  await stopStore?.();
}

async function main(): Promise<void> {
  const started = Date.now();
  loadDevelopmentEnv();
  if (!process.env.MONGODB_URI) {
    const store = await startEmbeddedMongo({ port: Number(process.env.EMBEDDED_MONGO_PORT ?? 0) });
    stopStore = store.stop;
    process.env.MONGODB_URI = store.uri;
    console.log(`[launcher] embedded MongoDB-compatible store at ${store.uri} (in memory: data lasts until Ctrl-C)`);
  }
  // The gateway starts beside the subgraphs, not after them: it knows their registry ports, and until
  // they answer its /ready says which are missing.
  const host = process.env.HOST || '127.0.0.1';
  const [gateway, ...subgraphs] = await Promise.all([
    launch('gateway', 'gateway/main.ts', {
      ...process.env,
      ...Object.fromEntries(
        SUBGRAPHS.map((entry) => [`SUBGRAPH_URL_${entry.name.toUpperCase()}`, `http://${host}:${entry.port}/graphql`]),
      ),
    }),
    ...SUBGRAPHS.map((entry) =>
      launch(entry.name, `${entry.dir}/main.ts`, { ...process.env, PORT: String(entry.port), SEED_IF_EMPTY: 'true' }),
    ),
  ]);
  const base = gateway.url!.replace(/\/graphql$/, '');
  console.log(`
Kediri City Graph is up in ${((Date.now() - started) / 1000).toFixed(1)} s.
  gateway   ${gateway.url}   (health ${base}/health, readiness ${base}/ready)
${subgraphs.map((child) => `  ${child.name.padEnd(11)} ${child.url}`).join('\n')}

A first query (no credentials needed):
  curl -s ${gateway.url} -H 'content-type: application/json' \\
    -d '{"query":"{ kelurahan(code: \\"35.71.01.1005\\") { code name kecamatan { code name } } }"}'

Development API keys are in .env.example. Ctrl-C stops everything.`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n[launcher] ${signal}: stopping the gateway, the subgraphs and the store`);
    stopAll().then(() => process.exit(0));
  });
}

main().catch(async (error: unknown) => {
  console.error(`[launcher] ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
});
