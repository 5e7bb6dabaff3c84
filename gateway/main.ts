import { loadDevelopmentEnv } from '../platform/env';
import { runMain } from '../platform/process';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

/** The gateway process: reads its settings, serves, and drains requests in flight on SIGTERM or SIGINT. */
runMain(async () => {
  loadDevelopmentEnv();
  const config = readGatewayConfig();
  const gateway = await startGateway(config);
  console.log(`[gateway] ready at ${gateway.url}`);
  const shutdown = async () => {
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
});
