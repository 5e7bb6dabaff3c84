import { subgraphEntry } from '../registry';
import { readPlatformConfig, readPort } from '../../platform/config';
import { resolveMongoTarget } from './database';
import { loadDevelopmentEnv } from '../../platform/env';
import { startSubgraph, type ModelMap, type SubgraphDefinition } from './subgraph';

/**
 * The process entry of one subgraph (each agency's main.ts calls it): reads the settings, reaches the
 * database (starting the embedded store when MONGODB_URI is unset), seeds when empty unless told not to,
 * listens, and shuts down cleanly on SIGTERM or SIGINT.
 */
export async function runSubgraph<Models extends ModelMap, Loaders>(
  definition: SubgraphDefinition<Models, Loaders>,
): Promise<void> {
  loadDevelopmentEnv();
  const log = (line: string) => console.log(`[${definition.name}] ${line}`);
  const config = readPlatformConfig();
  const port = readPort(process.env, 'PORT', subgraphEntry(definition.name).port);
  const target = await resolveMongoTarget(config.mongoUri);
  if (target.embedded) log(`MONGODB_URI is unset: using the embedded store at ${target.uri}`);

  const running = await startSubgraph(definition, {
    port,
    host: process.env.HOST || '127.0.0.1',
    mongoUri: target.uri,
    identitySecret: config.identitySecret,
    residentIdSecret: config.residentIdSecret,
    seedIfEmpty: process.env.SEED_IF_EMPTY !== 'false',
    log,
  });
  log(`ready at ${running.url}`);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${signal} received: finishing requests in flight, then closing`);
    await running.stop();
    await target.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
