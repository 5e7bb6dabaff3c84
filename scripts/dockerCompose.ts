import { stringify } from 'yaml';
import type { SubgraphEntry } from '../subgraphs/registry';

/**
 * docker-compose.yml, derived from the registry: one MongoDB replica set member (transactions need a
 * replica set), one service per registered subgraph, the gateway, and a one-off `seed` service. The
 * committed file is exactly what this writes (a test compares them), so a subgraph added to the registry
 * cannot be forgotten in compose; `npm run new-agency` rewrites it.
 *
 * Nothing orders start-up by sleeping: every service retries what it needs until STARTUP_DEADLINE_MS and
 * reports not-ready meanwhile, and each has a healthcheck that asks it.
 */
const HEADER = `# The city graph on real MongoDB (a single-member replica set, so that writes run as transactions): one
# service per subgraph of subgraphs/registry.ts, the gateway, and a one-off seed service for sample data.
# Generated from the registry by \`npm run new-agency\` (scripts/dockerCompose.ts); a test holds this file to it.
# Secrets come from the environment or a .env file beside this one; compose refuses to start without them.
# Start:  IDENTITY_SECRET=... RESIDENT_ID_SECRET=... AUDIT_SECRET=... API_KEYS=... docker compose up --build
# Sample data (never written in production unless asked): docker compose --profile sample run --rm seed
`;

function secret(name: string): string {
  return `\${${name}:?set ${name} (at least 32 characters)}`;
}

/** A healthcheck that asks a service's own route. */
function asks(port: number, path: string) {
  return {
    test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    interval: '5s',
    timeout: '3s',
    retries: 60,
  };
}

const MONGODB_URI = 'mongodb://mongo:27017/?replicaSet=rs0';

export function dockerCompose(subgraphs: readonly SubgraphEntry[]): string {
  const common = {
    NODE_ENV: 'production',
    HOST: '0.0.0.0',
    MONGODB_URI,
    IDENTITY_SECRET: secret('IDENTITY_SECRET'),
    RESIDENT_ID_SECRET: secret('RESIDENT_ID_SECRET'),
  };
  const services: Record<string, unknown> = {
    mongo: {
      image: 'mongo:7.0',
      restart: 'unless-stopped',
      command: ['mongod', '--replSet', 'rs0', '--bind_ip_all'],
      volumes: ['mongo-data:/data/db'],
      // The healthcheck initiates the one-member replica set on first start, then reports its state.
      healthcheck: {
        test: [
          'CMD',
          'mongosh',
          '--quiet',
          '--eval',
          "try { rs.status().ok } catch (e) { rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] }).ok }",
        ],
        interval: '5s',
        timeout: '5s',
        retries: 30,
      },
    },
  };
  for (const entry of subgraphs) {
    services[entry.name] = {
      build: '.',
      restart: 'unless-stopped',
      command: [`dist/${entry.dir}/main.js`],
      environment: {
        ...common,
        PORT: String(entry.port),
        ...(entry.name === 'city' ? { AUDIT_SECRET: secret('AUDIT_SECRET') } : {}),
      },
      healthcheck: asks(entry.port, '/health'),
    };
  }
  services.gateway = {
    build: '.',
    restart: 'unless-stopped',
    command: ['dist/gateway/main.js'],
    ports: ['4000:4000'],
    environment: {
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '4000',
      IDENTITY_SECRET: secret('IDENTITY_SECRET'),
      API_KEYS: '${API_KEYS:-}',
      JWT_SECRET: '${JWT_SECRET:-}',
      CORS_ORIGINS: '${CORS_ORIGINS:-}',
      // Public dashboards run the city's reviewed operations only.
      REQUIRE_PERSISTED_OPERATIONS: '${REQUIRE_PERSISTED_OPERATIONS:-public}',
      ...Object.fromEntries(subgraphs.map((entry) => [`SUBGRAPH_URL_${entry.name.toUpperCase()}`, `http://${entry.name}:${entry.port}/graphql`])),
    },
    healthcheck: asks(4000, '/ready'),
  };
  services.seed = {
    build: '.',
    profiles: ['sample'],
    command: ['dist/scripts/seed.js'],
    environment: { ...common, SEED_IF_EMPTY: 'true' },
  };
  return HEADER + stringify({ services, volumes: { 'mongo-data': null } }, { lineWidth: 0 });
}
