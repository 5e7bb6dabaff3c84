import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ORPHAN_GUARD } from '../../bench/processes';
import { projectPath } from '../../platform/paths';
import { TEST_SECRETS } from '../../subgraphs/kit/testing';
import { subgraphEntry } from '../../subgraphs/registry';
import { testEntryCommand } from './compiled';

/**
 * Real processes for resilience tests: the store and subgraphs run as children (so a test can freeze one
 * with SIGSTOP or kill it with SIGKILL, as an operating system or an orchestrator would), each found by its
 * own log line and stopped by its PID. Every child started here is tracked, and `stopAll` (or, if the test
 * process dies first, its exit handler) ends each one by PID: nothing is stopped by name. A test process
 * killed outright runs no handler: then each child sees its IPC channel close and stops itself (the
 * benchmark's ORPHAN_GUARD).
 */
export interface ChildService {
  name: string;
  pid: number;
  process: ChildProcess;
  /** What it wrote so far, stdout and stderr, one entry a line: for the message of a failing test. */
  output: string[];
  /** Whether it has exited, and how. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves with the first line matching `pattern` (already written or still to come); fails at the deadline or when the child exits. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGSTOP freezes it (alive, holding its port and connections, answering nothing); SIGCONT thaws it. */
  signal(signal: NodeJS.Signals): void;
  /** Thaws it, asks it to stop (SIGTERM), and kills it after a few seconds if it has not. */
  stop(): Promise<void>;
  /** SIGKILL, as an out-of-memory killer would; resolves once it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildService>();

// Should the test process end without its afterAll (a crash, a timeout of the whole run), no child outlives it.
process.once('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

/** A port nothing listens on now: the system picks a free one for a throwaway listener, which closes at once. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Asks `check` every `intervalMs` until it returns something other than undefined or false; fails at the deadline with `what`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Waited ${timeoutMs} ms for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Starts an entry point (its bundle compiled for the run, see compiled.ts) with `args`, from the project root, with
 * `env` over the test's own environment.
 */
export function startProcess(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv): ChildService {
  const child = spawn(process.execPath, ['--import', ORPHAN_GUARD, ...testEntryCommand(entry), ...args], {
    cwd: projectPath(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`${name} did not start.`);
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    output.push(line);
    for (const listener of listeners) listener(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const service: ChildService = {
    name,
    pid: child.pid,
    process: child,
    output,
    exit: undefined,
    waitForLine(pattern, timeoutMs) {
      const seen = output.map((line) => line.match(pattern)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
        };
        const listener = (line: string) => {
          const match = line.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const onExit = () => {
          done();
          reject(new Error(`${name} exited before writing ${pattern}:\n${output.slice(-20).join('\n')}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not write ${pattern} within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`));
        }, timeoutMs);
        listeners.add(listener);
        child.once('exit', onExit);
      });
    },
    signal(signal) {
      if (!service.exit) process.kill(child.pid!, signal);
    },
    async stop() {
      if (!service.exit) {
        // A frozen child would hold SIGTERM until thawed: thaw it first.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => service.exit || child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(service);
    },
    async kill() {
      if (!service.exit) child.kill('SIGKILL');
      await exited;
      running.delete(service);
    },
  };
  child.once('exit', (code, signal) => {
    service.exit = { code, signal };
  });
  running.add(service);
  return service;
}

/** Every child still running, stopped one by one by its PID. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

export interface StoreProcess extends ChildService {
  uri: string;
}

/** The embedded store as its own process on `port` (in memory); resolves once it listens. */
export async function startStore(port: number, { timeoutMs = 30_000 } = {}): Promise<StoreProcess> {
  const child = startProcess('store', 'embedded-mongo/main.ts', ['--port', String(port)], {});
  try {
    const [, uri] = await child.waitForLine(/listening on (mongodb:\/\/\S+)/, timeoutMs);
    return Object.assign(child, { uri });
  } catch (error) {
    await child.stop();
    throw error;
  }
}

export interface SubgraphProcess extends ChildService {
  /** Its GraphQL URL; /health and /version sit beside it. */
  url: string;
  port: number;
}

/** The environment a subgraph process needs besides its port and database: the test secrets, JSON logs. */
export function subgraphEnv(mongoUri: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    MONGODB_URI: mongoUri,
    IDENTITY_SECRET: TEST_SECRETS.identitySecret,
    RESIDENT_ID_SECRET: TEST_SECRETS.residentIdSecret,
    AUDIT_SECRET: TEST_SECRETS.auditSecret,
    SEED_IF_EMPTY: 'false',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...env,
  };
}

/**
 * A subgraph as its own process (`subgraphs/<name>/main.ts`, run from source) on `port` (0: the system
 * picks one). Resolves once it listens, which is before it is ready: it answers 503 "starting" until it
 * has reached its database; `waitForReady` waits for that.
 */
export async function startSubgraphProcess(
  name: string,
  { port, mongoUri, env = {}, timeoutMs = 45_000 }: { port: number; mongoUri: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<SubgraphProcess> {
  const child = startProcess(name, `${subgraphEntry(name).dir}/main.ts`, [], subgraphEnv(mongoUri, { PORT: String(port), ...env }));
  try {
    const [, url, chosen] = await child.waitForLine(/listening at (http:\/\/[^\s,]+:(\d+)\/graphql)/, timeoutMs);
    return Object.assign(child, { url, port: Number(chosen) });
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Resolves once the subgraph process has written that it is ready (its database reached, its schema built). */
export async function waitForReady(subgraph: SubgraphProcess, timeoutMs = 45_000): Promise<void> {
  await subgraph.waitForLine(/"msg":"ready at /, timeoutMs);
}

export function healthUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, '/health');
}

/** GETs a JSON route and says how it answered and how long it took; `undefined` status when it did not answer in time. */
export async function getJson(
  url: string,
  timeoutMs: number,
): Promise<{ status: number | undefined; body: any; ms: number }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.json().catch(() => undefined);
    return { status: response.status, body, ms: Date.now() - started };
  } catch {
    return { status: undefined, body: undefined, ms: Date.now() - started };
  }
}
