import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import {
  executeGraphQL,
  failureResponse,
  HttpError,
  graphQLError,
  json,
  listen,
  parseJsonBody,
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
} from '../platform/http';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { cityAuditor, plannedServices, residentAuditPlugin, type Auditor, type AuditState } from './audit';
import { AuthenticationError, authenticate } from './authenticate';
import type { GatewayConfig } from './config';
import { applyCors } from './cors';
import { SignedDataSource, type GatewayContext } from './datasource';
import { operationLimitsPlugin } from './limits';
import { pageFor } from './pages';
import { operationRulesPlugin } from './operationRules';
import { PersistedOperations } from './persistedOperations';
import { RateLimits } from './rateLimits';
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
  log?: (line: string) => void;
  /** Extra Apollo Server plugins. */
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Where resident reads are recorded; by default the city subgraph's audit log. */
  auditor?: Auditor;
}

/** What one request learns while it runs, for the response cache and the data versions. */
export interface RequestState extends AuditState {
  operationType?: 'query' | 'mutation' | 'subscription';
  hadUncacheableErrors?: boolean;
}

export interface BuiltGateway {
  handle: HttpHandler;
  /** The URL each subgraph is reached at, after overrides. */
  subgraphUrls: Record<string, string>;
  cache: ResponseCache;
  client?: SubgraphClient;
  stop(): Promise<void>;
}

/** Notes the operation's type and whether its answer carries errors, for the cache and the versions. */
function requestStatePlugin(): ApolloServerPlugin<RequestState> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          contextValue.operationType = operation?.operation;
        },
        async willSendResponse({ response, contextValue }) {
          // Small counts withheld from the public are part of the answer for that role, the same every time;
          // any other error makes an answer one not to keep.
          contextValue.hadUncacheableErrors =
            response.body.kind !== 'single' ||
            (response.body.singleResult.errors ?? []).some((error) => error.extensions?.code !== 'SUPPRESSED_SMALL_COUNT');
        },
      };
    },
  };
}

export async function buildGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<BuiltGateway> {
  const log = options.log ?? ((line: string) => console.log(`[gateway] ${line}`));
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

  // @apollo/gateway reports usage to Apollo and probes cloud metadata servers unless told not to; a city
  // gateway on an intranet sends nothing outside, so it is told not to unless an operator says otherwise.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath, log, () => {
      supergraphLoaded = true;
    }),
    buildService({ name, url }) {
      const target = config.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`The supergraph gives no URL for subgraph "${name}"; set SUBGRAPH_URL_${name.toUpperCase()}.`);
      subgraphUrls[name] = target;
      const guard = new SubgraphGuard(name, { timeoutMs: config.subgraphTimeouts[name] ?? config.subgraphTimeoutMs, ...config.breaker });
      guards.set(name, guard);
      return new SignedDataSource(name, target, { identitySecret: config.identitySecret, client, guard: client ? guard : undefined, log });
    },
    // The cache, the versions and the audit need to know which subgraphs an operation asked; the plan says it.
    experimental_didResolveQueryPlan({ queryPlan, requestContext }) {
      (requestContext.context as RequestState).plannedServices = plannedServices(queryPlan);
    },
    logger: { debug: () => {}, info: () => {}, warn: (m) => log(`warn: ${m}`), error: (m) => log(`error: ${m}`) },
  });

  const apollo = new ApolloServer<RequestState>({
    gateway,
    plugins: [
      requestStatePlugin(),
      operationRulesPlugin(config.introspectionRoles),
      operationLimitsPlugin(config.limits),
      residentAuditPlugin(auditor, log),
      // The explorer is served from the gateway's own files, never from a CDN (see explorer.ts).
      ApolloServerPluginLandingPageDisabled(),
      ...(options.plugins ?? []),
    ],
    // Introspection is decided per role by operationRulesPlugin.
    introspection: true,
    hideSchemaDetailsFromClientErrors: config.hideSchemaDetails,
    parseOptions: { maxTokens: config.maxTokens },
    // Persisted operations come from the city's reviewed manifest only; no client registers its own.
    persistedQueries: false,
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

  async function graphql(request: HttpRequest): Promise<HttpResponse> {
    let identity;
    try {
      identity = await authenticate(request.headers, config);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return graphQLError(401, error.message, 'UNAUTHENTICATED');
    }
    const budget = await rateLimits.take(identity, clientAddress(request));
    if (!budget.allowed) {
      const response = graphQLError(429, `Too many requests: at most ${budget.limit} a minute for this client; try again in ${budget.retryAfterSeconds} s.`, 'RATE_LIMITED');
      response.headers['retry-after'] = String(budget.retryAfterSeconds);
      return response;
    }
    const raw = request.method === 'POST' ? parseJsonBody(request) : searchParams(request.search);
    const body = persisted.resolve((raw ?? {}) as Record<string, unknown>, identity.role);
    const role = cache.enabled ? cacheableRole(identity.role) : undefined;
    const key = role ? cache.key(role, body) : undefined;
    const cached = key ? cache.get(key) : undefined;
    if (cached) {
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...cacheHeaders(role!, 'hit') }, body: cached.body };
    }

    const versionsBefore = versions.snapshot();
    const state: RequestState = { identity, deadline: Date.now() + config.requestDeadlineMs };
    // A GET keeps its method (Apollo runs no mutation over GET), with the persisted operation's text put in its query string.
    const forApollo: HttpRequest = request.method === 'GET' ? { ...request, search: toSearch(body) } : request;
    const response = await executeGraphQL(apollo, forApollo, async () => state, request.method === 'GET' ? undefined : body);
    if (state.operationType === 'mutation') {
      // The agencies a mutation wrote to are asked their new version before the caller hears back, so the
      // caller's next read through this gateway never gets an answer from before its own write.
      await Promise.all([...(state.plannedServices ?? [])].map((name) => versions.refresh(name)));
    }
    if (Buffer.byteLength(response.body) > config.maxResponseBytes) {
      log(`answer of ${Buffer.byteLength(response.body)} bytes refused (MAX_RESPONSE_BYTES ${config.maxResponseBytes})`);
      return graphQLError(400, `The answer is larger than ${config.maxResponseBytes} bytes; ask for smaller pages or fewer fields.`, 'RESPONSE_TOO_LARGE');
    }
    const keep = key && response.status === 200 && state.operationType === 'query' && state.hadUncacheableErrors === false;
    const stored = keep ? cache.set(key, response.body, state.plannedServices ?? [], versionsBefore) : false;
    Object.assign(response.headers, stored ? cacheHeaders(role!, 'miss') : { 'cache-control': 'no-store' });
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
      } else if (request.path === '/graphql') {
        response = await graphql(request);
      } else if (pageFor(request.path, config)) {
        response = await pageFor(request.path, config)!.handle(request, config);
      } else {
        response = graphQLError(404, `No route ${request.path}: the gateway serves /graphql, /health and /ready.`, 'NOT_FOUND');
      }
    } catch (error) {
      response = failureResponse(error, log);
    }
    Object.assign(response.headers, cors.headers);
    return response;
  };

  let stopping: Promise<void> | undefined;
  return {
    handle,
    subgraphUrls,
    cache,
    client,
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
    const listening = await listen(built.handle, { port: config.port, host: config.host, log: options.log });
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
