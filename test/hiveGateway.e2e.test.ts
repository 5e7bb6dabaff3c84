import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_IDENTITY } from '../platform/identity';
import { SUPERGRAPH_URL } from '../schema/composition';
import { TEST_SECRETS } from '../subgraphs/kit/testing';
import { hiveIdentitySigning } from './support/hiveIdentity';
import { startCityGraph, type CityGraph } from './support/cityGraph';

/**
 * The committed supergraph, unchanged, served by another router: Hive Gateway (@graphql-hive/gateway-runtime)
 * in front of the same running subgraphs as our @apollo/gateway, with one plugin that signs the identity as
 * ours does. The contract queries (the persisted operations the dashboards run) get the same data from both.
 */
let graph: CityGraph;
const running: { hive: ReturnType<typeof createGatewayRuntime>; server: Server }[] = [];
let hiveUrl: string;

const CONTRACT = ['CityDashboard', 'KelurahanPage', 'KelurahanName', 'CityScorecard'] as const;

const VARIABLE_SETS: Record<(typeof CONTRACT)[number], Record<string, unknown>[]> = {
  CityDashboard: [{ year: 2023 }, { year: 2024, kecamatan: '35.71.02' }, { year: 2021, kecamatan: '35.71.03' }],
  KelurahanPage: [{ code: '35.71.01.1005', year: 2023, first: 5 }, { code: '35.71.03.1001', year: 2024, first: 3 }, { code: '35.71.02.1001', year: 2022 }],
  KelurahanName: [{ code: '35.71.01.1005' }, { code: '35.71.02.1010' }, { code: '35.71.09.9999' }],
  CityScorecard: [{ year: 2021 }, { year: 2023 }, { year: 2024 }],
};

const manifest = JSON.parse(readFileSync(new URL('../schema/persisted-operations.json', import.meta.url), 'utf8')) as { operations: { name: string; body: string }[] };

function bodyOf(name: string): string {
  const operation = manifest.operations.find((entry) => entry.name === name);
  if (!operation) throw new Error(`Expected persisted operation ${name} in schema/persisted-operations.json; it has ${manifest.operations.map((entry) => entry.name).join(', ')}.`);
  return operation.body;
}

/** Hive Gateway over the committed supergraph, with these plugins, on a port of its own. */
async function startHive(plugins: () => GatewayPlugin[]): Promise<string> {
  const hive = createGatewayRuntime({
    supergraph: readFileSync(SUPERGRAPH_URL, 'utf8'),
    // The supergraph names each subgraph's URL on localhost:400x; here they run on other ports.
    transportEntries: Object.fromEntries(Object.entries(graph.subgraphs).map(([name, subgraph]) => [name, { location: subgraph.url }])),
    plugins,
    logging: false,
    graphiql: false,
    landingPage: false,
  });
  const server = createServer(hive);
  running.push({ hive, server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

beforeAll(async () => {
  // Every agency with its sample data, so the answers compared are full ones.
  graph = await startCityGraph();
  hiveUrl = await startHive(() => [hiveIdentitySigning({ identitySecret: TEST_SECRETS.identitySecret, identityOf: () => PUBLIC_IDENTITY })]);
}, 300_000);

afterAll(async () => {
  for (const { hive, server } of running) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await hive.dispose();
  }
  await graph?.stop();
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

async function ask(url: string, operationName: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9' },
    body: JSON.stringify({ query: bodyOf(operationName), operationName, variables }),
  });
  expect(response.status, `${url} ${operationName}`).toBe(200);
  return (await response.json()) as Answer;
}

/**
 * The codes of an answer's errors, one per error. Their paths are not compared: Hive Gateway gives every error
 * of a batched entity fetch (46 kelurahan's pillars in one `_entities` call) the path of the batch's first
 * item, where ours gives each its own; the data, with each withheld figure null, is the same.
 */
const errorCodes = (answer: Answer) => (answer.errors ?? []).map((error) => String(error.extensions?.code)).sort();

describe('Hive Gateway over the committed supergraph, with the identity signed as ours signs it', () => {
  it('answers a first query through the subgraphs, which accept its signed identity', async () => {
    const answer = await ask(hiveUrl, 'KelurahanName', { code: '35.71.01.1005' });
    expect(answer).toEqual({ data: { kelurahan: { code: '35.71.01.1005', name: 'Sukorame', kecamatan: { name: 'Mojoroto' } } } });
  });

  it('is refused by every subgraph without the plugin: no data comes back', async () => {
    const unsigned = await startHive(() => []);
    const answer = await ask(unsigned, 'KelurahanName', { code: '35.71.01.1005' });
    expect(answer.data).toEqual({ kelurahan: null });
    expect(answer.errors?.length).toBeGreaterThan(0);
  });

  it.each(CONTRACT.flatMap((name) => VARIABLE_SETS[name].map((variables) => [name, JSON.stringify(variables), variables] as const)))(
    'gives %s %s the same data as our gateway, as the public',
    async (name, _label, variables) => {
      const [ours, theirs] = await Promise.all([ask(graph.gateway.url, name, variables), ask(hiveUrl, name, variables)]);
      expect(ours.data).toBeTruthy();
      expect(theirs.data).toEqual(ours.data);
      // No subgraph refused Hive's signature, nor failed: the only errors are small counts withheld from the public.
      expect(errorCodes(theirs)).toEqual(errorCodes(ours));
      expect(errorCodes(ours).every((code) => code === 'SUPPRESSED_SMALL_COUNT')).toBe(true);
    },
  );
});
