import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCityGraph, TEST_JWT_SECRET, type CityGraph } from './support/cityGraph';

/**
 * The attacks found by probing a running graph, each replayed against the real gateway, the city subgraph
 * (which owns the audit log) and the tax subgraph, over HTTP. Each of them used to get through.
 */
let graph: CityGraph;

beforeAll(async () => {
  graph = await startCityGraph({ subgraphs: ['city', 'tax'], seed: false, gatewayEnv: { RATE_LIMIT_PUBLIC_PER_MINUTE: '0' } });
});

afterAll(async () => {
  await graph?.stop();
});

const RESIDENT_ID = 'R0123456789abcdef0123456789abcdef';

/** A document of `levels` fragments, each spreading the next twice: 2^levels paths in about 40 bytes a level. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { kelurahanList { code } }`;
}

const health = () => fetch(graph.gateway.url.replace(/graphql$/, 'health')).then((response) => response.status);

describe('bounded cost for any document', () => {
  it('refuses a 1 KB document of 2^24 paths, and /health answers meanwhile', async () => {
    const [result, status] = await Promise.all([graph.query(fragmentBomb(24)), health()]);
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('TOO_MANY_FIELDS');
    expect(status).toBe(200);
  });

  it('refuses 200 aliased scorecards before asking any agency, and 10,000 aliases outright', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: cityScorecard(year: 2023) { year }`).join(' ')} }`;
    const commandsBefore = await graph.dataCommands();
    const two = await graph.query(aliased(200));
    expect(two.status).toBe(400);
    expect(two.errors?.[0].extensions?.code).toBe('TOO_MANY_ALIASES');
    const many = await graph.query(aliased(10_000));
    expect(many.status).toBe(400);
    expect(['TOO_MANY_ALIASES', 'TOO_MANY_TOKENS']).toContain(many.errors?.[0].extensions?.code);
    expect(await graph.dataCommands()).toBe(commandsBefore);
  });

  it('refuses a document with more tokens than the limit while parsing, naming the limit', async () => {
    const result = await graph.query(`{ kecamatanList { ${'code '.repeat(6_000)} } }`);
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('TOO_MANY_TOKENS');
  });

  it('answers a subscription with a 400 saying subscriptions are not served', async () => {
    const result = await graph.query('subscription { __typename }');
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('OPERATION_NOT_SUPPORTED');
  });
});

describe('tokens', () => {
  const sign = (claims: Record<string, unknown>, expiresIn: string | number) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(TEST_JWT_SECRET));

  it('refuses a token valid for a hundred years, one with an empty subject, and a role of no registered agency', async () => {
    const refusals = [
      await sign({ role: 'dashboard', sub: 'mayor-office' }, '36500d'),
      await sign({ role: 'dashboard', sub: '' }, '5m'),
      await sign({ role: 'agency:nonexistent', sub: 'someone' }, '5m'),
    ];
    for (const token of refusals) {
      const result = await graph.queryWithHeaders('{ kecamatanList { code } }', { authorization: `Bearer ${token}` });
      expect(result.status).toBe(401);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const good = await sign({ role: 'dashboard', sub: 'mayor-office' }, '5m');
    expect((await graph.queryWithHeaders('{ kecamatanList { code } }', { authorization: `Bearer ${good}` })).status).toBe(200);
  });
});

describe('an audit trail that cannot be bent', () => {
  const auditLog = (residentId: string) =>
    graph.query(
      'query($id: ID!) { residentAccessLog(residentId: $id) { nodes { seq subject role purpose residentId outcome agenciesAsked } } }',
      { id: residentId },
      'auditor',
    );

  it('records a read whose id and purpose come from variable defaults with that id and purpose', async () => {
    const id = 'R1111111111111111111111111111111a';
    const query = `query Defaults($id: ID! = "${id}", $purpose: String! = "Case 88: defaults are read too") { resident(id: $id, purpose: $purpose) { id taxpayer { npwpd } } }`;
    const result = await graph.query(query, {}, 'caseworker');
    expect(result.errors).toBeUndefined();
    const log = await auditLog(id);
    expect(log.data.residentAccessLog.nodes).toEqual([
      expect.objectContaining({ residentId: id, purpose: 'Case 88: defaults are read too', role: 'caseworker', outcome: 'answered', agenciesAsked: ['tax'] }),
    ]);
  });

  it('refuses a purpose without real words, and a purpose of 100,000 characters, before any trail or read', async () => {
    for (const purpose of ['\u200b\u200b\u200b\u200b\u200b', '.....', 'Case 1', 'x'.repeat(100_000)]) {
      const result = await graph.query('query($p: String!) { resident(id: "R2222222222222222222222222222222b", purpose: $p) { id } }', { p: purpose }, 'caseworker');
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'purpose' });
    }
    expect((await auditLog('R2222222222222222222222222222222b')).data.residentAccessLog.nodes).toEqual([]);
  });

  it('writes no trail for a read that @skip or @include leaves out, as the executor leaves it out', async () => {
    const skipped = await graph.query(
      'query($s: Boolean!) { resident(id: "R3333333333333333333333333333333c", purpose: "Case 3: skipped read") @skip(if: $s) { id } kecamatanList { code } }',
      { s: true },
      'caseworker',
    );
    expect(skipped.errors).toBeUndefined();
    expect((await auditLog('R3333333333333333333333333333333c')).data.residentAccessLog.nodes).toEqual([]);
  });

  it('writes no trail for a read in an operation refused for its rules or its limits: nothing was read', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `k${i}: kecamatanList { code }`).join(' ');
    const overLimit = await graph.query(`{ resident(id: "R4444444444444444444444444444444d", purpose: "Case 4: refused for its aliases") { id } ${aliases} }`, {}, 'caseworker');
    expect(overLimit.errors?.[0].extensions?.code).toBe('TOO_MANY_ALIASES');
    const subscription = await graph.query('subscription { resident(id: "R4444444444444444444444444444444d", purpose: "Case 4: not served") { id } }', {}, 'caseworker');
    expect(subscription.status).toBe(400);
    expect((await auditLog('R4444444444444444444444444444444d')).data.residentAccessLog.nodes).toEqual([]);
  });

  it('reports an edited or a deleted entry when an auditor checks the chain', async () => {
    await graph.query(`{ resident(id: "${RESIDENT_ID}", purpose: "Case 9: chain check one") { id } }`, {}, 'caseworker');
    await graph.query(`{ resident(id: "${RESIDENT_ID}", purpose: "Case 9: chain check two") { id } }`, {}, 'caseworker');
    const chain = '{ residentAccessChain { intact entries head { seq hash } firstBreak { seq reason } } }';
    const intact = await graph.query(chain, {}, 'auditor');
    expect(intact.data.residentAccessChain).toMatchObject({ intact: true, firstBreak: null });
    expect(intact.data.residentAccessChain.entries).toBeGreaterThanOrEqual(4);

    // Someone with access to the database edits one entry's purpose, then deletes another entry.
    const client = await MongoClient.connect(graph.mongoUri);
    const log = client.db('kediri_city').collection('resident_access_audit');
    try {
      const edited = await log.findOneAndUpdate({ purpose: 'Case 9: chain check one' }, { $set: { purpose: 'Routine check' } });
      const editedBreak = await graph.query(chain, {}, 'auditor');
      expect(editedBreak.data.residentAccessChain.intact).toBe(false);
      expect(editedBreak.data.residentAccessChain.firstBreak).toEqual({ seq: edited!.seq, reason: expect.stringMatching(/changed after it was written/) });

      await log.updateOne({ _id: edited!._id }, { $set: { purpose: 'Case 9: chain check one' } });
      const victim = await log.findOne({ purpose: 'Case 9: chain check two' });
      await log.deleteOne({ _id: victim!._id });
      const deletedBreak = await graph.query(chain, {}, 'auditor');
      expect(deletedBreak.data.residentAccessChain.intact).toBe(false);
      expect(deletedBreak.data.residentAccessChain.firstBreak.reason).toMatch(new RegExp(`entries ${victim!.seq} to ${victim!.seq} are missing`));
    } finally {
      await client.close();
    }
  });

  it('refuses every change or removal of an entry in the model itself: the log only grows', async () => {
    const { city } = graph.subgraphs;
    await expect(city.models.AuditEntry.updateOne({}, { $set: { purpose: 'x' } })).rejects.toThrow(/append-only/);
    await expect(city.models.AuditEntry.deleteMany({})).rejects.toThrow(/append-only/);
  });
});

describe('production gives nothing away', () => {
  let production: CityGraph;

  beforeAll(async () => {
    production = await startCityGraph({
      subgraphs: ['city'],
      seed: false,
      gatewayEnv: { NODE_ENV: 'production', REQUIRE_PERSISTED_OPERATIONS: 'public', RATE_LIMIT_PUBLIC_PER_MINUTE: '5', RATE_LIMIT_WRONG_CREDENTIALS_PER_MINUTE: '3' },
    });
  });

  afterAll(async () => {
    await production?.stop();
  });

  it('gives no suggestions of real field names for a misspelt field, and no introspection', async () => {
    const misspelt = await production.query('{ kelurahanLis { code } }', {}, 'dashboard');
    expect(misspelt.status).toBe(400);
    expect(JSON.stringify(misspelt.errors)).not.toMatch(/Did you mean/);
    const introspection = await production.query('{ __schema { types { name } } }', {}, 'dashboard');
    expect(introspection.errors?.[0].extensions?.code).toBe('INTROSPECTION_DISABLED');
  });

  it('runs only persisted operations for the public, by id, and refuses any other document', async () => {
    const free = await production.query('{ kelurahanList { code } }');
    expect(free.status).toBe(400);
    expect(free.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_REQUIRED');
    const manifest = JSON.parse(readFileSync(new URL('../schema/persisted-operations.json', import.meta.url), 'utf8')) as { operations: { id: string; name: string }[] };
    const id = manifest.operations.find((operation) => operation.name === 'KelurahanName')!.id;
    const byId = await fetch(production.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documentId: `sha256:${id}`, variables: { code: '35.71.01.1005' } }),
    });
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as any).data.kelurahan).toEqual({ code: '35.71.01.1005', name: 'Sukorame', kecamatan: { name: 'Mojoroto' } });
    const unknown = await fetch(production.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: 'ff00' }) });
    expect(unknown.status).toBe(400);
  });

  it('limits each public client per minute with 429 and Retry-After', async () => {
    const responses = [];
    for (let i = 0; i < 8; i += 1) {
      responses.push(await fetch(production.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"documentId":"00"}' }));
    }
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited[0].json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
    // Another client, by its API key, has its own budget.
    expect((await production.query('{ kecamatanList { code } }', {}, 'dashboard')).status).toBe(200);
  });

  it('answers wrong credentials 401 a few times a minute per address, then 429, while right ones still pass', async () => {
    const guesses = [];
    for (let i = 0; i < 5; i += 1) guesses.push(await production.queryWithHeaders('{ kecamatanList { code } }', { 'x-api-key': `guessed-key-${i}-0123456789` }));
    expect(guesses.map((guess) => guess.status)).toEqual([401, 401, 401, 429, 429]);
    expect(guesses[3].errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect(guesses[3].errors?.[0].message).toMatch(/wrong credentials.*at most 3 a minute/);
    expect((await production.query('{ kecamatanList { code } }', {}, 'dashboard')).status).toBe(200);
  });
});
