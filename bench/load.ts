import { loadavg } from 'node:os';
import autocannon, { type Instance } from 'autocannon';
import { ticksToMs } from './counters';
import type { FiguresSource } from './configurations';
import type { Gateway, Stack } from './stack';
import { seededRandom, type Workload } from './workloads';

/**
 * One measured run against one gateway: a single autocannon load of `warmup + window` seconds with a fixed
 * number of connections, every request with fresh variables. The window is cut out of the middle of that
 * load by the benchmark's own clock: at its start and end the counters are read (CPU of the gateway, of
 * its subgraphs and of the store; requests that reached the subgraphs; data commands of the store), and
 * only the answers that arrive inside it are counted. The load never pauses at the window's edges, so the
 * per-request costs are steady-state costs: what the stack spent during the window over the answers it
 * gave during the window.
 *
 * Before each run the benchmark waits until the stack is quiet: requests cut off at the end of the
 * previous run are still being worked on by a gateway and the subgraphs, and that work must not land in
 * the next run's window.
 */
export interface LoadOptions {
  connections: number;
  warmupS: number;
  durationS: number;
  /** Seconds before autocannon gives up on one request; longer than the window, so slow answers count as slow, not as errors. */
  timeoutS: number;
  /** Longest wait for the stack to go quiet before a run. */
  quietCapMs: number;
  seed: number;
  /** The stack's idle activity, subtracted from each window. */
  background: Background;
}

export interface RunResult {
  workload: string;
  side: 'ours' | 'stock';
  configuration: string;
  round: number;
  windowS: number;
  /** Answers received in the window: the denominator of every per-request figure. */
  completed: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
  /** Connection errors and timeouts in the window. */
  transportErrors: number;
  timeouts: number;
  /** 2xx answers carrying a GraphQL error other than SUPPRESSED_SMALL_COUNT. */
  errorAnswers: number;
  /** 2xx answers whose only errors are SUPPRESSED_SMALL_COUNT, which the public role gets by design. */
  suppressedOnlyAnswers: number;
  /** Every errors[].extensions.code seen in answers in the window (and in non-2xx bodies), with how often. */
  errorCodes: Record<string, number>;
  /** Total errors as the table shows them: non-2xx + transport errors + error answers. */
  errors: number;
  bytesPerAnswer: number;
  subgraphCallsPerRequest: number;
  subgraphCallsBySubgraph: Record<string, number>;
  dbCommandsPerRequest: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  storeCpuMsPerRequest: number;
  /** How long the stack took to go quiet before the run. */
  quietWaitMs: number;
  /** False when it was still busy at the cap: then this run's figures may carry the previous run's work. */
  startedQuiet: boolean;
  loadavg1: number;
}

interface Tally {
  errorAnswers: number;
  suppressedOnlyAnswers: number;
  errorCodes: Record<string, number>;
}

const SUPPRESSED = 'SUPPRESSED_SMALL_COUNT';
const TYPENAME = JSON.stringify({ query: '{ __typename }' });
const CODE_PATTERN = /"code":"([A-Z][A-Z0-9_]*)"/g;

/**
 * Classifies one answer by the codes of its errors without parsing the whole body: W1's answers are
 * ~170 KB for the public role and the load generator shares two cores with the stack. Apollo writes
 * `errors` before `data`, so codes are looked for only in that part (kelurahan `code` fields in the data
 * never match anyway: they are digits and dots).
 */
export function classify(status: number, body: string, tally: Tally): void {
  const errorsAt = body.indexOf('"errors":');
  if (errorsAt < 0) return;
  const dataAt = body.indexOf('"data":');
  const section = dataAt > errorsAt ? body.slice(errorsAt, dataAt) : body.slice(errorsAt);
  let other = false;
  let any = false;
  for (const match of section.matchAll(CODE_PATTERN)) {
    const code = match[1]!;
    any = true;
    tally.errorCodes[code] = (tally.errorCodes[code] ?? 0) + 1;
    if (code !== SUPPRESSED) other = true;
  }
  if (status < 200 || status >= 300) return; // counted as non-2xx already
  if (other || !any) tally.errorAnswers++;
  else tally.suppressedOnlyAnswers++;
}

interface Counters {
  at: number;
  gateway: number;
  subgraphsCpu: number;
  storeCpu: number;
  subgraphCalls: Record<string, number>;
  dbCommands: number;
}

async function readCounters(stack: Stack, gateway: Gateway): Promise<Counters> {
  const at = Date.now();
  const cpu = stack.cpu(gateway);
  const [subgraphCalls, dbCommands] = await Promise.all([stack.subgraphCalls(gateway), stack.storeCounter!.dataCommands()]);
  return { at, gateway: cpu.gateway, subgraphsCpu: cpu.subgraphs, storeCpu: cpu.store, subgraphCalls, dbCommands };
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}

/**
 * What the stack does with no load at all, per second: an idle gateway may still poll its subgraphs (our
 * response cache follows each subgraph's data version), and those polls cost CPU and data commands. The
 * windows' figures have this subtracted, so that per-request costs are the requests' own.
 */
export interface Background {
  dbCommandsPerS: number;
  storeCpuTicksPerS: number;
  subgraphsCpuTicksPerS: Partial<Record<FiguresSource, number>>;
  /** Every process of the stack together, for telling quiet from busy. */
  stackCpuTicksPerS: number;
}

export const NO_BACKGROUND: Background = { dbCommandsPerS: 0, storeCpuTicksPerS: 0, subgraphsCpuTicksPerS: {}, stackCpuTicksPerS: 0 };

export async function measureBackground(stack: Stack, ms: number): Promise<Background> {
  const sources = [...stack.subgraphSets.keys()];
  const read = async () => ({
    at: Date.now(),
    activity: await stack.activity(),
    store: stack.storeCpu(),
    subgraphs: Object.fromEntries(sources.map((source) => [source, stack.subgraphsCpu(source)])),
  });
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await read();
  const seconds = (after.at - before.at) / 1000;
  return {
    dbCommandsPerS: (after.activity.dbCommands - before.activity.dbCommands) / seconds,
    storeCpuTicksPerS: (after.store - before.store) / seconds,
    subgraphsCpuTicksPerS: Object.fromEntries(sources.map((source) => [source, (after.subgraphs[source]! - before.subgraphs[source]!) / seconds])),
    stackCpuTicksPerS: (after.activity.cpu - before.activity.cpu) / seconds,
  };
}

/**
 * Waits until the whole stack is quiet: over 300 ms no request reached a subgraph's /graphql, and every
 * process together used no more CPU, and the store served no more data commands, than twice the idle
 * background plus a little. Returns how long that took, or the cap when it never got quiet.
 */
export async function waitUntilQuiet(stack: Stack, capMs: number, background: Background): Promise<{ ms: number; quiet: boolean }> {
  const started = Date.now();
  const intervalMs = 300;
  const cpuAllowance = 3 + 2 * background.stackCpuTicksPerS * (intervalMs / 1000);
  const dbAllowance = 2 * background.dbCommandsPerS * (intervalMs / 1000);
  let before = await stack.activity();
  while (Date.now() - started < capMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const after = await stack.activity();
    if (
      after.subgraphCalls === before.subgraphCalls &&
      after.cpu - before.cpu <= cpuAllowance &&
      after.dbCommands - before.dbCommands <= dbAllowance
    ) {
      return { ms: Date.now() - started, quiet: true };
    }
    before = after;
  }
  return { ms: capMs, quiet: false };
}

/**
 * Starts autocannon against a gateway with one request template whose variables are drawn fresh for every
 * request. `closed()` turns the remaining requests into `{ __typename }`: after a window closes autocannon
 * still sends until its next sampling tick, and those requests must leave no work behind for the next run.
 */
function startLoad(
  gateway: Gateway,
  workload: Workload,
  random: () => number,
  settings: { connections: number; durationS: number; timeoutS: number },
  hooks: { closed?: () => boolean; onResponse?: (status: number, body: string) => void },
  done: (error: Error | null) => void,
): Instance {
  const url = new URL(gateway.url);
  return autocannon(
    {
      url: url.origin,
      connections: settings.connections,
      duration: settings.durationS,
      timeout: settings.timeoutS,
      // autocannon notices stop() only on its sampling tick: 100 ms instead of 1 s ends each run sooner.
      sampleInt: 100,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          path: url.pathname,
          setupRequest: (request) => ({
            ...request,
            body: hooks.closed?.()
              ? TYPENAME
              : JSON.stringify({ query: workload.query, operationName: workload.operationName, variables: workload.variables(random) }),
          }),
          ...(hooks.onResponse ? { onResponse: hooks.onResponse } : {}),
        },
      ],
    },
    (error) => done(error),
  );
}

/** An unmeasured load of `warmupS` seconds, to warm the shared subgraphs and store for a workload. */
export async function warmUp(stack: Stack, gateway: Gateway, workload: Workload, options: LoadOptions): Promise<void> {
  if (options.warmupS <= 0) return;
  await waitUntilQuiet(stack, options.quietCapMs, options.background);
  const random = seededRandom(seedFor(options.seed, workload, 0));
  await new Promise<void>((resolve, reject) => {
    startLoad(gateway, workload, random, { connections: options.connections, durationS: options.warmupS, timeoutS: options.timeoutS }, {}, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

/** A seed per workload and round, the same for every gateway, so each gets the same variables in the same order. */
function seedFor(base: number, workload: Workload, round: number): number {
  return base * 1_000 + Number(workload.id.slice(1)) * 100 + round;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function measure(stack: Stack, gateway: Gateway, workload: Workload, round: number, options: LoadOptions): Promise<RunResult> {
  const quiet = await waitUntilQuiet(stack, options.quietCapMs, options.background);
  const random = seededRandom(seedFor(options.seed, workload, round));
  const loadavg1 = loadavg()[0]!;

  const tally: Tally = { errorAnswers: 0, suppressedOnlyAnswers: 0, errorCodes: {} };
  const latencies: number[] = [];
  let inWindow = false;
  let closed = false;
  let bytes = 0;
  let non2xx = 0;
  let transportErrors = 0;
  let timeouts = 0;

  let before: Promise<Counters> | undefined;
  let after: Counters | undefined;
  await new Promise<void>((resolve, reject) => {
    const instance = startLoad(
      gateway,
      workload,
      random,
      // The benchmark's own timer ends the load; autocannon's duration is only a backstop.
      { connections: options.connections, durationS: options.warmupS + options.durationS + 30, timeoutS: options.timeoutS },
      {
        closed: () => closed,
        onResponse: (status, body) => {
          if (inWindow) classify(status, body, tally);
        },
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (!inWindow) return;
      latencies.push(responseTime);
      bytes += resBytes;
      if (statusCode < 200 || statusCode >= 300) non2xx++;
    });
    instance.on('reqError', (error) => {
      if (!inWindow) return;
      transportErrors++;
      if (/timed out/i.test(error.message)) timeouts++;
    });
    const fail = (error: unknown) => {
      instance.stop();
      reject(error);
    };
    // The window opens and closes on the benchmark's clock; the counters are read at those instants (the
    // CPU times at once, the request counts as soon as the subgraphs answer over IPC).
    setTimeout(() => {
      inWindow = true;
      before = readCounters(stack, gateway);
      before.catch(fail);
      setTimeout(() => {
        inWindow = false;
        closed = true;
        readCounters(stack, gateway).then((counters) => {
          after = counters;
          instance.stop();
        }, fail);
      }, options.durationS * 1000);
    }, options.warmupS * 1000);
  });

  const start = await before!;
  const end = after!;
  const windowS = (end.at - start.at) / 1000;
  const completed = latencies.length;
  const per = (value: number) => (completed > 0 ? value / completed : Number.NaN);
  const background = options.background;
  /** A window's delta less what the idle stack would have done in the same time (never below zero). */
  const withoutBackground = (delta: number, perSecond: number) => Math.max(0, delta - perSecond * windowS);
  const sorted = latencies.sort((a, b) => a - b);
  const subgraphCallsBySubgraph = Object.fromEntries(
    Object.entries(end.subgraphCalls).map(([name, count]) => [name, count - (start.subgraphCalls[name] ?? 0)]),
  );
  return {
    workload: workload.id,
    side: gateway.side,
    configuration: gateway.id,
    round,
    windowS,
    completed,
    rps: completed / windowS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: completed > 0 ? sorted.reduce((total, value) => total + value, 0) / completed : 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
    non2xx,
    transportErrors,
    timeouts,
    errorAnswers: tally.errorAnswers,
    suppressedOnlyAnswers: tally.suppressedOnlyAnswers,
    errorCodes: tally.errorCodes,
    errors: non2xx + transportErrors + tally.errorAnswers,
    bytesPerAnswer: per(bytes),
    subgraphCallsPerRequest: per(sum(subgraphCallsBySubgraph)),
    subgraphCallsBySubgraph,
    dbCommandsPerRequest: per(withoutBackground(end.dbCommands - start.dbCommands, background.dbCommandsPerS)),
    gatewayCpuMsPerRequest: per(ticksToMs(end.gateway - start.gateway)),
    subgraphsCpuMsPerRequest: per(ticksToMs(withoutBackground(end.subgraphsCpu - start.subgraphsCpu, background.subgraphsCpuTicksPerS[gateway.figuresSource] ?? 0))),
    storeCpuMsPerRequest: per(ticksToMs(withoutBackground(end.storeCpu - start.storeCpu, background.storeCpuTicksPerS))),
    quietWaitMs: quiet.ms,
    startedQuiet: quiet.quiet,
    loadavg1,
  };
}
