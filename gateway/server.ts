import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { answerFailure, executeGraphQL, pathOf, sendGraphQLError, sendJson } from '../platform/http';
import { mongoAuditSink, plannedServices, residentAuditPlugin, type AuditedContext, type AuditSink } from './audit';
import { AuthenticationError, authenticate } from './authenticate';
import { applyCors } from './cors';
import type { GatewayConfig } from './config';
import { SignedIdentityDataSource, type GatewayContext } from './datasource';
import { depthLimitPlugin } from './limits';
import { checkReadiness } from './readiness';
import { supergraphFromFile } from './supergraph';

export interface RunningGateway {
  url: string;
  port: number;
  httpServer: Server;
  /** The URL each subgraph is reached at, after overrides. */
  subgraphUrls: Record<string, string>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  log?: (line: string) => void;
  /** Extra Apollo Server plugins. */
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Where resident reads are recorded; by default the audit collection in MONGODB_URI. */
  auditSink?: AuditSink;
}

/** Builds the gateway over the committed supergraph and starts listening. Resolves once it serves. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const log = options.log ?? ((line: string) => console.log(`[gateway] ${line}`));
  const subgraphUrls: Record<string, string> = {};
  let supergraphLoaded = false;
  const auditSink = options.auditSink ?? (config.mongoUri ? await mongoAuditSink(config.mongoUri) : undefined);

  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath, log, () => {
      supergraphLoaded = true;
    }),
    buildService({ name, url }) {
      const target = config.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`The supergraph gives no URL for subgraph "${name}"; set SUBGRAPH_URL_${name.toUpperCase()}.`);
      subgraphUrls[name] = target;
      return new SignedIdentityDataSource(name, target, config.identitySecret, log);
    },
    // The audit needs to know which agencies a resident read asked; the plan says it.
    experimental_didResolveQueryPlan({ queryPlan, requestContext }) {
      (requestContext.context as AuditedContext).plannedServices = plannedServices(queryPlan);
    },
    logger: { debug: () => {}, info: () => {}, warn: (m) => log(`warn: ${m}`), error: (m) => log(`error: ${m}`) },
  });

  const httpServer = createServer();
  const apollo = new ApolloServer<AuditedContext>({
    gateway,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      depthLimitPlugin(config.maxQueryDepth),
      residentAuditPlugin(auditSink, log),
      ...(options.plugins ?? []),
    ],
    includeStacktraceInErrorResponses: false,
    // The process entry drains and closes everything in order on SIGTERM/SIGINT; Apollo must not race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  httpServer.on('request', (req, res) => {
    handle().catch((error) => answerFailure(res, error, log));
    async function handle(): Promise<void> {
      if (applyCors(req, res, config.corsOrigins)) return;
      const path = pathOf(req);
      if (path === '/health') {
        sendJson(res, 200, { status: 'ok' });
        return;
      }
      if (path === '/ready') {
        const readiness = await checkReadiness(supergraphLoaded, subgraphUrls);
        const down = Object.entries(readiness.subgraphs).filter(([, state]) => state === 'down').map(([name]) => name);
        sendJson(res, readiness.ready ? 200 : 503, {
          ...readiness,
          ...(readiness.ready ? {} : { reason: supergraphLoaded ? `subgraphs not answering: ${down.join(', ')}` : 'supergraph not loaded' }),
        });
        return;
      }
      if (path !== '/graphql') {
        sendGraphQLError(res, 404, `No route ${path}: the gateway serves /graphql, /health and /ready.`, 'NOT_FOUND');
        return;
      }
      let identity;
      try {
        identity = await authenticate(req.headers, config);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        sendGraphQLError(res, 401, error.message, 'UNAUTHENTICATED');
        return;
      }
      await executeGraphQL(apollo, req, res, async () => ({ identity }));
    }
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    httpServer,
    subgraphUrls,
    stop() {
      stopping ??= apollo.stop().then(() => auditSink?.close());
      return stopping;
    },
  };
}
