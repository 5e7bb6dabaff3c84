import { ConfigError, readFlag, readInteger, readPlatformConfig, readPort } from '../../platform/config';
import { loadDevelopmentEnv } from '../../platform/env';
import { graphQLError, json, listen, type HttpHandler } from '../../platform/http';
import { createLogger, readLogSettings } from '../../platform/logging';
import { readMetricsAccess, serveMetrics, SubgraphMetrics } from '../../platform/metrics';
import { startTracing } from '../../platform/tracing';
import { subgraphEntry } from '../registry';
import type { AgencyDefinition, ModelMap } from './agency';
import { connectWithRetry, redactUri } from './database';
import type { FiguresSource } from './pillar';
import { buildSubgraph, type BuiltSubgraph } from './subgraph';

/**
 * The process entry of one subgraph. It listens at once and answers 503 "starting" while it reaches its
 * database, so an orchestrator or the gateway sees it alive but not ready; it retries the database with
 * growing waits until STARTUP_DEADLINE_MS, because in a cluster nothing orders start-up and a late
 * database is the normal case; then it builds the agency's schema and serves. SIGTERM or SIGINT drains
 * requests in flight, exports the spans still buffered and closes cleanly. /metrics answers from the start,
 * so a scraper sees a starting subgraph too.
 */
const DEFAULT_STARTUP_DEADLINE_MS = 120_000;

function readFiguresSource(env: NodeJS.ProcessEnv): FiguresSource {
  const value = env.FIGURES_SOURCE || 'read-model';
  if (value !== 'read-model' && value !== 'raw') {
    throw new ConfigError(`FIGURES_SOURCE must be "read-model" or "raw", received "${value}".`);
  }
  return value;
}

export async function runSubgraph<Models extends ModelMap, Loaders>(definition: AgencyDefinition<Models, Loaders>): Promise<void> {
  loadDevelopmentEnv();
  const env = process.env;
  const logSettings = readLogSettings(env);
  const logger = createLogger({ name: definition.name, settings: logSettings });
  const config = readPlatformConfig(env);
  const metrics = new SubgraphMetrics(definition.name);
  const metricsAccess = readMetricsAccess(env);
  const tracing = await startTracing({ serviceName: `kediri-${definition.name}`, env, logger });
  if (tracing) logger.info('tracing on: spans are exported as OTEL_TRACES_EXPORTER says');
  const port = readPort(env, 'PORT', subgraphEntry(definition.name).port);
  const deadlineMs = readInteger(env, 'STARTUP_DEADLINE_MS', DEFAULT_STARTUP_DEADLINE_MS, { min: 1_000 });
  const figuresSource = readFiguresSource(env);

  // Alone on a laptop, without MONGODB_URI, the subgraph starts its own in-memory store and fills it.
  // Loaded only then: a subgraph with a database of its own does not load the store's code at all.
  const embedded = config.mongoUri ? undefined : await (await import('../../embedded-mongo')).startEmbeddedMongo({ port: 0 });
  const mongoUri = config.mongoUri ?? embedded!.uri;
  if (embedded) logger.info(`MONGODB_URI is unset: using an in-memory embedded store at ${embedded.uri}`);
  const seed = readFlag(env, 'SEED_IF_EMPTY', embedded !== undefined);

  let built: BuiltSubgraph<Models> | undefined;
  let starting = 'reaching its database';
  const handler: HttpHandler = async (request) => {
    if (built) return built.handle(request);
    if (request.path === '/metrics') return serveMetrics(request, metrics.registry, metricsAccess);
    if (request.path === '/health') return json(503, { status: 'starting', subgraph: definition.name, detail: starting });
    return graphQLError(503, `The ${definition.name} subgraph is starting (${starting}); try again shortly.`, 'SERVICE_STARTING');
  };
  const listening = await listen(handler, { port, host: env.HOST || '127.0.0.1', logger, accessLog: logSettings.accessLog });
  logger.info(`listening at ${listening.origin}/graphql, starting`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: finishing requests in flight, then closing`);
    await listening.close();
    await built?.stop();
    await built?.connection.close();
    await embedded?.stop();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const connection = await connectWithRetry(definition.name, mongoUri, {
    deadlineMs,
    onRetry: (attempt, error, waitMs) =>
      logger.warn(`database at ${redactUri(mongoUri)} not reachable yet (attempt ${attempt}: ${error.message}); retrying in ${waitMs} ms`),
  });
  starting = seed ? 'seeding sample data into an empty database' : 'building its schema';
  built = await buildSubgraph(definition, {
    connection,
    identitySecret: config.identitySecret,
    secrets: { residentIdSecret: config.residentIdSecret, auditSecret: config.auditSecret },
    figuresSource,
    seedIfEmpty: seed,
    logger,
    metrics,
    metricsAccess,
  });
  logger.info(`ready at ${listening.origin}/graphql${figuresSource === 'raw' ? ' (scorecard figures re-aggregated on every request)' : ''}`);
}
