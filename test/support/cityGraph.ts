import { MongoClient } from 'mongodb';
import { readGatewayConfig } from '../../gateway/config';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../gateway/server';
import type { Role } from '../../platform/identity';
import { loadDefinition } from '../../subgraphs/definitions';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/kit/subgraph';
import { dataCommandsOf, postGraphQL, startTestStore, TEST_SECRETS, type GraphQLResult } from '../../subgraphs/kit/testing';
import { SUBGRAPHS } from '../../subgraphs/registry';

/**
 * Starts the real thing for end-to-end tests: one embedded store, the chosen subgraphs and the gateway, all
 * on port 0, talking HTTP. `query` goes through the gateway as a caller with the given role (an API key is
 * configured per role). Tests call `stop()` in afterAll; `stopSubgraph` takes one agency down mid-test.
 */
/** One test API key per role of the city: the cross-agency roles and one per registered subgraph. */
export const TEST_API_KEYS = Object.fromEntries(
  (['dashboard', 'caseworker', 'auditor', ...SUBGRAPHS.map((entry) => `agency:${entry.name}`)] as const).map((role) => [
    role,
    `test-key-${role.replace(':', '-')}`.padEnd(22, '0'),
  ]),
) as Record<Exclude<Role, 'public'>, string>;

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef-xyz';

export interface CityGraph {
  gateway: RunningGateway;
  subgraphs: Record<string, RunningSubgraph>;
  mongoUri: string;
  query<T = any>(query: string, variables?: Record<string, unknown>, role?: Role): Promise<GraphQLResult<T>>;
  /** Sends a request with the headers given, for authentication tests. */
  queryWithHeaders<T = any>(query: string, headers: Record<string, string>): Promise<GraphQLResult<T>>;
  stopSubgraph(name: string): Promise<void>;
  /** MongoDB's opcounters of the store, to count database round trips. */
  opcounters(): Promise<Record<string, number>>;
  /** Commands that touch data so far (find, aggregate, getMore, ...), without the drivers' heartbeats. */
  dataCommands(): Promise<number>;
  stop(): Promise<void>;
}

export async function startCityGraph(
  options: {
    subgraphs?: string[];
    seed?: boolean;
    supergraphPath?: string;
    gateway?: GatewayOptions;
    /** Extra gateway settings, as the environment would give them. */
    gatewayEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<CityGraph> {
  const names = options.subgraphs ?? SUBGRAPHS.map((entry) => entry.name);
  const store = await startTestStore(names, options.seed ?? true);
  const subgraphs: Record<string, RunningSubgraph> = {};
  try {
    // One after another: seeding several agencies at once on two cores only slows each of them.
    for (const name of names) {
      subgraphs[name] = await startSubgraph(await loadDefinition(name), {
        port: 0,
        mongoUri: store.uri,
        ...TEST_SECRETS,
        seedIfEmpty: options.seed ?? true,
        log: () => {},
      });
    }
    const env: NodeJS.ProcessEnv = {
      PORT: '0',
      IDENTITY_SECRET: TEST_SECRETS.identitySecret,
      API_KEYS: Object.entries(TEST_API_KEYS).map(([role, key]) => `${key}=${role}`).join(','),
      JWT_SECRET: TEST_JWT_SECRET,
      MONGODB_URI: store.uri,
      // A graph under test shares a busy two-core machine with the rest of the suite, and its first writes
      // build the indexes they need: a subgraph is given 30 s, not production's 5 s, before it counts as
      // timed out. The resilience tests, which are about timeouts, set their own.
      SUBGRAPH_TIMEOUT_MS: '30000',
      ...(options.supergraphPath ? { SUPERGRAPH_PATH: options.supergraphPath } : {}),
      ...options.gatewayEnv,
    };
    for (const name of names) env[`SUBGRAPH_URL_${name.toUpperCase()}`] = subgraphs[name].url;
    // Subgraphs not started in this test point at a closed port, so they count as down, not as stray.
    for (const entry of SUBGRAPHS) env[`SUBGRAPH_URL_${entry.name.toUpperCase()}`] ??= 'http://127.0.0.1:9/graphql';
    const gateway = await startGateway(readGatewayConfig(env), { log: () => {}, ...options.gateway });

    // A client of the test's own, so counting round trips never depends on a subgraph that was stopped.
    const client = await MongoClient.connect(store.uri);
    return {
      gateway,
      subgraphs,
      mongoUri: store.uri,
      query: (query, variables = {}, role = 'public') =>
        postGraphQL(gateway.url, query, variables, role === 'public' ? {} : { 'x-api-key': TEST_API_KEYS[role as keyof typeof TEST_API_KEYS] }),
      queryWithHeaders: (query, headers) => postGraphQL(gateway.url, query, {}, headers),
      async stopSubgraph(name) {
        await subgraphs[name].stop();
      },
      async opcounters() {
        const status = await client.db('admin').command({ serverStatus: 1 });
        return Object.fromEntries(Object.entries(status.opcounters).map(([k, v]) => [k, Number(v)]));
      },
      async dataCommands() {
        return dataCommandsOf(await client.db('admin').command({ serverStatus: 1 }));
      },
      async stop() {
        await gateway.stop();
        await client.close();
        await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.stop()));
        await store.stop();
      },
    };
  } catch (error) {
    await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.stop()));
    await store.stop();
    throw error;
  }
}
