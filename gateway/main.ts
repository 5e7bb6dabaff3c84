import { loadDevelopmentEnv } from '../platform/env';
import { createLogger } from '../platform/logging';
import { runMain } from '../platform/process';
import { startTracing } from '../platform/tracing';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

/**
 * The gateway process: reads its settings, starts tracing when OTEL_TRACES_EXPORTER asks for it, serves, and
 * on SIGTERM or SIGINT drains requests in flight and exports the spans still buffered before it exits.
 */
runMain(async () => {
  loadDevelopmentEnv();
  const config = readGatewayConfig();
  const logger = createLogger({ name: 'gateway' });
  const tracing = await startTracing({ serviceName: 'kediri-gateway', logger });
  if (tracing) logger.info('tracing on: spans are exported as OTEL_TRACES_EXPORTER says');
  const gateway = await startGateway(config, { logger });
  logger.info({ url: gateway.url }, `ready at ${gateway.url}`);
  const shutdown = async () => {
    await gateway.stop();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
});
