import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SUBGRAPHS } from '../subgraphs/registry';
import { compiledGatewayEntry, gatewayEnv, subgraphEnv, type Configuration, type FiguresSource } from './configurations';
import { cpuTicks, StoreCounter } from './counters';
import { StartError, startChild, stopAll, tailOf, type Child } from './processes';

/**
 * The stack under test, every part its own process on a free port: the embedded store, the seven
 * subgraphs (through bench/subgraph.ts, which counts their requests), the stock gateway and one gateway of
 * ours per configuration. Every configuration stays up for the whole run, so the benchmark can alternate
 * between them within seconds (the machine's noise then hits all of them alike) and never waits for a
 * restart. The raw-figures configuration gets a second set of the seven subgraphs, started with
 * FIGURES_SOURCE=raw over the same store. Readiness is always asked for (/health, /ready, a first query),
 * never assumed after a sleep.
 */
export interface StackOptions {
  root: string;
  logDir: string;
  /** Seeding the sample data at first start takes ~30 s on two cores; allow for a slow machine. */
  startTimeoutMs: number;
  log: (line: string) => void;
}

const READY_AT = / ready at (http[^"\s]+)/;
const STORE_READY = /listening on (mongodb:\/\/\S+)/;
/** Settings the benchmark owns: an inherited value must not leak into a configuration that did not ask for it. */
const OWNED_SETTINGS = [
  'PORT',
  'HOST',
  'MONGODB_URI',
  'SEED_IF_EMPTY',
  'FIGURES_SOURCE',
  'GATEWAY_SUBGRAPH_CLIENT',
  'GATEWAY_DEDUPLICATE_FETCHES',
  'GATEWAY_RESPONSE_CACHE_TTL_MS',
  'RATE_LIMIT_PUBLIC_PER_MINUTE',
  'RATE_LIMIT_DASHBOARD_PER_MINUTE',
  'RATE_LIMIT_STAFF_PER_MINUTE',
  ...SUBGRAPHS.map((entry) => `SUBGRAPH_URL_${entry.name.toUpperCase()}`),
];

export interface Gateway {
  side: 'ours' | 'stock';
  /** "stock" or the configuration id of ours. */
  id: string;
  child: Child;
  /** The GraphQL endpoint: /graphql for ours, / for the stock standalone server. */
  url: string;
  runtime: 'tsx' | 'compiled';
  /** Which set of subgraphs it talks to. */
  figuresSource: FiguresSource;
}

export class Stack {
  storeUri = '';
  store?: Child;
  storeCounter?: StoreCounter;
  /** The seven subgraphs, once per figures source in use. */
  readonly subgraphSets = new Map<FiguresSource, Map<string, Child>>();
  readonly gateways = new Map<string, Gateway>();

  constructor(private readonly options: StackOptions) {}

  private baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of OWNED_SETTINGS) delete env[key];
    return { ...env, HOST: '127.0.0.1', PORT: '0', ...extra };
  }

  private tsx(entry: string, ...args: string[]): string[] {
    return ['--import', 'tsx', entry, ...args];
  }

  async startStore(): Promise<void> {
    this.store = await startChild({
      name: 'store',
      args: this.tsx('embedded-mongo/main.ts', '--port', '0', '--host', '127.0.0.1'),
      env: this.baseEnv({}),
      cwd: this.options.root,
      readyLine: STORE_READY,
      timeoutMs: 60_000,
      logDir: this.options.logDir,
    });
    this.storeUri = this.store.url;
    // Asking: the first serverStatus only answers once the store serves commands.
    this.storeCounter = await StoreCounter.connect(this.storeUri);
    await this.storeCounter.dataCommands();
    this.options.log(`store         ${this.storeUri}`);
  }

  /**
   * The seven subgraphs side by side, as `npm start` starts them. The first set seeds the empty store; a
   * later set (raw figures) finds the data there and only connects.
   */
  async startSubgraphs(figuresSource: FiguresSource): Promise<void> {
    const set = new Map<string, Child>();
    this.subgraphSets.set(figuresSource, set);
    const started = await Promise.allSettled(
      SUBGRAPHS.map(async (entry) => {
        const child = await startChild({
          name: `${entry.name}-${figuresSource}`,
          args: this.tsx('bench/subgraph.ts', entry.name),
          env: this.baseEnv({ MONGODB_URI: this.storeUri, SEED_IF_EMPTY: 'true', ...subgraphEnv(figuresSource) }),
          cwd: this.options.root,
          readyLine: READY_AT,
          timeoutMs: this.options.startTimeoutMs,
          logDir: this.options.logDir,
        });
        set.set(entry.name, child);
        await pollUntilOk(`${entry.name} /health`, healthUrl(child.url), this.options.startTimeoutMs, child);
      }),
    );
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    this.options.log(
      `subgraphs     ${[...set.entries()].map(([name, child]) => `${name} :${new URL(child.url).port}`).join(', ')}  (FIGURES_SOURCE=${figuresSource})`,
    );
  }

  private subgraphUrls(figuresSource: FiguresSource): Record<string, string> {
    const set = this.subgraphSets.get(figuresSource);
    if (!set) throw new Error(`No subgraphs with FIGURES_SOURCE=${figuresSource} were started.`);
    return Object.fromEntries([...set.entries()].map(([name, child]) => [`SUBGRAPH_URL_${name.toUpperCase()}`, child.url]));
  }

  /**
   * The stock gateway, over the read-model subgraphs (the ones all-on uses). It runs through tsx, unless
   * our gateway runs compiled and the build also produced dist/bench/stockGateway.js: then both run the
   * same runtime and the ratio compares gateways only.
   */
  async startStock(compiled: boolean): Promise<Gateway> {
    const compiledEntry = join(this.options.root, 'dist', 'bench', 'stockGateway.js');
    const runtime = compiled && existsSync(compiledEntry) ? 'compiled' : 'tsx';
    const child = await startChild({
      name: 'gateway-stock',
      args: runtime === 'compiled' ? [compiledEntry] : this.tsx('bench/stockGateway.ts'),
      env: this.baseEnv({ ...this.subgraphUrls('read-model'), SUPERGRAPH_PATH: join(this.options.root, 'schema', 'supergraph.graphql') }),
      cwd: this.options.root,
      readyLine: READY_AT,
      timeoutMs: 60_000,
      logDir: this.options.logDir,
    });
    // The standalone server has no health route: a first query is the question.
    await pollUntilOk('stock gateway { __typename }', child.url, 60_000, child, { query: '{ __typename }' });
    const gateway: Gateway = { side: 'stock', id: 'stock', child, url: child.url, runtime, figuresSource: 'read-model' };
    this.gateways.set(gateway.id, gateway);
    this.options.log(`stock         ${child.url}  (Apollo Gateway as documented + signed public identity; ${runtime})`);
    return gateway;
  }

  /** Our gateway in one configuration, beside the others. */
  async startOurs(configuration: Configuration): Promise<Gateway> {
    const args = configuration.runtime === 'compiled' ? [compiledGatewayEntry(this.options.root)] : this.tsx('gateway/main.ts');
    const child = await startChild({
      name: `gateway-${configuration.id}`,
      args,
      env: this.baseEnv({ ...this.subgraphUrls(configuration.figuresSource), MONGODB_URI: this.storeUri, ...gatewayEnv(configuration) }),
      cwd: this.options.root,
      readyLine: READY_AT,
      timeoutMs: 60_000,
      logDir: this.options.logDir,
    });
    await pollUntilOk(`gateway ${configuration.id} /ready`, readyUrl(child.url), 60_000, child);
    const gateway: Gateway = { side: 'ours', id: configuration.id, child, url: child.url, runtime: configuration.runtime, figuresSource: configuration.figuresSource };
    this.gateways.set(gateway.id, gateway);
    this.options.log(`${configuration.id.padEnd(13)} ${child.url}`);
    return gateway;
  }

  gateway(id: string): Gateway {
    const gateway = this.gateways.get(id);
    if (!gateway) throw new Error(`No gateway "${id}" was started.`);
    return gateway;
  }

  /** GraphQL requests that have reached the subgraphs a gateway talks to, by subgraph. */
  async subgraphCalls(gateway: Gateway): Promise<Record<string, number>> {
    const set = this.subgraphSets.get(gateway.figuresSource)!;
    const counts = await Promise.all(
      [...set.entries()].map(async ([name, child]) => {
        const reply = await child.ask<{ graphqlRequests: number }>({ type: 'count' }, 15_000);
        return [name, reply.graphqlRequests] as const;
      }),
    );
    return Object.fromEntries(counts);
  }

  storeCpu(): number {
    return cpuTicks(this.store?.pid ?? -1);
  }

  /** CPU clock ticks so far of one set of subgraphs, together. */
  subgraphsCpu(figuresSource: FiguresSource): number {
    const set = this.subgraphSets.get(figuresSource);
    return set ? [...set.values()].reduce((sum, child) => sum + cpuTicks(child.pid), 0) : 0;
  }

  /** CPU clock ticks so far of a gateway, of the subgraphs it talks to (together) and of the store. */
  cpu(gateway: Gateway): { gateway: number; subgraphs: number; store: number } {
    return { gateway: cpuTicks(gateway.child.pid), subgraphs: this.subgraphsCpu(gateway.figuresSource), store: cpuTicks(this.store?.pid ?? -1) };
  }

  /**
   * Everything the stack has done so far, over every process: CPU ticks, requests to any subgraph, data
   * commands. Unchanged over a short interval means quiet.
   */
  async activity(): Promise<{ cpu: number; subgraphCalls: number; dbCommands: number }> {
    const children = [...this.gateways.values()].map((gateway) => gateway.child);
    const subgraphs = [...this.subgraphSets.values()].flatMap((set) => [...set.values()]);
    const cpu = [...children, ...subgraphs, ...(this.store ? [this.store] : [])].reduce((total, child) => total + cpuTicks(child.pid), 0);
    const [counts, dbCommands] = await Promise.all([
      Promise.all(subgraphs.map((child) => child.ask<{ graphqlRequests: number }>({ type: 'count' }, 15_000))),
      this.storeCounter!.dataCommands(),
    ]);
    return { cpu, subgraphCalls: counts.reduce((total, reply) => total + reply.graphqlRequests, 0), dbCommands };
  }

  /** Stops the gateways first, then the subgraphs, then the store, so nothing loses what it depends on mid-request. */
  async stop(): Promise<void> {
    await this.storeCounter?.close().catch(() => {});
    this.storeCounter = undefined;
    await stopAll((child) => (child.name.startsWith('gateway-') ? 0 : child.name === 'store' ? 2 : 1));
  }
}

function healthUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, '/health');
}

function readyUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, '/ready');
}

/** Asks `url` every 250 ms until it answers 2xx; fails with the child's log when it does not in time. */
async function pollUntilOk(what: string, url: string, timeoutMs: number, child: Child, graphql?: { query: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      last = `the process exited (${child.process.signalCode ?? `exit code ${child.process.exitCode}`})`;
      break;
    }
    try {
      const response = await fetch(url, {
        method: graphql ? 'POST' : 'GET',
        headers: graphql ? { 'content-type': 'application/json' } : {},
        body: graphql ? JSON.stringify(graphql) : undefined,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      if (response.ok) return;
      last = `${response.status} ${text.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StartError(`${what} did not answer 2xx within ${timeoutMs / 1000} s (last: ${last}). Last lines of ${child.logPath}:\n${tailOf(child.logPath)}`);
}
