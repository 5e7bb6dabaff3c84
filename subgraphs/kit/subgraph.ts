import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { unwrapResolverError } from '@apollo/server/errors';
import { parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Connection, Model } from 'mongoose';
import { connectAgencyDatabase, ensureIndexes } from './database';
import { answerFailure, executeGraphQL, pathOf, sendGraphQLError, sendJson } from '../../platform/http';
import { IDENTITY_HEADER, IdentityError, verifyIdentity, type Identity } from '../../platform/identity';

/**
 * What an agency writes to plug into the graph: its SDL, resolvers, models and per-request loaders.
 * Everything else (HTTP, identity check, database connection, health, shutdown) is the kit's.
 */
export type ModelMap = Record<string, Model<any>>;

export interface SubgraphContext<Models extends ModelMap = ModelMap, Loaders = unknown> {
  identity: Identity;
  models: Models;
  /** Built fresh for every request, so batching and caching never leak between callers. */
  loaders: Loaders;
  /** Settings the resolvers need, such as the resident-id secret. */
  secrets: { residentIdSecret: string };
}

export interface SubgraphDefinition<Models extends ModelMap = ModelMap, Loaders = unknown> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext<Models, Loaders>>;
  models(connection: Connection): Models;
  loaders(models: Models, identity: Identity): Loaders;
  /** Writes the sample data when the agency's database is empty; returns how many records it wrote. */
  seed?(models: Models, secrets: { residentIdSecret: string }): Promise<Record<string, number>>;
}

export function createSubgraph<Models extends ModelMap, Loaders>(
  definition: SubgraphDefinition<Models, Loaders>,
): SubgraphDefinition<Models, Loaders> {
  return definition;
}

/** Reads an agency's schema.graphql, e.g. `loadTypeDefs(new URL('./schema.graphql', import.meta.url))`. */
export function loadTypeDefs(url: URL): DocumentNode {
  return parse(readFileSync(url, 'utf8'));
}

export interface SubgraphOptions {
  port?: number;
  host?: string;
  mongoUri: string;
  identitySecret: string;
  residentIdSecret: string;
  /** Write the sample data before listening when the agency's database is empty. */
  seedIfEmpty?: boolean;
  log?: (line: string) => void;
}

export interface RunningSubgraph<Models extends ModelMap = ModelMap> {
  name: string;
  url: string;
  port: number;
  models: Models;
  connection: Connection;
  httpServer: Server;
  stop(): Promise<void>;
}

/** Connects the agency's database, builds its schema and starts listening. Resolves once it serves. */
export async function startSubgraph<Models extends ModelMap, Loaders>(
  definition: SubgraphDefinition<Models, Loaders>,
  options: SubgraphOptions,
): Promise<RunningSubgraph<Models>> {
  const log = options.log ?? ((line: string) => console.log(`[${definition.name}] ${line}`));
  const connection = await connectAgencyDatabase(definition.name, options.mongoUri);
  try {
    const models = definition.models(connection);
    await ensureIndexes(models);
    const secrets = { residentIdSecret: options.residentIdSecret };
    if (options.seedIfEmpty) {
      const written = await seedIfEmpty(definition, models, secrets);
      if (written) log(`seeded sample data: ${Object.entries(written).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    }

    const httpServer = createServer();
    const apollo = new ApolloServer<SubgraphContext<Models, Loaders>>({
      schema: buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers as never }),
      // Inline traces serve Apollo's hosted metrics service, which the city does not use.
      plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled()],
      includeStacktraceInErrorResponses: false,
      formatError: (formatted, error) => maskUnexpectedError(formatted, error, definition.name, log),
      // The process entry drains and closes everything in order on SIGTERM/SIGINT; Apollo must not race it.
      stopOnTerminationSignals: false,
    });
    await apollo.start();

    httpServer.on('request', (req, res) => {
      handle().catch((error) => answerFailure(res, error, log));
      async function handle(): Promise<void> {
        const path = pathOf(req);
        if (path === '/health') {
          const up = connection.readyState === 1;
          sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'database unavailable', subgraph: definition.name });
          return;
        }
        if (path !== '/graphql') {
          sendGraphQLError(res, 404, `No route ${path}: the subgraph serves /graphql and /health.`, 'NOT_FOUND');
          return;
        }
        let identity: Identity;
        try {
          identity = verifyIdentity(req.headers[IDENTITY_HEADER] as string | undefined, options.identitySecret);
        } catch (error) {
          if (!(error instanceof IdentityError)) throw error;
          sendGraphQLError(res, 401, `Refused: ${error.message}.`, 'UNAUTHENTICATED');
          return;
        }
        await executeGraphQL(apollo, req, res, async () => ({
          identity,
          models,
          loaders: definition.loaders(models, identity),
          secrets,
        }));
      }
    });

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : (options.host ?? '127.0.0.1')}:${port}/graphql`;

    let stopping: Promise<void> | undefined;
    return {
      name: definition.name,
      url,
      port,
      models,
      connection,
      httpServer,
      stop() {
        // Apollo's drain plugin stops accepting, lets requests in flight finish, then closes the server;
        // only after that is the database closed under them.
        stopping ??= apollo.stop().then(() => connection.close());
        return stopping;
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
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

/** Seeds an agency's database when every collection is empty; a database with any data is left as it is. */
export async function seedIfEmpty<Models extends ModelMap, Loaders>(
  definition: SubgraphDefinition<Models, Loaders>,
  models: Models,
  secrets: { residentIdSecret: string },
): Promise<Record<string, number> | undefined> {
  if (!definition.seed) return undefined;
  const counts = await Promise.all(Object.values(models).map((model) => model.estimatedDocumentCount()));
  if (counts.some((count) => count > 0)) return undefined;
  return definition.seed(models, secrets);
}
