import { createHash, timingSafeEqual } from 'node:crypto';
import promClient, { type Counter, type Histogram, type Registry } from 'prom-client';
import { readFlag, readInteger, requireSecret } from './config';
import { graphQLError, type HttpRequest, type HttpResponse } from './http';

/**
 * What the city's services count, in Prometheus text at /metrics: each service (the gateway, each subgraph)
 * has its own registry, so several of them in one test process keep their counts apart; prom-client's
 * default process metrics (CPU, memory, event loop lag, GC) are collected once per process and appended.
 *
 * Label values are bounded: an operation name is the caller's to choose, so only the persisted operations'
 * names and the first few hundred other well-formed names become labels; every other name counts as "other"
 * (and a request without one as "anonymous"). Error codes and database command names are bounded the same way.
 * Durations are histograms, which cost an array increment per observation and aggregate across replicas.
 */
const { Counter: CounterMetric, Gauge: GaugeMetric, Histogram: HistogramMetric, Registry: RegistryClass, collectDefaultMetrics } = promClient;

/** From half a millisecond (a cached answer) to the 15 s request deadline. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];
/** A database command: from a tenth of a millisecond (an indexed lookup) to seconds (a full scan). */
const DATABASE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let processRegistry: Registry | undefined;

/** prom-client's default metrics of this process, collected once however many services it runs. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new RegistryClass();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A service's metrics and the process's, as one Prometheus text exposition. */
export async function exposition(registry: Registry): Promise<string> {
  const own = await registry.metrics();
  const process = await processMetrics().metrics();
  return own === '' || own.endsWith('\n') ? own + process : `${own}\n${process}`;
}

/**
 * Who may read /metrics. In development anyone; in production no one (the route answers 404 as if absent)
 * unless METRICS_PUBLIC=true, or METRICS_TOKEN is set, in which case the scraper sends
 * `Authorization: Bearer <token>`. A token, once set, is required in development too.
 */
export type MetricsAccess = { mode: 'open' } | { mode: 'hidden' } | { mode: 'token'; token: string };

export function readMetricsAccess(env: NodeJS.ProcessEnv = process.env): MetricsAccess {
  if (env.METRICS_TOKEN) return { mode: 'token', token: requireSecret(env, 'METRICS_TOKEN') };
  return readFlag(env, 'METRICS_PUBLIC', env.NODE_ENV !== 'production') ? { mode: 'open' } : { mode: 'hidden' };
}

export interface MetricsSettings {
  access: MetricsAccess;
  /** How many operation names besides the persisted operations' may become labels (METRICS_OPERATION_NAMES). */
  maxOperationNames: number;
}

export function readMetricsSettings(env: NodeJS.ProcessEnv = process.env): MetricsSettings {
  return { access: readMetricsAccess(env), maxOperationNames: readInteger(env, 'METRICS_OPERATION_NAMES', 200, { min: 0, max: 1_000 }) };
}

function sameSecret(given: string, expected: string): boolean {
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The answer to GET /metrics, after checking who asks. */
export async function serveMetrics(request: HttpRequest, registry: Registry, access: MetricsAccess): Promise<HttpResponse> {
  if (access.mode === 'hidden') return graphQLError(404, 'No route /metrics.', 'NOT_FOUND');
  if (access.mode === 'token') {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match || !sameSecret(match[1], access.token)) {
      const refused = graphQLError(401, 'The metrics need the scraper token: send "Authorization: Bearer <METRICS_TOKEN>".', 'UNAUTHENTICATED');
      refused.headers['www-authenticate'] = 'Bearer realm="metrics"';
      return refused;
    }
  }
  return { status: 200, headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' }, body: await exposition(registry) };
}

/**
 * A label whose values come from outside (a caller, a driver): values matching `pattern` are kept up to
 * `limit` distinct ones, and every other value is `overflow`.
 */
class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly pattern: RegExp,
    private readonly limit: number,
    private readonly overflow = 'other',
  ) {}

  /** The label of `value`; a value not seen before takes a slot only when `admit` is true. */
  of(value: string, admit = true): string {
    if (this.seen.has(value)) return value;
    if (!admit || this.seen.size >= this.limit || !this.pattern.test(value)) return this.overflow;
    this.seen.add(value);
    return value;
  }
}

const WELL_FORMED_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/**
 * Operation names as labels: the persisted operations' names always; other well-formed names only from
 * requests that were served (so refused junk takes no slot), the first `limit` of them; the rest "other".
 */
export class OperationNames {
  private readonly known: ReadonlySet<string>;
  private readonly others: BoundedLabel;

  constructor(known: Iterable<string>, limit = 200) {
    this.known = new Set(known);
    this.others = new BoundedLabel(WELL_FORMED_NAME, limit);
  }

  label(name: string | undefined, admit: boolean): string {
    if (!name) return 'anonymous';
    if (this.known.has(name)) return name;
    return this.others.of(name, admit);
  }
}

const NAMED_OPERATION = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** The operation's name: the request's operationName, else the name of the document's first operation. */
export function operationNameOf(body: { operationName?: unknown; query?: unknown }): string | undefined {
  if (typeof body.operationName === 'string' && body.operationName) return body.operationName;
  if (typeof body.query !== 'string') return undefined;
  return NAMED_OPERATION.exec(body.query.slice(0, 300))?.[1];
}

/** The codes of the gateway's limits: a refusal with one of these counts in kediri_gateway_limit_refusals_total. */
export const LIMIT_CODES: ReadonlySet<string> = new Set([
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_FIELDS',
  'TOO_MANY_ROOT_FIELDS',
  'TOO_MANY_DIRECTIVES',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_TOKENS',
  'RESPONSE_TOO_LARGE',
  'RATE_LIMITED',
  'PERSISTED_QUERY_REQUIRED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_MISMATCH',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The `extensions.code` of the first error of a GraphQL error answer, if it has one. */
export function errorCodeOf(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] })?.errors?.[0]?.extensions?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export type RoleClass = 'public' | 'dashboard' | 'staff';
export type RequestOutcome = 'ok' | 'partial' | 'refused' | 'failed';
export type FetchErrorKind = 'timeout' | 'unavailable' | 'circuit_open' | 'graphql_error';
type CircuitStateName = 'closed' | 'half-open' | 'open';

const CIRCUIT_VALUES: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What the gateway learns about one /graphql request while answering it. */
export interface ObservedRequest {
  roleClass: RoleClass;
  operationName?: string;
  /** Answered, but with errors (a subgraph down, a field refused). */
  partial?: boolean;
  /** Whether the response cache had the answer (public and dashboard queries only). */
  cache?: 'hit' | 'miss';
}

export interface GatewayMetricsOptions {
  /** The persisted operations' names: always labels. */
  knownOperations: Iterable<string>;
  /** How many other operation names may become labels. */
  maxOperationNames?: number;
  /** Each subgraph's circuit, read at scrape time. */
  circuits: () => Iterable<[string, CircuitStateName]>;
  /** The response cache's size, read at scrape time. */
  cache: () => { entries: number; bytes: number };
}

function outcomeOf(status: number, partial: boolean | undefined): RequestOutcome {
  if (status >= 500) return 'failed';
  if (status >= 400) return 'refused';
  return partial ? 'partial' : 'ok';
}

export class GatewayMetrics {
  readonly registry: Registry = new RegistryClass();
  readonly operationNames: OperationNames;
  private readonly requests: Counter<'operation' | 'role_class' | 'outcome'>;
  private readonly durations: Histogram<'operation' | 'role_class'>;
  private readonly refusals: Counter<'code'>;
  private readonly cacheLookups: Counter<'role_class' | 'result'>;
  private readonly fetchDurations: Histogram<'subgraph'>;
  private readonly fetchErrors: Counter<'subgraph' | 'kind'>;
  private readonly shared: Counter<'subgraph'>;
  private readonly circuitOpenings: Counter<'subgraph'>;

  constructor(options: GatewayMetricsOptions) {
    const registers = [this.registry];
    this.operationNames = new OperationNames(options.knownOperations, options.maxOperationNames);
    this.requests = new CounterMetric({
      name: 'kediri_gateway_requests_total',
      help: 'GraphQL requests answered, by operation name, role class and outcome (ok, partial: answered with errors, refused: 4xx, failed: 5xx).',
      labelNames: ['operation', 'role_class', 'outcome'],
      registers,
    });
    this.durations = new HistogramMetric({
      name: 'kediri_gateway_request_duration_seconds',
      help: 'Time to answer a GraphQL request, cached answers included, by operation name and role class.',
      labelNames: ['operation', 'role_class'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.refusals = new CounterMetric({
      name: 'kediri_gateway_limit_refusals_total',
      help: 'Requests refused by a limit, by the code that names it (QUERY_TOO_DEEP, RATE_LIMITED, PERSISTED_QUERY_REQUIRED, ...).',
      labelNames: ['code'],
      registers,
    });
    this.cacheLookups = new CounterMetric({
      name: 'kediri_gateway_response_cache_lookups_total',
      help: 'Response cache lookups for public and dashboard queries, by role class and result (hit or miss).',
      labelNames: ['role_class', 'result'],
      registers,
    });
    new GaugeMetric({
      name: 'kediri_gateway_response_cache_entries',
      help: 'Answers held in the response cache.',
      registers,
      collect() {
        this.set(options.cache().entries);
      },
    });
    new GaugeMetric({
      name: 'kediri_gateway_response_cache_bytes',
      help: 'Bytes of answers held in the response cache.',
      registers,
      collect() {
        this.set(options.cache().bytes);
      },
    });
    this.fetchDurations = new HistogramMetric({
      name: 'kediri_gateway_subgraph_fetch_duration_seconds',
      help: 'Time from asking a subgraph to its answer (or failure), retries included; fetches refused by an open circuit are not timed.',
      labelNames: ['subgraph'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.fetchErrors = new CounterMetric({
      name: 'kediri_gateway_subgraph_fetch_errors_total',
      help: 'Subgraph fetches that failed, by subgraph and kind: timeout, unavailable, circuit_open, graphql_error.',
      labelNames: ['subgraph', 'kind'],
      registers,
    });
    this.shared = new CounterMetric({
      name: 'kediri_gateway_subgraph_fetches_shared_total',
      help: 'Subgraph fetches not sent because an identical one was in flight, whose answer they shared.',
      labelNames: ['subgraph'],
      registers,
    });
    new GaugeMetric({
      name: 'kediri_gateway_subgraph_circuit_state',
      help: "Each subgraph's circuit breaker: 0 closed, 1 half-open, 2 open.",
      labelNames: ['subgraph'],
      registers,
      collect() {
        this.reset();
        for (const [subgraph, state] of options.circuits()) this.set({ subgraph }, CIRCUIT_VALUES[state]);
      },
    });
    this.circuitOpenings = new CounterMetric({
      name: 'kediri_gateway_subgraph_circuit_opened_total',
      help: "Times a subgraph's circuit breaker opened after repeated failures.",
      labelNames: ['subgraph'],
      registers,
    });
  }

  /** Counts one /graphql request once answered; returns the operation label it was counted under. */
  observeRequest(observed: ObservedRequest, response: HttpResponse, seconds: number): string {
    const operation = this.operationNames.label(observed.operationName, response.status < 400);
    const role_class = observed.roleClass;
    this.requests.inc({ operation, role_class, outcome: outcomeOf(response.status, observed.partial) });
    this.durations.observe({ operation, role_class }, seconds);
    if (response.status >= 400 && response.status < 500) {
      const code = errorCodeOf(response.body);
      if (code && LIMIT_CODES.has(code)) this.refusals.inc({ code });
    }
    return operation;
  }

  cacheLookup(roleClass: RoleClass, result: 'hit' | 'miss'): void {
    this.cacheLookups.inc({ role_class: roleClass, result });
  }

  fetched(subgraph: string, seconds: number): void {
    this.fetchDurations.observe({ subgraph }, seconds);
  }

  fetchFailed(subgraph: string, kind: FetchErrorKind): void {
    this.fetchErrors.inc({ subgraph, kind });
  }

  fetchShared(subgraph: string): void {
    this.shared.inc({ subgraph });
  }

  circuitOpened(subgraph: string): void {
    this.circuitOpenings.inc({ subgraph });
  }
}

export type WriteUnitOutcome = 'committed' | 'retried' | 'failed';

export class SubgraphMetrics {
  readonly registry: Registry = new RegistryClass();
  private readonly requests: Counter<'outcome'>;
  private readonly durations: Histogram;
  private readonly errors: Counter<'code'>;
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly commandDurations: Histogram<'command'>;
  private readonly writeUnits: Counter<'outcome'>;
  private readonly errorCodes = new BoundedLabel(/^[A-Z][A-Z0-9_]{0,49}$/, 50);
  private readonly commandNames = new BoundedLabel(/^[A-Za-z]{1,40}$/, 60);

  constructor(readonly subgraph: string) {
    const registers = [this.registry];
    // Every series says which subgraph it is from, so dashboards can sum or split the seven of them.
    this.registry.setDefaultLabels({ subgraph });
    this.requests = new CounterMetric({
      name: 'kediri_subgraph_requests_total',
      help: 'GraphQL requests answered, by outcome (ok, refused: 4xx, failed: 5xx).',
      labelNames: ['outcome'],
      registers,
    });
    this.durations = new HistogramMetric({
      name: 'kediri_subgraph_request_duration_seconds',
      help: 'Time to answer a GraphQL request from the gateway.',
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.errors = new CounterMetric({
      name: 'kediri_subgraph_graphql_errors_total',
      help: 'GraphQL errors in answers, by extensions.code (BAD_USER_INPUT, FORBIDDEN, INTERNAL_SERVER_ERROR, ...).',
      labelNames: ['code'],
      registers,
    });
    this.commands = new CounterMetric({
      name: 'kediri_subgraph_db_commands_total',
      help: 'Database commands sent by the MongoDB driver, by command name (find, aggregate, insert, ...) and outcome (ok, failed).',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.commandDurations = new HistogramMetric({
      name: 'kediri_subgraph_db_command_duration_seconds',
      help: 'Time from sending a database command to its reply, by command name.',
      labelNames: ['command'],
      buckets: DATABASE_BUCKETS,
      registers,
    });
    this.writeUnits = new CounterMetric({
      name: 'kediri_subgraph_write_units_total',
      help: 'Write units (one transaction each): committed, retried (a run again after a write conflict or a duplicate key), failed.',
      labelNames: ['outcome'],
      registers,
    });
  }

  observeRequest(status: number, seconds: number): void {
    this.requests.inc({ outcome: outcomeOf(status, false) });
    this.durations.observe(seconds);
  }

  graphqlErrors(codes: Iterable<string>): void {
    for (const code of codes) this.errors.inc({ code: this.errorCodes.of(code) });
  }

  databaseCommand(commandName: string, outcome: 'ok' | 'failed', milliseconds: number): void {
    const command = this.commandNames.of(commandName);
    this.commands.inc({ command, outcome });
    this.commandDurations.observe({ command }, milliseconds / 1000);
  }

  writeUnit(outcome: WriteUnitOutcome): void {
    this.writeUnits.inc({ outcome });
  }
}
