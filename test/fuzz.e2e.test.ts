import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../subgraphs/kit/random';
import { startCityGraph, TEST_API_KEYS, type CityGraph } from './support/cityGraph';

/**
 * The gateway under a stream of hostile and broken requests: thousands of mutated documents and malformed
 * bodies, seeded so that a failure can be replayed. Whatever comes in, the answer is a 2xx or a 4xx with a
 * GraphQL error shape, never a 5xx, and the gateway stays healthy.
 */
let graph: CityGraph;

beforeAll(async () => {
  graph = await startCityGraph({ subgraphs: ['city'], seed: false, gatewayEnv: { RATE_LIMIT_PUBLIC_PER_MINUTE: '0', RATE_LIMIT_STAFF_PER_MINUTE: '0' } });
});

afterAll(async () => {
  await graph?.stop();
});

const SEEDS = [
  '{ kelurahanList { code name kecamatan { code name } } }',
  'query($k: String) { kelurahanList(kecamatan: $k) { code scorecard(year: 2023) { kelurahanCode year } } }',
  '{ kelurahan(code: "35.71.01.1005") { code name postalCode bpsCode } }',
  '{ kelurahan(name: "Banjar Mlati") { code } kecamatanList { code name } }',
  'query Named { cityScorecard(year: 2023) { year } }',
  '{ a: kecamatanList { code } b: kecamatanList { name } ...F } fragment F on Query { kelurahanList { code } }',
  '{ resident(id: "R0123456789abcdef0123456789abcdef", purpose: "Case 7: benefits review") { id } }',
  'mutation { __typename }',
  'subscription { __typename }',
  '{ __schema { types { name } } }',
];

const TOKENS = ['{', '}', '(', ')', '...', '@skip(if: true)', '@include(if: $x)', '$x', ':', '"', '#', 'fragment', 'on', 'Query', '[', ']', '!', '=', '0', '-1', '1e309', 'null', '\\u0000', '__typename', 'query', 'mutation', ',', '&', 'é', '\u200b'];

/** A document changed at a few random places: a token inserted, a span deleted or doubled, a character swapped. */
function mutate(random: Random, text: string): string {
  let out = text;
  for (let edits = random.int(1, 4); edits > 0; edits -= 1) {
    const at = random.int(0, out.length);
    const kind = random.int(0, 3);
    if (kind === 0) out = out.slice(0, at) + ` ${random.pick(TOKENS)} ` + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(Math.min(out.length, at + random.int(1, 8)));
    else if (kind === 2) out = out.slice(0, at) + out.slice(at, at + random.int(1, 20)).repeat(random.int(2, 6)) + out.slice(at);
    else out = out.slice(0, at) + String.fromCharCode(random.int(32, 126)) + out.slice(at + 1);
  }
  return out;
}

/** A whole body: usually JSON with a mutated query and odd variables, sometimes not JSON at all. */
function body(random: Random): string {
  const roll = random.int(0, 19);
  if (roll === 0) return mutate(random, JSON.stringify({ query: random.pick(SEEDS) }));
  if (roll === 1) return JSON.stringify(random.pick([null, 42, 'text', [], [{ query: '{ kecamatanList { code } }' }], true]));
  if (roll === 2) return JSON.stringify({ query: random.pick(SEEDS), variables: random.pick([[], 'x', 7, { k: { nested: [1, 2] } }, { k: 'x'.repeat(10_000) }]) });
  if (roll === 3) return JSON.stringify({ query: random.pick(SEEDS), operationName: random.pick([7, 'Nope', '', null, ['x']]) });
  if (roll === 4) return JSON.stringify({ query: random.pick([42, null, [], {}]) });
  if (roll === 5) return JSON.stringify({ documentId: random.pick(['abc', 'sha256:00', 42, '']), variables: {} });
  if (roll === 6) return JSON.stringify({ query: random.pick(SEEDS), extensions: random.pick([{ persistedQuery: { sha256Hash: 'ff' } }, 'x', { persistedQuery: 1 }]) });
  return JSON.stringify({ query: mutate(random, random.pick(SEEDS)), variables: random.chance(0.5) ? { k: random.pick(['35.71.01', 7, null, '']) } : undefined });
}

async function send(text: string, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  const response = await fetch(graph.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  const raw = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = raw;
  }
  return { status: response.status, json };
}

describe('thousands of mutated documents and malformed bodies', () => {
  it('never answer with a 5xx, always with the GraphQL shape, and the gateway stays healthy', async () => {
    const random = createRandom('gateway-fuzz');
    const roles: Record<string, string>[] = [{}, { 'x-api-key': TEST_API_KEYS.dashboard }, { 'x-api-key': TEST_API_KEYS.caseworker }, { 'x-api-key': 'not-a-key-at-all-00' }];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 150; batch += 1) {
      const requests = Array.from({ length: 20 }, () => ({ text: body(random), headers: random.pick(roles) }));
      const results = await Promise.all(requests.map((request) => send(request.text, request.headers)));
      results.forEach((result, index) => {
        statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
        const shaped = typeof result.json === 'object' && result.json !== null && ('data' in result.json || 'errors' in result.json);
        if (result.status >= 500 || !shaped) failures.push(`${result.status} for ${requests[index].text.slice(0, 200)}: ${JSON.stringify(result.json).slice(0, 200)}`);
      });
    }
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(3_000);
    // Both kinds of answer occur: some documents survive mutation, most do not.
    expect(statuses.get(200)).toBeGreaterThan(50);
    expect(statuses.get(400)).toBeGreaterThan(500);
    expect((await fetch(graph.gateway.url.replace(/graphql$/, 'health'))).status).toBe(200);
  });
});
