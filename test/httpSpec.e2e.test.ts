import { serverAudits, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCityGraph, TEST_API_KEYS, type CityGraph } from './support/cityGraph';

/**
 * The gateway against the GraphQL-over-HTTP specification: graphql-http's own server audit (the one Hive
 * Gateway and other servers publish their scores with) run over HTTP against the real gateway, and then the
 * choices the audit leaves to the server, each held to what the gateway promises.
 */
let graph: CityGraph;

beforeAll(async () => {
  graph = await startCityGraph({ subgraphs: ['city'], seed: false, gatewayEnv: { CORS_ORIGINS: 'https://dashboard.kedirikota.go.id' } });
});

afterAll(async () => {
  await graph?.stop();
});

const RESPONSE_JSON = 'application/graphql-response+json';

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(graph.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function get(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${graph.gateway.url}?${new URLSearchParams(params)}`, { headers });
}

describe("graphql-http's server audit", () => {
  it('passes every MUST and every SHOULD: 13 and 23', async () => {
    const results: AuditResult[] = [];
    for (const audit of serverAudits({ url: graph.gateway.url })) results.push(await audit.fn());
    const failed = await Promise.all(
      results
        .filter((result) => result.status !== 'ok' && !result.name.startsWith('MAY'))
        .map(async (result) => (result.status === 'ok' ? '' : `${result.name}: ${result.reason} (HTTP ${result.response.status}: ${(await result.response.text()).slice(0, 200)})`)),
    );
    expect(failed).toEqual([]);
    const passed = (level: string) => results.filter((result) => result.name.startsWith(`${level} `) && result.status === 'ok').length;
    expect({ MUST: passed('MUST'), SHOULD: passed('SHOULD') }).toEqual({ MUST: 13, SHOULD: 23 });
  });
});

describe('the media type of the answer', () => {
  it('is the one the Accept header prefers, application/json when it names none or accepts anything', async () => {
    const typeFor = async (accept?: string) => (await post({ query: '{ kecamatanList { code } }' }, accept ? { accept } : {})).headers.get('content-type');
    expect(await typeFor()).toBe('application/json; charset=utf-8');
    expect(await typeFor('*/*')).toBe('application/json; charset=utf-8');
    expect(await typeFor(RESPONSE_JSON)).toBe(`${RESPONSE_JSON}; charset=utf-8`);
    expect(await typeFor(`${RESPONSE_JSON}, application/json;q=0.9`)).toBe(`${RESPONSE_JSON}; charset=utf-8`);
    expect(await typeFor(`application/json, ${RESPONSE_JSON};q=0.5`)).toBe('application/json; charset=utf-8');
    // As the spec tells clients to write it.
    expect(await typeFor(`${RESPONSE_JSON}; charset=utf-8, application/json; charset=utf-8`)).toBe(`${RESPONSE_JSON}; charset=utf-8`);
  });

  it("covers the gateway's own refusals and cached answers too", async () => {
    const refused = await post({ query: '{ kecamatanList { code } }' }, { accept: RESPONSE_JSON, 'x-api-key': 'not-a-key-we-issued-00' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe(`${RESPONSE_JSON}; charset=utf-8`);

    const query = { query: '{ kelurahan(code: "35.71.02.1001") { code name } }' };
    // An answer is kept once the gateway knows the city subgraph's data version (its first poll): ask until
    // it says it kept one, bounded, rather than waiting a fixed time.
    let kept = (await post(query)).headers.get('x-kediri-cache');
    for (let attempt = 0; attempt < 100 && !kept; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      kept = (await post(query)).headers.get('x-kediri-cache');
    }
    const cached = await post(query, { accept: RESPONSE_JSON });
    expect(cached.headers.get('x-kediri-cache')).toBe('hit');
    expect(cached.headers.get('content-type')).toBe(`${RESPONSE_JSON}; charset=utf-8`);
    expect(cached.headers.get('vary')).toContain('accept');
  });

  it('is refused with 406 before anything runs when the caller accepts neither type', async () => {
    const before = await graph.dataCommands();
    const response = await post({ query: '{ kelurahanList { code name } }' }, { accept: 'text/csv' });
    expect(response.status).toBe(406);
    expect(((await response.json()) as any).errors[0]).toMatchObject({ extensions: { code: 'NOT_ACCEPTABLE' }, message: expect.stringContaining('text/csv') });
    expect(await graph.dataCommands()).toBe(before);
  });

  it('keeps both Vary reasons when a configured origin calls', async () => {
    const response = await post({ query: '{ kecamatanList { code } }' }, { origin: 'https://dashboard.kedirikota.go.id' });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://dashboard.kedirikota.go.id');
    expect(response.headers.get('vary')?.split(', ').sort()).toEqual(['accept', 'origin']);
  });
});

describe('status codes of request errors', () => {
  const invalid = { query: '{ kelurahanList { notAField } }' };
  const unparsable = { query: '{ kelurahanList { ' };
  const uncoercible = { query: 'query($year: Int!) { cityScorecard(year: $year) { year } }', variables: { year: 'twenty' } };

  it('are 200 for a client that asks for application/json by name, as the spec asks of that media type', async () => {
    for (const body of [invalid, unparsable, uncoercible]) {
      const response = await post(body, { accept: 'application/json' });
      expect(response.status, JSON.stringify(body)).toBe(200);
      const answer = (await response.json()) as any;
      expect(answer.data).toBeUndefined();
      expect(answer.errors[0].extensions.code).toMatch(/GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED|BAD_USER_INPUT/);
    }
  });

  it('are 400 under application/graphql-response+json, and for a client that names no type, as they always were', async () => {
    for (const headers of <Record<string, string>[]>[{ accept: RESPONSE_JSON }, {}, { accept: '*/*' }]) {
      for (const body of [invalid, unparsable, uncoercible]) expect((await post(body, headers)).status, `${JSON.stringify(headers)} ${JSON.stringify(body)}`).toBe(400);
    }
  });

  it("keep the gateway's limits and refusals at their 4xx under application/json too", async () => {
    const deep = `{ kelurahanList { ${'scorecard(year: 2023) { kelurahan { '.repeat(6)}code${' } }'.repeat(6)} } }`;
    const tooDeep = await post({ query: deep }, { accept: 'application/json' });
    expect(tooDeep.status).toBe(400);
    expect(((await tooDeep.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
    const badJson = await fetch(graph.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"query":' });
    expect(badJson.status).toBe(400);
  });
});

describe('GET', () => {
  it('runs a query with its variables and extensions as JSON, with no special header', async () => {
    const response = await get({ query: 'query Name($code: String!) { kelurahan(code: $code) { name } }', variables: JSON.stringify({ code: '35.71.01.1005' }), extensions: '{}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { kelurahan: { name: 'Sukorame' } } });
  });

  it('refuses a mutation with 405 and Allow: POST, and variables that are not JSON with 400', async () => {
    const mutation = await get({ query: 'mutation { __typename }' }, { accept: RESPONSE_JSON, 'x-api-key': TEST_API_KEYS['agency:city'] });
    expect(mutation.status).toBe(405);
    expect(mutation.headers.get('allow')).toBe('POST');
    const broken = await get({ query: '{ kecamatanList { code } }', variables: '{code' });
    expect(broken.status).toBe(400);
  });

  it('is no way around the JSON content type for a POST: a form or plain text from another site is refused before it runs', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(graph.gateway.url, { method: 'POST', headers: { 'content-type': type }, body: 'query={ kecamatanList { code } }' });
      expect(response.status, type).toBe(415);
    }
  });
});
