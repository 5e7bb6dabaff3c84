import { startEmbeddedMongo } from '../../embedded-mongo';
import { IDENTITY_HEADER, signIdentity, type Identity, type Role } from '../../platform/identity';
import { startSubgraph, type ModelMap, type RunningSubgraph, type SubgraphDefinition } from './subgraph';

/**
 * Test support: starts one agency's subgraph for real (embedded store on port 0, HTTP on port 0) and sends
 * it real HTTP requests carrying a signed identity, as the gateway would. Tests call `stop()` in afterAll.
 */
export const TEST_SECRETS = {
  identitySecret: 'test-identity-secret-0123456789abcdef',
  residentIdSecret: 'test-resident-secret-0123456789abcdef',
} as const;

export interface GraphQLResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestSubgraph<Models extends ModelMap> extends RunningSubgraph<Models> {
  /** Sends a GraphQL request as the given role (default public). */
  query<T = any>(query: string, variables?: Record<string, unknown>, role?: Role): Promise<GraphQLResult<T>>;
  /** MongoDB's opcounters of the store behind it, to count round trips. */
  opcounters(): Promise<Record<string, number>>;
  /** Commands that touch data so far (find, aggregate, getMore, ...), without the driver's heartbeats. */
  dataCommands(): Promise<number>;
  mongoUri: string;
}

/** The commands that read or write data, as named in serverStatus.metrics.commands (mongod's own counters). */
export const DATA_COMMANDS = ['find', 'getMore', 'aggregate', 'count', 'distinct', 'findAndModify', 'insert', 'update', 'delete'];

/** Sums the data commands a MongoDB (or the embedded store) has served, from a serverStatus reply. */
export function dataCommandsOf(serverStatus: { metrics?: { commands?: Record<string, { total?: unknown }> } }): number {
  const commands = serverStatus.metrics?.commands ?? {};
  return DATA_COMMANDS.reduce((sum, name) => sum + Number(commands[name]?.total ?? 0), 0);
}

export async function postGraphQL<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
  return { status: response.status, ...body };
}

export function identityHeaders(role: Role, subject = `test-${role}`): Record<string, string> {
  const identity: Identity = { subject, role };
  return { [IDENTITY_HEADER]: signIdentity(identity, TEST_SECRETS.identitySecret) };
}

export async function startTestSubgraph<Models extends ModelMap, Loaders>(
  definition: SubgraphDefinition<Models, Loaders>,
  options: { seed?: boolean; mongoUri?: string } = {},
): Promise<TestSubgraph<Models>> {
  const store = options.mongoUri ? undefined : await startEmbeddedMongo({ port: 0 });
  const mongoUri = options.mongoUri ?? store!.uri;
  const running = await startSubgraph(definition, {
    port: 0,
    mongoUri,
    ...TEST_SECRETS,
    seedIfEmpty: options.seed ?? false,
    log: () => {},
  });
  return {
    ...running,
    mongoUri,
    query: (query, variables, role = 'public') => postGraphQL(running.url, query, variables, identityHeaders(role)),
    async opcounters() {
      const status = await running.connection.db!.admin().command({ serverStatus: 1 });
      return Object.fromEntries(Object.entries(status.opcounters).map(([k, v]) => [k, Number(v)]));
    },
    async dataCommands() {
      return dataCommandsOf(await running.connection.db!.admin().command({ serverStatus: 1 }));
    },
    async stop() {
      await running.stop();
      await store?.stop();
    },
  };
}
