import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph, SUPERGRAPH_URL } from '../schema/composition';
import { IDENTITY_HEADER, signIdentity } from '../platform/identity';
import { KELURAHAN } from '../subgraphs/kit/reference/kelurahan';
import { postBody, postGraphQL, TEST_SECRETS } from '../subgraphs/kit/testing';
import { SUBGRAPHS } from '../subgraphs/registry';
import { startCityGraph, TEST_API_KEYS, TEST_JWT_SECRET, type CityGraph } from './support/cityGraph';

/**
 * The platform end to end: the city reference subgraph and the tax subgraph behind the real gateway, over
 * HTTP, on the embedded store. Other agencies are not started here, so the gateway counts them as down.
 */
let graph: CityGraph;

const DASHBOARD_ORIGIN = 'https://dashboard.kedirikota.go.id';

beforeAll(async () => {
  graph = await startCityGraph({ subgraphs: ['city', 'tax'], gatewayEnv: { CORS_ORIGINS: DASHBOARD_ORIGIN } });
});

afterAll(async () => {
  await graph?.stop();
});

const KELURAHAN_LIST = '{ kelurahanList { code name kecamatan { code name } } }';
const TAXPAYER_NAMES = '{ taxpayers(first: 3) { totalCount nodes { npwpd name } } }';

describe('the contract queries, without credentials', () => {
  it('lists the 46 kelurahan in code order with their kecamatan', async () => {
    const result = await graph.query(KELURAHAN_LIST);
    expect(result.errors).toBeUndefined();
    const list = result.data.kelurahanList;
    expect(list).toHaveLength(46);
    expect(list.map((k: { code: string }) => k.code)).toEqual([...list.map((k: { code: string }) => k.code)].sort());
    expect(list[0]).toEqual({ code: '35.71.01.1001', name: 'Bandar Lor', kecamatan: { code: '35.71.01', name: 'Mojoroto' } });
    const perKecamatan: Record<string, number> = {};
    for (const k of list as { kecamatan: { name: string } }[]) perKecamatan[k.kecamatan.name] = (perKecamatan[k.kecamatan.name] ?? 0) + 1;
    expect(perKecamatan).toEqual({
      Mojoroto: 14,
      Kota: 17,
      Pesantren: 15,
    });
  });

  it('finds Sukorame in kecamatan 35.71.01 Mojoroto by code', async () => {
    const result = await graph.query('{ kelurahan(code: "35.71.01.1005") { code name kecamatan { code name } } }');
    expect(result).toEqual({
      status: 200,
      data: { kelurahan: { code: '35.71.01.1005', name: 'Sukorame', kecamatan: { code: '35.71.01', name: 'Mojoroto' } } },
    });
  });

  it('accepts another spelling of a name and answers with the canonical one', async () => {
    const result = await graph.query('{ kelurahan(name: "Banjar Mlati") { code name } }');
    expect(result.data.kelurahan).toEqual({ code: '35.71.01.1003', name: 'Banjarmlati' });
    expect(KELURAHAN.find((k) => k.code === '35.71.01.1003')?.name).toBe('Banjarmlati');
  });
});

describe('errors keep their code through the gateway', () => {
  it('passes BAD_USER_INPUT from a subgraph with the field at fault', async () => {
    const result = await graph.query('{ kelurahan(code: "35.71.1005") { code } }');
    expect(result.data.kelurahan).toBeNull();
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code', serviceName: 'city' });
    expect(result.errors?.[0].message).toContain('"35.71.1005"');
  });

  it('refuses an operation nested deeper than the limit before asking any subgraph', async () => {
    const deep = '{ kelurahanList { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { code } } } } } } } } } } } } } }';
    const result = await graph.query(deep);
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
  });
});

describe('who the caller is', () => {
  it('lets the public read aggregates but not a taxpayer, saying why', async () => {
    const result = await graph.query(TAXPAYER_NAMES);
    expect(result.data).toBeNull();
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(result.errors?.[0].message).toMatch(/agency:tax/);
  });

  it('refuses dashboards personal data too', async () => {
    const result = await graph.query(TAXPAYER_NAMES, {}, 'dashboard');
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('lets the tax agency read its taxpayers by API key', async () => {
    const result = await graph.query(TAXPAYER_NAMES, {}, 'agency:tax');
    expect(result.errors).toBeUndefined();
    expect(result.data.taxpayers.totalCount).toBeGreaterThan(1000);
    expect(result.data.taxpayers.nodes[0].name).toEqual(expect.any(String));
  });

  it('lets the tax agency read its taxpayers by a JWT', async () => {
    const token = await new SignJWT({ role: 'agency:tax' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('officer-17')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const result = await graph.queryWithHeaders(TAXPAYER_NAMES, { authorization: `Bearer ${token}` });
    expect(result.errors).toBeUndefined();
    expect(result.data.taxpayers.nodes).toHaveLength(3);
  });

  it('refuses an expired JWT, one that never expires, one signed with another secret and an unknown API key with UNAUTHENTICATED', async () => {
    const expired = await new SignJWT({ role: 'agency:tax' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('officer-17')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const forged = await new SignJWT({ role: 'agency:tax' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('intruder')
      .sign(new TextEncoder().encode('another-secret-another-secret-12345'));
    const endless = await new SignJWT({ role: 'agency:tax' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('officer-17')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${endless}` },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${forged}` },
      { 'x-api-key': 'not-a-key-we-issued' },
      { 'x-api-key': TEST_API_KEYS['agency:tax'], authorization: `Bearer ${forged}` },
    ]) {
      const result = await graph.queryWithHeaders(TAXPAYER_NAMES, headers);
      expect(result.status).toBe(401);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('subgraphs refuse requests that did not come through the gateway', () => {
  const query = TAXPAYER_NAMES;

  it('refuses a request with no identity header', async () => {
    const result = await postGraphQL(graph.subgraphs.tax.url, query);
    expect(result.status).toBe(401);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data).toBeUndefined();
  });

  const body = JSON.stringify({ query, variables: {} });
  const target = { audience: 'tax', body };

  it('refuses an identity signed with another secret', async () => {
    const forged = signIdentity({ subject: 'intruder', role: 'agency:tax' }, 'not-the-secret-not-the-secret-000000', target);
    const result = await postBody(graph.subgraphs.tax.url, body, { [IDENTITY_HEADER]: forged });
    expect(result.status).toBe(401);
    expect(result.data).toBeUndefined();
  });

  it('refuses a replayed identity signed long ago', async () => {
    const old = signIdentity({ subject: 'x', role: 'agency:tax' }, TEST_SECRETS.identitySecret, target, Date.now() - 3_600_000);
    const result = await postBody(graph.subgraphs.tax.url, body, { [IDENTITY_HEADER]: old });
    expect(result.status).toBe(401);
    expect(result.errors?.[0].message).toMatch(/expired/);
  });

  it('refuses a captured identity replayed with another query or at another subgraph', async () => {
    const captured = signIdentity({ subject: 'api-key-2:agency:tax', role: 'agency:tax' }, TEST_SECRETS.identitySecret, target);
    const other = JSON.stringify({ query: '{ taxReports(first: 5) { nodes { id grossRevenue } } }', variables: {} });
    const replayed = await postBody(graph.subgraphs.tax.url, other, { [IDENTITY_HEADER]: captured });
    expect(replayed.status).toBe(401);
    expect(replayed.errors?.[0].message).toMatch(/another request body/);
    const elsewhere = await postBody(graph.subgraphs.city.url, body, { [IDENTITY_HEADER]: captured });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.errors?.[0].message).toMatch(/not for "city"/);
    const genuine = await postBody(graph.subgraphs.tax.url, body, { [IDENTITY_HEADER]: captured });
    expect(genuine.status).toBe(200);
  });

  it('still answers health checks, which carry no data', async () => {
    const response = await fetch(graph.subgraphs.tax.url.replace(/graphql$/, 'health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', subgraph: 'tax' });
  });
});

describe('malformed requests get a clear answer and never break the gateway', () => {
  const post = (body: string, type = 'application/json') =>
    fetch(graph.gateway.url, { method: 'POST', headers: { 'content-type': type }, body });

  it('answers bad JSON, a wrong content type, a syntax error and an oversized body with what was wrong', async () => {
    const garbage = await post('{oops');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as any).errors[0].message).toMatch(/not valid JSON/);

    const text = await post('{"query":"{ kecamatanList { code } }"}', 'text/plain');
    expect(text.status).toBe(415);

    const syntax = await post('{"query":"{ kecamatanList { "}');
    expect(syntax.status).toBe(400);
    expect(((await syntax.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');

    const huge = await post(JSON.stringify({ query: '{ kecamatanList { code } }', padding: 'x'.repeat(2_000_000) }));
    expect(huge.status).toBe(413);

    const next = await post('{"query":"{ kecamatanList { code } }"}');
    expect(next.status).toBe(200);
    expect(((await next.json()) as any).data.kecamatanList).toHaveLength(3);
  });
});

describe('browsers', () => {
  const preflight = (origin: string) =>
    fetch(graph.gateway.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' },
    });

  it('lets a configured dashboard origin call the gateway with its API key', async () => {
    const response = await preflight(DASHBOARD_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toContain('x-api-key');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();

    const answer = await fetch(graph.gateway.url, {
      method: 'POST',
      headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ kecamatanList { code } }' }),
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe(DASHBOARD_ORIGIN);
    expect(((await answer.json()) as any).data.kecamatanList).toHaveLength(3);
  });

  it('gives any other origin no CORS headers', async () => {
    const response = await preflight('https://elsewhere.example');
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('health and readiness', () => {
  const base = () => graph.gateway.url.replace(/\/graphql$/, '');

  it('answers /health while the process is up', async () => {
    const response = await fetch(`${base()}/health`);
    expect(response.status).toBe(200);
  });

  it('answers /ready 503 naming the subgraphs that do not answer', async () => {
    const response = await fetch(`${base()}/ready`);
    const body = (await response.json()) as any;
    expect(response.status).toBe(503);
    expect(body.subgraphs).toMatchObject({ city: 'up', tax: 'up', health: 'down' });
    expect(body.reason).toContain('health');
  });
});

describe('a subgraph that is down costs only its own fields', () => {
  let partial: CityGraph;

  beforeAll(async () => {
    // No response cache: the answer from before the stop would otherwise be served for up to one version poll.
    partial = await startCityGraph({ subgraphs: ['city', 'tax'], seed: false, gatewayEnv: { GATEWAY_RESPONSE_CACHE_TTL_MS: '0' } });
  });

  afterAll(async () => {
    await partial?.stop();
  });

  it('answers the kelurahan and nulls the tax fields with an error naming the tax subgraph', async () => {
    const query = '{ kelurahanList { code name taxSummary(year: 2023) { reportsFiled } } }';
    const before = await partial.query(query, {}, 'dashboard');
    expect(before.errors).toBeUndefined();
    expect(before.data.kelurahanList[0].taxSummary).toEqual({ reportsFiled: 0 });

    await partial.stopSubgraph('tax');
    const after = await partial.query(query, {}, 'dashboard');
    expect(after.data.kelurahanList).toHaveLength(46);
    expect(after.data.kelurahanList[4]).toEqual({ code: '35.71.01.1005', name: 'Sukorame', taxSummary: null });
    expect(after.errors?.length).toBeGreaterThan(0);
    expect(after.errors?.[0].extensions?.serviceName).toBe('tax');

    const ready = await fetch(partial.gateway.url.replace(/graphql$/, 'ready'));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as any).subgraphs.tax).toBe('down');
  });
});

describe('the gateway reloads the supergraph file when it changes', () => {
  let reloading: CityGraph;
  let file: string;

  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'supergraph-')), 'supergraph.graphql');
    writeFileSync(file, composeSupergraph(SUBGRAPHS.filter((entry) => entry.name === 'city')));
    reloading = await startCityGraph({ subgraphs: ['city', 'tax'], seed: false, supergraphPath: file });
  });

  afterAll(async () => {
    await reloading?.stop();
  });

  it('serves tax fields once the composed file that includes tax is written', async () => {
    const query = '{ taxRates { taxType } }';
    const before = await reloading.query(query);
    expect(before.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    copyFileSync(SUPERGRAPH_URL, file);
    let after = await reloading.query(query);
    // The file watcher fires asynchronously; wait for the event, bounded, rather than for a fixed time.
    for (let attempt = 0; attempt < 100 && after.errors; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await reloading.query(query);
    }
    expect(after.errors).toBeUndefined();
    expect(after.data.taxRates.length).toBeGreaterThan(3);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(SUPERGRAPH_URL, 'utf8'));
  });
});

describe('a resident read that cannot be audited is withheld', () => {
  let unaudited: CityGraph;
  /** Whether the auditor takes the read entries, to fail only on the outcome entries that follow the answer. */
  let takesReads = false;

  beforeAll(async () => {
    const failingAuditor = {
      append: async (entries: { kind: string }[]) => {
        if (takesReads && entries.every((entry) => entry.kind === 'read')) return { entries: entries.map((_, index) => ({ id: `read-${index}`, seq: index + 1 })) };
        throw new Error('audit store unreachable');
      },
    };
    unaudited = await startCityGraph({ subgraphs: ['city', 'tax'], seed: false, gateway: { auditor: failingAuditor } });
  });

  afterAll(async () => {
    await unaudited?.stop();
  });

  it('withholds the answer, with a 503 and the same refusal, when its outcome entry cannot be written', async () => {
    takesReads = true;
    try {
      const result = await unaudited.query(
        '{ resident(id: "R0123456789abcdef0123456789abcdef", purpose: "Case 7: benefits review") { id taxpayer { npwpd } } }',
        {},
        'caseworker',
      );
      expect(result.status).toBe(503);
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toEqual([{ message: 'The resident read was withheld because its audit record could not be written.', extensions: { code: 'AUDIT_UNAVAILABLE' } }]);
    } finally {
      takesReads = false;
    }
  });

  it('answers no data and says the audit record could not be written', async () => {
    const result = await unaudited.query(
      '{ resident(id: "R0123456789abcdef0123456789abcdef", purpose: "Case 7: benefits review") { id taxpayer { npwpd } } }',
      {},
      'caseworker',
    );
    // Refused before any agency was asked: no data at all, and a 503 since the fault is the log's, not the caller's.
    expect(result.status).toBe(503);
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');
    expect(result.errors?.[0].message).toMatch(/audit record could not be written/);
    expect(result.errors?.[0].message).not.toContain('unreachable');
  });
});
