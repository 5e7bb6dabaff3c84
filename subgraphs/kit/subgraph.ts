import { performance } from 'node:perf_hooks';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import type { GraphQLFormattedError } from 'graphql';
import type { Connection } from 'mongoose';
import {
  executeGraphQL,
  failureResponse,
  graphQLError,
  json,
  listen,
  parseJsonBody,
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
} from '../../platform/http';
import { IDENTITY_HEADER, IdentityError, verifyIdentity, type Identity, type VerifiedIdentity } from '../../platform/identity';
import { protectSecrets, readLogSettings, resolveLogger, type Logger } from '../../platform/logging';
import { readMetricsAccess, serveMetrics, SubgraphMetrics, type MetricsAccess } from '../../platform/metrics';
import type { AgencyContext, AgencyDefinition, ModelMap, Secrets } from './agency';
import { connectAgencyDatabase, ensureIndexes, monitorCommands, pingDatabase } from './database';
import { entityReferenceResolvers, mergeResolvers } from './entities';
import { ResidentGrantError, requireResidentGrant } from './grants';
import type { FiguresSource } from './pillar';
import { readDataVersion, readModelModels, type ReadModelModels } from './readModel';
import { ensureReadModel, seedIfEmpty } from './seeding';
import { runWriteUnit } from './writes';

/**
 * Building a subgraph is separate from listening: `buildSubgraph` returns a handler a test can call without a
 * port, `serveSubgraph` puts it on one. The kit answers /graphql (after checking the gateway's signed
 * identity and, for a resident's personal data, its grant), /health (the database answers a ping within
 * a second), /version (the agency's data version, which the gateway's response cache follows) and /metrics
 * (requests, GraphQL errors, database commands and write units, in Prometheus text).
 */
export interface SubgraphDeps {
  /** An open connection to the agency's database (see database.ts). */
  connection: Connection;
  identitySecret: string;
  secrets: Secrets;
  /** Where scorecard figures come from; the read model unless a benchmark or check asks for raw aggregation. */
  figuresSource?: FiguresSource;
  /** Write the sample data (and its read model) first when the agency's database is empty. */
  seedIfEmpty?: boolean;
  /** Where the subgraph logs; by default standard output, as LOG_FORMAT and LOG_LEVEL say. */
  logger?: Logger;
  /** The older way to receive log lines (JSON, one per call; tests pass `() => {}`); `logger` wins. */
  log?: (line: string) => void;
  /** The subgraph's metrics, when the process made them before building it (to serve /metrics while starting). */
  metrics?: SubgraphMetrics;
  /** Who may read /metrics; by default as METRICS_TOKEN and METRICS_PUBLIC say. */
  metricsAccess?: MetricsAccess;
}

export interface BuiltSubgraph<Models extends ModelMap = ModelMap> {
  name: string;
  models: Models & ReadModelModels;
  connection: Connection;
  handle: HttpHandler;
  metrics: SubgraphMetrics;
  logger: Logger;
  /** Runs a write unit outside any request, as a mutation would (scripts, tests). */
  transaction: AgencyContext<Models>['transaction'];
  /** Stops the GraphQL server; the connection belongs to whoever opened it. */
  stop(): Promise<void>;
}

/** How long /health waits for the database to answer a ping before saying it is unavailable. */
const HEALTH_PING_TIMEOUT_MS = 1_000;

export async function buildSubgraph<Models extends ModelMap, Loaders>(
  definition: AgencyDefinition<Models, Loaders>,
  deps: SubgraphDeps,
): Promise<BuiltSubgraph<Models>> {
  const logger = resolveLogger(definition.name, deps);
  for (const secret of definition.requiredSecrets ?? []) {
    const variable = secret.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
    if (!deps.secrets[secret]) throw new Error(`The ${definition.name} subgraph needs ${variable} (a random secret of at least 32 characters), which is not set.`);
  }
  protectSecrets([deps.identitySecret, deps.secrets.residentIdSecret, deps.secrets.auditSecret]);
  const metrics = deps.metrics ?? new SubgraphMetrics(definition.name);
  const metricsAccess = deps.metricsAccess ?? readMetricsAccess(process.env);
  const { connection } = deps;
  const stopMonitoring = monitorCommands(connection, metrics);
  const models = { ...definition.models(connection), ...readModelModels(connection) } as Models & ReadModelModels;
  await ensureIndexes(models);
  if (deps.seedIfEmpty) {
    const written = await seedIfEmpty(definition, models, deps.secrets);
    if (written) logger.info({ written }, `seeded sample data: ${Object.entries(written).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
  }
  if (definition.pillar) {
    const rebuilt = await ensureReadModel(definition, models);
    if (rebuilt !== undefined) logger.info(`read model rebuilt from the raw records: ${rebuilt} figure documents`);
  }
  const source = deps.figuresSource ?? 'read-model';
  const transaction: AgencyContext<Models>['transaction'] = (work, options) =>
    runWriteUnit({ agency: definition.name, connection, models, pillar: definition.pillar, observe: (outcome) => metrics.writeUnit(outcome) }, work, options);

  const resolvers = mergeResolvers(
    entityReferenceResolvers(definition.typeDefs),
    definition.pillar?.resolvers() ?? {},
    definition.resolvers as Record<string, Record<string, unknown>>,
  );
  const apollo = new ApolloServer<AgencyContext<Models, Loaders>>({
    schema: buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: resolvers as never }),
    // Inline traces serve Apollo's hosted metrics service, which the city does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled(), errorCountPlugin(metrics)],
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskUnexpectedError(formatted, error, definition.name, (line) => logger.error(line)),
    // The process entry stops everything in order on SIGTERM/SIGINT; Apollo must not race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  const noFigures = new DataLoader<string, never>(async () => {
    throw new Error(`The ${definition.name} subgraph reports on no pillar.`);
  });

  const contextFor = (identity: Identity): AgencyContext<Models, Loaders> => ({
    agency: definition.name,
    identity,
    models,
    loaders: definition.loaders(models, identity),
    figures: definition.pillar ? definition.pillar.loader(models, source) : noFigures,
    secrets: deps.secrets,
    transaction,
  });

  /** The gateway's signed identity for this request: for /graphql the audience is the subgraph, for other routes the subgraph and the path. */
  function verify(request: HttpRequest, audience: string): VerifiedIdentity | HttpResponse {
    try {
      return verifyIdentity(request.headers[IDENTITY_HEADER], deps.identitySecret, { audience, body: request.body });
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      return graphQLError(401, `Refused: ${error.message}.`, 'UNAUTHENTICATED');
    }
  }

  async function graphql(request: HttpRequest): Promise<HttpResponse> {
    const verified = verify(request, definition.name);
    if (!('identity' in verified)) return verified;
    const body = parseJsonBody(request);
    try {
      requireResidentGrant(body, verified.grant);
    } catch (error) {
      if (!(error instanceof ResidentGrantError)) throw error;
      return graphQLError(403, error.message, 'FORBIDDEN');
    }
    return executeGraphQL(apollo, request, async () => contextFor(verified.identity), body);
  }

  /** A /graphql request, timed and counted by outcome. */
  async function observedGraphql(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    let response: HttpResponse;
    try {
      response = await graphql(request);
    } catch (error) {
      response = failureResponse(error, logger);
    }
    metrics.observeRequest(response.status, (performance.now() - started) / 1000);
    return response;
  }

  const handle: HttpHandler = async (request) => {
    try {
      if (request.path === '/metrics') return await serveMetrics(request, metrics.registry, metricsAccess);
      if (request.path === '/health') {
        const up = await pingDatabase(connection, HEALTH_PING_TIMEOUT_MS);
        return json(up ? 200 : 503, { status: up ? 'ok' : 'database unavailable', subgraph: definition.name });
      }
      if (request.path === '/version') {
        return json(200, { subgraph: definition.name, dataVersion: await readDataVersion(models, definition.name) });
      }
      if (request.path === '/graphql') return await observedGraphql(request);
      const route = definition.routes?.[request.path];
      if (route) {
        const verified = verify(request, `${definition.name}:${request.path}`);
        return 'identity' in verified ? await route(request, contextFor(verified.identity)) : verified;
      }
      return graphQLError(404, `No route ${request.path}: the subgraph serves /graphql, /health, /version and /metrics.`, 'NOT_FOUND');
    } catch (error) {
      return failureResponse(error, logger);
    }
  };

  return {
    name: definition.name,
    models,
    connection,
    handle,
    metrics,
    logger,
    transaction,
    async stop() {
      stopMonitoring();
      await apollo.stop();
    },
  };
}

/** Counts the errors of each answer by their code, as the caller sees them (after masking). */
function errorCountPlugin(metrics: SubgraphMetrics): ApolloServerPlugin<any> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (errors?.length) metrics.graphqlErrors(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')));
        },
      };
    },
  };
}

export interface ServedSubgraph {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Puts a built subgraph on a port (0 picks a free one). Resolves once it listens. */
export async function serveSubgraph(built: BuiltSubgraph<any>, options: { port?: number; host?: string; accessLog?: boolean }): Promise<ServedSubgraph> {
  const listening = await listen(built.handle, {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    logger: built.logger,
    accessLog: options.accessLog ?? readLogSettings().accessLog,
  });
  return { url: `${listening.origin}/graphql`, port: listening.port, close: () => listening.close() };
}

/**
 * Errors a resolver meant for the caller carry a code (BAD_USER_INPUT, FORBIDDEN, ...) and pass as they
 * are. Anything else is a fault of ours: its message may name database hosts, collections or values, so
 * the caller gets a plain sentence and the log gets the detail.
 */
export function maskUnexpectedError(
  formatted: GraphQLFormattedError,
  error: unknown,
  subgraph: string,
  log: (line: string) => void,
): GraphQLFormattedError {
  if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  const cause = unwrapResolverError(error);
  log(`internal error at ${formatted.path?.join('.') ?? 'request'}: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
  return { ...formatted, message: `Internal error in the ${subgraph} subgraph.` };
}

export interface StartOptions {
  mongoUri: string;
  identitySecret: string;
  residentIdSecret: string;
  auditSecret?: string;
  port?: number;
  host?: string;
  seedIfEmpty?: boolean;
  figuresSource?: FiguresSource;
  logger?: Logger;
  /** The older way to receive log lines (JSON, one per call; tests pass `() => {}`); `logger` wins. */
  log?: (line: string) => void;
  metricsAccess?: MetricsAccess;
  accessLog?: boolean;
}

export interface RunningSubgraph<Models extends ModelMap = ModelMap> extends BuiltSubgraph<Models> {
  url: string;
  port: number;
}

/** Connects to the agency's database, builds and serves, in one call (tests and the benchmark use it). */
export async function startSubgraph<Models extends ModelMap, Loaders>(
  definition: AgencyDefinition<Models, Loaders>,
  options: StartOptions,
): Promise<RunningSubgraph<Models>> {
  const connection = await connectAgencyDatabase(definition.name, options.mongoUri);
  try {
    const built = await buildSubgraph(definition, {
      connection,
      identitySecret: options.identitySecret,
      secrets: { residentIdSecret: options.residentIdSecret, auditSecret: options.auditSecret },
      figuresSource: options.figuresSource,
      seedIfEmpty: options.seedIfEmpty,
      logger: options.logger,
      log: options.log,
      metricsAccess: options.metricsAccess,
    });
    const served = await serveSubgraph(built, options);
    let stopping: Promise<void> | undefined;
    return {
      ...built,
      url: served.url,
      port: served.port,
      stop() {
        stopping ??= served
          .close()
          .then(() => built.stop())
          .then(() => connection.close());
        return stopping;
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
