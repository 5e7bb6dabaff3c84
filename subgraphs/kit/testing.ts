import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { request } from 'undici';
import { startEmbeddedMongo } from '../../embedded-mongo';
import { IDENTITY_HEADER, signIdentity, type Identity, type ResidentGrant, type Role } from '../../platform/identity';
import type { AgencyDefinition, ModelMap } from './agency';
import type { Random } from './random';
import { startSubgraph, type RunningSubgraph } from './subgraph';

/**
 * Test support: starts one agency's subgraph for real (embedded store on port 0, HTTP on port 0) and sends
 * it real HTTP requests carrying a signed identity, as the gateway would. Tests call `stop()` in afterAll.
 */
export const TEST_SECRETS = {
  identitySecret: 'test-identity-secret-0123456789abcdef',
  residentIdSecret: 'test-resident-secret-0123456789abcdef',
  auditSecret: 'test-audit-secret-0123456789abcdef0123',
} as const;

/**
 * Where the test run's global setup (test/support/sampleData.ts) left each agency's seeded sample: folders
 * (separated as in PATH) holding one data directory per agency. Unset outside such a run, when tests seed
 * for themselves.
 */
export const SAMPLE_DATA_ENV = 'KEDIRI_TEST_SAMPLE_DATA';

/** The seeded data directory of an agency that the run's global setup prepared, if it prepared one. */
export function sampleDataDirectory(agency: string): string | undefined {
  const roots = (process.env[SAMPLE_DATA_ENV] ?? '').split(delimiter).filter(Boolean);
  return roots.map((root) => join(root, agency)).find((directory) => existsSync(directory));
}

/** An in-memory store for one test, holding the sample data of these agencies when it is to be seeded. */
export function startTestStore(agencies: string[], seeded: boolean) {
  const loadFrom = seeded ? agencies.map(sampleDataDirectory).filter((directory) => directory !== undefined) : [];
  return startEmbeddedMongo({ port: 0, loadFrom });
}

export interface GraphQLResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestSubgraph<Models extends ModelMap> extends RunningSubgraph<Models> {
  /** Sends a GraphQL request as the given role (default public). */
  query<T = any>(query: string, variables?: Record<string, unknown>, role?: Role, grant?: ResidentGrant): Promise<GraphQLResult<T>>;
  /** Like query, with the gateway's grant for the Resident representations in `variables.r`, as after an audited read. */
  queryWithGrant<T = any>(query: string, variables: { r: unknown[] }, role: Role): Promise<GraphQLResult<T>>;
  /** MongoDB's opcounters of the store behind it, to count round trips. */
  opcounters(): Promise<Record<string, number>>;
  /** Commands that touch data so far (find, aggregate, getMore, ...), without the driver's heartbeats. */
  dataCommands(): Promise<number>;
  /** The data commands `work` cost: exact, since neither heartbeats nor the counting itself are data commands. */
  dataCommandsDuring(work: () => Promise<unknown>): Promise<number>;
  mongoUri: string;
}

/** The commands that read or write data, as named in serverStatus.metrics.commands (mongod's own counters). */
export const DATA_COMMANDS = ['find', 'getMore', 'aggregate', 'count', 'distinct', 'findAndModify', 'insert', 'update', 'delete'];

/** Sums the data commands a MongoDB (or the embedded store) has served, from a serverStatus reply. */
export function dataCommandsOf(serverStatus: { metrics?: { commands?: Record<string, { total?: unknown }> } }): number {
  const commands = serverStatus.metrics?.commands ?? {};
  return DATA_COMMANDS.reduce((sum, name) => sum + Number(commands[name]?.total ?? 0), 0);
}

/**
 * Posts a body exactly as given, so that a signature made over it holds. Each request uses a connection of
 * its own: a test server shares the test's event loop, and a test that blocks it for seconds could
 * otherwise hand the next request a kept-alive connection the server is closing at that moment.
 */
export async function postBody<T = any>(url: string, body: string, headers: Record<string, string> = {}): Promise<GraphQLResult<T>> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, reset: true });
  const text = await response.body.text();
  let parsed: Omit<GraphQLResult<T>, 'status'>;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`Expected a JSON answer from ${url} (HTTP ${response.statusCode}), received: ${text.slice(0, 200)}`);
  }
  return { status: response.statusCode, ...parsed };
}

export async function postGraphQL<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  return postBody<T>(url, JSON.stringify({ query, variables }), headers);
}

/** The identity header the gateway would send to `audience` with this body. */
export function identityHeaders(
  role: Role,
  target: { audience: string; body: string; grant?: ResidentGrant },
  subject = `test-${role}`,
): Record<string, string> {
  const identity: Identity = { subject, role };
  return { [IDENTITY_HEADER]: signIdentity(identity, TEST_SECRETS.identitySecret, target) };
}

/** Sends a GraphQL request to a subgraph as the gateway would: signed for this body and this subgraph. */
export function querySubgraph<T = any>(
  subgraph: { name: string; url: string },
  query: string,
  variables: Record<string, unknown> = {},
  role: Role = 'public',
  grant?: ResidentGrant,
): Promise<GraphQLResult<T>> {
  const body = JSON.stringify({ query, variables });
  return postBody<T>(subgraph.url, body, identityHeaders(role, { audience: subgraph.name, body, grant }));
}

export async function startTestSubgraph<Models extends ModelMap, Loaders>(
  definition: AgencyDefinition<Models, Loaders>,
  options: { seed?: boolean; mongoUri?: string } = {},
): Promise<TestSubgraph<Models>> {
  const store = options.mongoUri ? undefined : await startTestStore([definition.name], options.seed ?? false);
  const mongoUri = options.mongoUri ?? store!.uri;
  const running = await startSubgraph(definition, {
    port: 0,
    mongoUri,
    ...TEST_SECRETS,
    seedIfEmpty: options.seed ?? false,
    log: () => {},
  });
  const serverStatus = () => running.connection.db!.admin().command({ serverStatus: 1 });
  return {
    ...running,
    mongoUri,
    query: (query, variables, role = 'public', grant) => querySubgraph(running, query, variables, role, grant),
    queryWithGrant: (query, variables, role) => querySubgraph(running, query, variables, role, grantForResidents(variables.r)),
    async opcounters() {
      const status = await serverStatus();
      return Object.fromEntries(Object.entries(status.opcounters).map(([k, v]) => [k, Number(v)]));
    },
    async dataCommands() {
      return dataCommandsOf(await serverStatus());
    },
    async dataCommandsDuring(work) {
      const before = dataCommandsOf(await serverStatus());
      await work();
      return dataCommandsOf(await serverStatus()) - before;
    },
    async stop() {
      await running.stop();
      await store?.stop();
    },
  };
}

/** Where a random write goes: the agency's staff API, and its models to pick real records to write about. */
export interface WriteTarget<Models = any> {
  /** Sends a query or mutation as the agency's own staff role (`agency:<name>`). */
  query<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  models: Models;
}

/**
 * One random but valid write of an agency, for the read model's consistency tests: it picks real records
 * through `target.models` with `random`, performs one mutation through `target.query`, fails the test if
 * the mutation is refused, and returns a short label of what it did ("filed report 2024-03 of object …").
 * Each agency exports one as `randomWrites` from its sampleWrites.ts; the cross-agency test runs hundreds.
 */
export type RandomWrite<Models = any> = (random: Random, target: WriteTarget<Models>) => Promise<string>;

/**
 * The grant the gateway signs for a resident read after writing its audit entry, covering every Resident
 * representation in `representations`: what a test sends to read residents at a subgraph directly.
 */
export function grantForResidents(representations: unknown): ResidentGrant {
  const ids = (Array.isArray(representations) ? representations : [])
    .filter((item): item is { __typename: string; id: string } => item?.__typename === 'Resident')
    .map((item) => item.id);
  return { reads: ids.map((residentId) => ({ residentId, purpose: 'Test: the read a caseworker made', auditId: 'test-audit-entry' })) };
}

/**
 * A real record for a test to write about: the `index`-th (modulo their number) of those matching `filter`,
 * in id order. A count, then the one record: nothing but that record crosses the wire, however large the
 * collection.
 */
export async function pickRecord<T>(
  model: { countDocuments(filter: object): any; findOne(filter: object): any },
  filter: object,
  index: number,
): Promise<T | undefined> {
  const count = (await model.countDocuments(filter)) as number;
  if (count === 0) return undefined;
  return (await model.findOne(filter).sort({ _id: 1 }).skip(index % count).lean()) as T;
}

/** Records grouped by a key, in their order: for tests that compute figures from the raw records. */
export function groupBy<T, K>(records: readonly T[], keyOf: (record: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const record of records) {
    const key = keyOf(record);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return groups;
}

/** Records grouped by their kelurahan: for tests that compute each kelurahan's figures from the raw records. */
export function groupByKelurahan<T extends { kelurahanCode: string }>(records: readonly T[]): Map<string, T[]> {
  return groupBy(records, (record) => record.kelurahanCode);
}

/** For random writes: fails with the refusal when a mutation was refused, else answers the label. */
export function accepted(result: GraphQLResult, label: string): string {
  if (result.errors?.length) throw new Error(`${label} was refused: ${result.errors[0].message}`);
  return label;
}

/** Every stage of an explain answer (IXSCAN, COLLSCAN, SORT, ...), wherever it nests, leaving out rejected plans. */
export function stagesOf(plan: unknown, into: string[] = []): string[] {
  if (Array.isArray(plan)) for (const item of plan) stagesOf(item, into);
  else if (plan && typeof plan === 'object') {
    for (const [key, value] of Object.entries(plan)) {
      if (key === 'stage' && typeof value === 'string') into.push(value);
      else if (key !== 'rejectedPlans') stagesOf(value, into);
    }
  }
  return into;
}
