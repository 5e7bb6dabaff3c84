import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import {
  executeGraphQL,
  failureResponse,
  GRAPHQL_MEDIA_TYPES,
  HttpError,
  graphQLError,
  json,
  listen,
  namesMediaType,
  parseJsonBody,
  preferredMediaType,
  type GraphQLMediaType,
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
} from '../platform/http';
import { protectSecrets, readLogSettings, resolveLogger, type Logger } from '../platform/logging';
import { GatewayMetrics, operationNameOf, readMetricsSettings, serveMetrics, type MetricsSettings, type ObservedRequest } from '../platform/metrics';
import { currentRequest } from '../platform/requestContext';
import { annotateSpan } from '../platform/tracing';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { inOrder } from './admission';
import { cityAuditor, plannedServices, residentAuditPlugin, type Auditor, type AuditState } from './audit';
import { AuthenticationError, authenticate } from './authenticate';
import type { GatewayConfig } from './config';
import { applyCors } from './cors';
import { SignedDataSource, type GatewayContext } from './datasource';
import { isExplorerRequest, serveExplorer } from './explorer/explorer';
import { costClass, operationLimitsPlugin } from './limits';
import { pageFor } from './pages';
import { operationRulesPlugin } from './operationRules';
import { PersistedOperations } from './persistedOperations';
import { RateLimits, type RateDecision } from './rateLimits';
import { checkReadiness } from './readiness';
import { cacheableRole, ResponseCache } from './responseCache';
import { SubgraphGuard } from './guard';
import { SubgraphClient } from './subgraphClient';
import { supergraphFromFile } from './supergraph';
import { DataVersions } from './versions';

/**
 * The gateway: authenticates callers, plans each operation over the committed supergraph, fetches from the
 * subgraphs with the caller's signed identity, and answers. `buildGateway` returns a handler a test can
 * call without a port; `startGateway` also listens.
 */
export interface GatewayOptions {
  /** Where the gateway logs; by default standard output, as LOG_FORMAT and LOG_LEVEL say. */
  logger?: Logger;
  /** The older way to receive log lines (JSON, one per call; tests pass `() => {}`); `logger` wins. */
  log?: (line: string) => void;
  /** Who may read /metrics and how many operation names become labels; by default as METRICS_* say (platform/metrics.ts). */
  metricsSettings?: MetricsSettings;
  /** One log line per request; by default as ACCESS_LOG says. */
  accessLog?: boolean;
  /** Extra Apollo Server plugins. */
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Where resident reads are recorded; by default the city subgraph's audit log. */
  auditor?: Auditor;
}

/** What one request learns while Apollo runs it, for the response cache and the data versions. */
export interface RequestOutcome {
  operationType?: 'query' | 'mutation' | 'subscription';
  hadUncacheableErrors?: boolean;
  /** The subgraphs the query plan asked. */
  plannedServices?: Set<string>;
}

export interface RequestState extends AuditState {
  /**
   * Apollo runs each operation with a shallow copy of the context it is handed, so whatever a plugin sets on
   * the context itself never reaches the handler that reads it after: they write here, an object the copy shares.
   */
  outcome: RequestOutcome;
}

export interface BuiltGateway {
  handle: HttpHandler;
  /** The URL each subgraph is reached at, after overrides. */
  subgraphUrls: Record<string, string>;
  cache: ResponseCache;
  client?: SubgraphClient;
  metrics: GatewayMetrics;
  logger: Logger;
  stop(): Promise<void>;
}

/** Notes the operation's type and whether its answer carries errors, for the cache and the versions. */
function requestStatePlugin(): ApolloServerPlugin<RequestState> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          contextValue.outcome.operationType = operation?.operation;
        },
        async willSendResponse({ response, contextValue }) {
          // Small counts withheld from the public are part of the answer for that role, the same every time;
          // any other error makes an answer one not to keep.
          contextValue.outcome.hadUncacheableErrors =
            response.body.kind !== 'single' ||
            (response.body.singleResult.errors ?? []).some((error) => error.extensions?.code !== 'SUPPRESSED_SMALL_COUNT');
        },
      };
    },
  };
}

/**
 * GraphQL request errors that the GraphQL response itself describes in full: a document that does not parse or
 * validate, no operation to run, variables that do not coerce. Limits, rate limits and refusals by role are the
 * gateway's policy, not request errors, and keep their 4xx whatever the media type.
 */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_USER_INPUT']);

/**
 * GraphQL-over-HTTP asks a server answering in application/json to use 200 for such request errors, since a
 * 4xx there could as well come from a proxy. A client that names application/json as the type it wants gets
 * that. A client that sends no Accept or accepts anything gets the same body with the 400 it always had:
 * since 2025 the spec reads a missing Accept as application/graphql-response+json, whose status codes these
 * are, and the gateway's existing clients rely on them.
 */
function legacyJsonStatusPlugin(): ApolloServerPlugin<RequestState> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          if (response.http.status !== 400 || response.body.kind !== 'single') return;
          if (!answersInLegacyJson(request.http?.headers.get('accept'))) return;
          const { data, errors = [] } = response.body.singleResult;
          if (data === undefined && errors.length > 0 && errors.every((error) => REQUEST_ERROR_CODES.has(String(error.extensions?.code)))) {
            response.http.status = 200;
          }
        },
      };
    },
  };
}

function answersInLegacyJson(accept: string | undefined): boolean {
  return preferredMediaType(accept, GRAPHQL_MEDIA_TYPES) === 'application/json' && namesMediaType(accept, 'application/json');
}

export async function buildGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<BuiltGateway> {
  const logger = resolveLogger('gateway', options);
  // Whatever a log line quotes, the callers' keys and the shared secrets never appear in it.
  protectSecrets([...config.apiKeys.keys(), config.identitySecret, config.jwtSecret]);
  const metricsSettings = options.metricsSettings ?? readMetricsSettings(process.env);
  const subgraphUrls: Record<string, string> = {};
  let supergraphLoaded = false;
  const auditor = options.auditor ?? cityAuditor(() => subgraphUrls.city, config.identitySecret);
  const rateLimits = new RateLimits(config.rateLimits);
  const persisted = PersistedOperations.load(config.persistedOperationsPath, config.requirePersistedOperations);
  const client =
    config.subgraphClient === 'undici'
      ? new SubgraphClient({ keepAliveMs: config.subgraphKeepAliveMs, deduplicate: config.deduplicateFetches, maxResponseBytes: config.maxResponseBytes })
      : undefined;
  const guards = new Map<string, SubgraphGuard>();
  const versions = new DataVersions(() => subgraphUrls, config.dataVersionPollMs);
  const cache = new ResponseCache({ ttlMs: config.responseCacheTtlMs, maxBytes: config.responseCacheMaxBytes }, versions);
  const metrics = new GatewayMetrics({
    knownOperations: persistedOperationNames(config.persistedOperationsPath),
    maxOperationNames: metricsSettings.maxOperationNames,
    circuits: () => [...guards].map(([name, guard]) => [name, guard.state]),
    cache: () => cache.stats(),
  });

  // @apollo/gateway reports usage to Apollo and probes cloud metadata servers unless told not to; a city
  // gateway on an intranet sends nothing outside, so it is told not to unless an operator says otherwise.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath, (line) => logger.info(line), () => {
      supergraphLoaded = true;
    }),
    buildService({ name, url }) {
      const target = config.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`The supergraph gives no URL for subgraph "${name}"; set SUBGRAPH_URL_${name.toUpperCase()}.`);
      subgraphUrls[name] = target;
      const guard = new SubgraphGuard(name, { timeoutMs: config.subgraphTimeouts[name] ?? config.subgraphTimeoutMs, ...config.breaker });
      guard.onStateChange((state) => {
        if (state === 'open') {
          metrics.circuitOpened(name);
          logger.warn({ subgraph: name, circuit: state }, `circuit of subgraph ${name} opened after repeated failures: it is not asked for ${config.breaker.resetMs} ms`);
        } else if (state === 'closed') {
          logger.info({ subgraph: name, circuit: state }, `circuit of subgraph ${name} closed: it answers again`);
        }
      });
      guards.set(name, guard);
      return new SignedDataSource(name, target, { identitySecret: config.identitySecret, client, guard: client ? guard : undefined, logger, metrics });
    },
    // The cache, the versions and the audit need to know which subgraphs an operation asked; the plan says it.
    experimental_didResolveQueryPlan({ queryPlan, requestContext }) {
      const context = requestContext.context as RequestState;
      context.plannedServices = plannedServices(queryPlan);
      context.outcome.plannedServices = context.plannedServices;
    },
    logger: { debug: () => {}, info: () => {}, warn: (message) => logger.warn(String(message)), error: (message) => logger.error(String(message)) },
    // Spans of @apollo/gateway (gateway.request, .plan, .fetch, ...) when a tracer provider is registered; the
    // document and error messages stay out of them, as they may quote personal data.
    telemetry: { includeDocument: false, recordExceptions: false },
  });

  const apollo = new ApolloServer<RequestState>({
    gateway,
    plugins: [
      requestStatePlugin(),
      legacyJsonStatusPlugin(),
      // The audit writes a resident read's entry only once the rules and the limits let the operation through.
      inOrder<RequestState>(operationRulesPlugin(config.introspectionRoles), operationLimitsPlugin(config.limits), residentAuditPlugin(auditor, (line) => logger.warn(line))),
      // The explorer is served from the gateway's own files, never from a CDN (see explorer/explorer.ts).
      ApolloServerPluginLandingPageDisabled(),
      ...(options.plugins ?? []),
    ],
    // Introspection is decided per role by operationRulesPlugin.
    introspection: true,
    hideSchemaDetailsFromClientErrors: config.hideSchemaDetails,
    parseOptions: { maxTokens: config.maxTokens },
    // Persisted operations come from the city's reviewed manifest only; no client registers its own.
    persistedQueries: false,
    // Apollo's CSRF check refuses a GET without a special header, for servers that trust cookies. This one
    // takes credentials only from the x-api-key and Authorization headers, which no cross-site page can set
    // without a CORS preflight; a POST must be JSON (415 otherwise, so a plain HTML form is refused before
    // anything runs) and a GET runs no mutation (405). A cross-site GET is therefore a public query whose
    // answer the page cannot read, and GET stays open to plain GraphQL-over-HTTP clients.
    csrfPrevention: false,
    formatError: (formatted) => renameTokenLimit(formatted),
    includeStacktraceInErrorResponses: false,
    // The process entry stops everything in order on SIGTERM/SIGINT; Apollo must not race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  if (cache.enabled) versions.start();

  function clientAddress(request: HttpRequest): string | undefined {
    const forwarded = config.trustProxy ? request.headers['x-forwarded-for']?.split(',')[0]?.trim() : undefined;
    return forwarded || request.remoteAddress;
  }

  /**
   * Answers one /graphql request in the media type its Accept prefers (406, before anything runs, when it accepts
   * neither), noting in `observed` what the metrics count it by.
   */
  async function graphql(request: HttpRequest, observed: ObservedRequest): Promise<HttpResponse> {
    const mediaType = preferredMediaType(request.headers.accept, GRAPHQL_MEDIA_TYPES);
    if (!mediaType) {
      const refusal = graphQLError(406, `The Accept header "${request.headers.accept}" accepts neither ${GRAPHQL_MEDIA_TYPES.join(' nor ')}, the media types a GraphQL answer comes in.`, 'NOT_ACCEPTABLE');
      refusal.headers.vary = 'accept';
      return refusal;
    }
    let response: HttpResponse;
    try {
      response = await answer(request, observed);
    } catch (error) {
      response = failureResponse(error, logger);
    }
    return inMediaType(response, mediaType);
  }

  async function answer(request: HttpRequest, observed: ObservedRequest): Promise<HttpResponse> {
    let identity;
    try {
      identity = await authenticate(request.headers, config);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      // Wrong credentials spend a small budget of their own per address, so a key or token cannot be guessed at speed.
      const guesses = await rateLimits.takeWrongCredentials(clientAddress(request));
      if (!guesses.allowed) return tooManyRequests(guesses, 'requests with wrong credentials');
      return graphQLError(401, error.message, 'UNAUTHENTICATED');
    }
    observed.roleClass = costClass(identity.role);
    const budget = await rateLimits.take(identity, clientAddress(request));
    if (!budget.allowed) return tooManyRequests(budget, 'requests');
    const raw = request.method === 'POST' ? parseJsonBody(request) : searchParams(request.search);
    if (raw && typeof raw === 'object') observed.operationName = operationNameOf(raw as Record<string, unknown>);
    const body = persisted.resolve((raw ?? {}) as Record<string, unknown>, identity.role);
    observed.operationName ??= operationNameOf(body);
    const role = cache.enabled ? cacheableRole(identity.role) : undefined;
    const key = role ? cache.key(role, body) : undefined;
    const cached = key ? cache.get(key) : undefined;
    if (key) {
      metrics.cacheLookup(role!, cached ? 'hit' : 'miss');
      observed.cache = cached ? 'hit' : 'miss';
    }
    if (cached) {
      return { status: 200, headers: { ...cacheHeaders(role!, 'hit') }, body: cached.body };
    }

    const versionsBefore = versions.snapshot();
    const state: RequestState = { identity, deadline: Date.now() + config.requestDeadlineMs, outcome: {} };
    const { outcome } = state;
    // A GET keeps its method (Apollo runs no mutation over GET), with the persisted operation's text put in its query string.
    const forApollo: HttpRequest = request.method === 'GET' ? { ...request, search: toSearch(body) } : request;
    const response = await executeGraphQL(apollo, forApollo, async () => state, request.method === 'GET' ? undefined : body);
    observed.partial = outcome.hadUncacheableErrors;
    if (outcome.operationType === 'mutation') {
      // The agencies a mutation wrote to are asked their new version before the caller hears back, so the
      // caller's next read through this gateway never gets an answer from before its own write.
      await Promise.all([...(outcome.plannedServices ?? [])].map((name) => versions.refresh(name)));
    }
    if (Buffer.byteLength(response.body) > config.maxResponseBytes) {
      logger.warn({ bytes: Buffer.byteLength(response.body), limit: config.maxResponseBytes }, `answer of ${Buffer.byteLength(response.body)} bytes refused (MAX_RESPONSE_BYTES ${config.maxResponseBytes})`);
      return graphQLError(400, `The answer is larger than ${config.maxResponseBytes} bytes; ask for smaller pages or fewer fields.`, 'RESPONSE_TOO_LARGE');
    }
    const keep = key && response.status === 200 && outcome.operationType === 'query' && outcome.hadUncacheableErrors === false;
    const stored = keep ? cache.set(key, response.body, outcome.plannedServices ?? [], versionsBefore) : false;
    Object.assign(response.headers, stored ? cacheHeaders(role!, 'miss') : { 'cache-control': 'no-store' });
    return response;
  }

  /**
   * Every answer at /graphql, the gateway's own refusals and cached answers included, in the negotiated media
   * type; the same URL also serves the explorer's page to browsers, so shared caches key on Accept too.
   */
  function inMediaType(response: HttpResponse, mediaType: GraphQLMediaType): HttpResponse {
    // An incremental (multipart) answer keeps the type Apollo gave it.
    if (!/^multipart\//i.test(response.headers['content-type'] ?? '')) response.headers['content-type'] = `${mediaType}; charset=utf-8`;
    response.headers.vary = mergeVary(response.headers.vary, 'accept');
    return response;
  }

  function cacheHeaders(role: 'public' | 'dashboard', outcome: 'hit' | 'miss'): Record<string, string> {
    // Shared caches may keep public answers; a dashboard's answer is its own. Either for at most one poll
    // interval, since only this gateway learns when an agency's data changed.
    const maxAge = Math.max(1, Math.floor(Math.min(cache.ttlMs, config.dataVersionPollMs) / 1000));
    return { 'cache-control': `${role === 'public' ? 'public' : 'private'}, max-age=${maxAge}`, 'x-kediri-cache': outcome };
  }

  const handle: HttpHandler = async (request) => {
    const cors = applyCors(request, config.corsOrigins);
    if (cors.preflight) return cors.preflight;
    let response: HttpResponse;
    try {
      if (request.path === '/health') {
        response = json(200, { status: 'ok' });
      } else if (request.path === '/ready') {
        const circuits = Object.fromEntries([...guards].map(([name, guard]) => [name, guard.state]));
        const readiness = await checkReadiness(supergraphLoaded, subgraphUrls, circuits);
        response = json(readiness.ready ? 200 : 503, readiness);
      } else if (isExplorerRequest(request, config)) {
        response = await serveExplorer(request, config);
      } else if (request.path === '/graphql') {
        response = await observedGraphql(request);
      } else if (request.path === '/metrics') {
        response = await serveMetrics(request, metrics.registry, metricsSettings.access);
      } else if (pageFor(request.path, config)) {
        response = await pageFor(request.path, config)!.handle(request, config);
      } else {
        response = graphQLError(404, `No route ${request.path}: the gateway serves /graphql, /health, /ready and /metrics.`, 'NOT_FOUND');
      }
    } catch (error) {
      response = failureResponse(error, logger);
    }
    const { vary, ...corsHeaders } = cors.headers;
    Object.assign(response.headers, corsHeaders);
    if (vary) response.headers.vary = mergeVary(response.headers.vary, vary);
    return response;
  };

  /** A /graphql request, counted in the metrics and described to its span and access log line once answered. */
  async function observedGraphql(request: HttpRequest): Promise<HttpResponse> {
    const observed: ObservedRequest = { roleClass: 'public' };
    const started = performance.now();
    let response: HttpResponse;
    try {
      response = await graphql(request, observed);
    } catch (error) {
      response = failureResponse(error, logger);
    }
    const operation = metrics.observeRequest(observed, response, (performance.now() - started) / 1000);
    const notes = currentRequest()?.notes;
    if (notes) Object.assign(notes, { operation, roleClass: observed.roleClass, ...(observed.cache ? { cache: observed.cache } : {}) });
    annotateSpan({ 'graphql.operation.name': operation, 'kediri.role_class': observed.roleClass, ...(observed.cache ? { 'kediri.cache': observed.cache } : {}) });
    return response;
  }

  let stopping: Promise<void> | undefined;
  return {
    handle,
    subgraphUrls,
    cache,
    client,
    metrics,
    logger,
    stop() {
      stopping ??= (async () => {
        versions.stop();
        await apollo.stop();
        await client?.close();
      })();
      return stopping;
    },
  };
}

export interface RunningGateway extends BuiltGateway {
  url: string;
  port: number;
}

/** Builds the gateway over the committed supergraph and starts listening. Resolves once it serves. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const built = await buildGateway(config, options);
  try {
    const listening = await listen(built.handle, {
      port: config.port,
      host: config.host,
      logger: built.logger,
      accessLog: options.accessLog ?? readLogSettings().accessLog,
    });
    return {
      ...built,
      url: `${listening.origin}/graphql`,
      port: listening.port,
      stop: async () => {
        await listening.close();
        await built.stop();
      },
    };
  } catch (error) {
    await built.stop();
    throw error;
  }
}

/** The names of the persisted operations (always metric labels); none when the manifest is absent. */
function persistedOperationNames(path: string): string[] {
  if (!existsSync(path)) return [];
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { operations?: { name?: unknown }[] };
  return (manifest.operations ?? []).map((operation) => operation.name).filter((name): name is string => typeof name === 'string');
}

/** A Vary header naming both lists' headers once each. */
function mergeVary(current: string | undefined, more: string): string {
  const names = [...(current ?? '').split(','), ...more.split(',')].map((name) => name.trim().toLowerCase()).filter(Boolean);
  return [...new Set(names)].join(', ');
}

/** The operation of a GET request, from its query string. */
function searchParams(search: string): Record<string, unknown> {
  const params = new URLSearchParams(search);
  const body: Record<string, unknown> = {};
  for (const name of ['query', 'operationName', 'documentId']) {
    const value = params.get(name);
    if (value !== null) body[name] = value;
  }
  for (const name of ['variables', 'extensions']) {
    const value = params.get(name);
    if (value === null) continue;
    try {
      body[name] = JSON.parse(value);
    } catch {
      throw new HttpError(400, `The ${name} parameter is not valid JSON.`);
    }
  }
  return body;
}

function toSearch(body: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (value !== undefined) params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return `?${params}`;
}

/** graphql-js's token limit speaks of parsing; callers get a code that names the limit. */
function renameTokenLimit(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!/Document contains more that \d+ tokens/.test(formatted.message)) return formatted;
  return { ...formatted, message: formatted.message.replace('more that', 'more than'), extensions: { ...formatted.extensions, code: 'TOO_MANY_TOKENS' } };
}

/** HTTP 429 with Retry-After, saying which budget was spent. */
function tooManyRequests(budget: RateDecision, what: string): HttpResponse {
  const response = graphQLError(429, `Too many ${what}: at most ${budget.limit} a minute for this client; try again in ${budget.retryAfterSeconds} s.`, 'RATE_LIMITED');
  response.headers['retry-after'] = String(budget.retryAfterSeconds);
  return response;
}
