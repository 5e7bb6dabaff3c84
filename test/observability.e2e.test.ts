import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { ApolloServerPlugin } from '@apollo/server';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo';
import { readGatewayConfig } from '../gateway/config';
import { buildGateway, startGateway, type RunningGateway } from '../gateway/server';
import { createLogger, readLogSettings } from '../platform/logging';
import { readMetricsSettings } from '../platform/metrics';
import { startTracing, tracingEnabled, type Tracing } from '../platform/tracing';
import { city } from '../subgraphs/city/index';
import { startSubgraph, type RunningSubgraph } from '../subgraphs/kit/subgraph';
import { TEST_SECRETS } from '../subgraphs/kit/testing';
import { SUBGRAPHS } from '../subgraphs/registry';
import { parsePrometheusText, sampleValue, type Sample } from './prometheusText';
import { startCityGraph, TEST_API_KEYS, TEST_JWT_SECRET, type CityGraph } from './support/cityGraph';

/**
 * The services as the city's operators see them: /metrics whose counters move with known requests, log
 * lines that carry the caller's request id from the gateway into the subgraph and never a key, a token or
 * a NIK, and one trace per request from the caller through the gateway and the subgraph to the database.
 * Real servers on port 0, real HTTP, the embedded store.
 */
const MANIFEST = JSON.parse(readFileSync(new URL('../schema/persisted-operations.json', import.meta.url), 'utf8')) as { operations: { id: string; name: string }[] };
const KELURAHAN_NAME_ID = MANIFEST.operations.find((operation) => operation.name === 'KelurahanName')!.id;
const DEEP =
  '{ kelurahanList { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { scorecard(year: 2023) { kelurahan { code } } } } } } } } } } } } } }';
const AUDIT_LOG = '{ residentAccessLog(first: 2) { totalCount nodes { at } } }';
const NIK = '3571022211630001';
const SIXTEEN_DIGITS = /(?<!\d)\d{16}(?!\d)/;

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(url.replace(/\/graphql$/, '/metrics'), { headers });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(text);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('metrics', () => {
  let graph: CityGraph;
  const gatewayMetrics = () => scrape(graph.gateway.url);
  const cityMetrics = () => scrape(graph.subgraphs.city.url);

  beforeAll(async () => {
    graph = await startCityGraph({ subgraphs: ['city'], seed: false, gatewayEnv: { RATE_LIMIT_PUBLIC_PER_MINUTE: '0' } });
  });

  afterAll(async () => {
    await graph?.stop();
  });

  it('are served as Prometheus text that parses, by the gateway and by a subgraph, with the process metrics', async () => {
    for (const samples of [await gatewayMetrics(), await cityMetrics()]) {
      expect(samples.length).toBeGreaterThan(20);
      // CPU time counts from the metrics' start in the kernel's ticks, so it may still read 0; memory never does.
      expect(samples.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);
      expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    }
    const circuits = (await gatewayMetrics()).filter((sample) => sample.name === 'kediri_gateway_subgraph_circuit_state');
    expect(circuits.map((sample) => sample.labels.subgraph).sort()).toEqual(SUBGRAPHS.map((entry) => entry.name).sort());
    expect(circuits.every((sample) => sample.value === 0)).toBe(true);
  });

  it('count two requests of a persisted operation by the public under its name and role class, one of them from the cache', async () => {
    const labels = { operation: 'KelurahanName', role_class: 'public', outcome: 'ok' };
    const before = await gatewayMetrics();
    const answers = [];
    for (let i = 0; i < 2; i += 1) {
      const response = await post(graph.gateway.url, { documentId: `sha256:${KELURAHAN_NAME_ID}`, variables: { code: '35.71.01.1005' } });
      expect(response.status).toBe(200);
      answers.push(response.headers.get('x-kediri-cache'));
    }
    const after = await gatewayMetrics();
    const delta = (name: string, wanted: Record<string, string>) => sampleValue(after, name, wanted) - sampleValue(before, name, wanted);
    expect(delta('kediri_gateway_requests_total', labels)).toBe(2);
    expect(delta('kediri_gateway_request_duration_seconds_count', { operation: 'KelurahanName', role_class: 'public' })).toBe(2);
    expect(delta('kediri_gateway_response_cache_lookups_total', { role_class: 'public' })).toBe(2);
    expect(delta('kediri_gateway_response_cache_lookups_total', { role_class: 'public', result: 'hit' })).toBe(answers.filter((answer) => answer === 'hit').length);
    // The first asked the city subgraph, and it answered; nothing failed.
    expect(delta('kediri_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'city' })).toBeGreaterThanOrEqual(1);
    expect(delta('kediri_gateway_subgraph_fetch_errors_total', {})).toBe(0);
  });

  it('count a query refused for its depth under QUERY_TOO_DEEP, and an unknown persisted id under its code', async () => {
    const before = await gatewayMetrics();
    expect((await post(graph.gateway.url, { query: DEEP })).status).toBe(400);
    expect((await post(graph.gateway.url, { documentId: 'ff00' })).status).toBe(400);
    const after = await gatewayMetrics();
    const delta = (name: string, wanted: Record<string, string>) => sampleValue(after, name, wanted) - sampleValue(before, name, wanted);
    expect(delta('kediri_gateway_limit_refusals_total', { code: 'QUERY_TOO_DEEP' })).toBe(1);
    expect(delta('kediri_gateway_limit_refusals_total', { code: 'PERSISTED_QUERY_NOT_FOUND' })).toBe(1);
    expect(delta('kediri_gateway_limit_refusals_total', {})).toBe(2);
    expect(delta('kediri_gateway_requests_total', { operation: 'anonymous', role_class: 'public', outcome: 'refused' })).toBe(2);
  });

  it('count the database commands a subgraph query sends, by command name, and the request at the subgraph', async () => {
    const before = await cityMetrics();
    const result = await graph.query(AUDIT_LOG, {}, 'auditor');
    expect(result.errors).toBeUndefined();
    const after = await cityMetrics();
    const delta = (name: string, wanted: Record<string, string>) => sampleValue(after, name, wanted) - sampleValue(before, name, wanted);
    // One page of the audit log is a find and a countDocuments (an aggregate); the gateway's version polls only find.
    expect(delta('kediri_subgraph_db_commands_total', { subgraph: 'city', command: 'aggregate', outcome: 'ok' })).toBe(1);
    expect(delta('kediri_subgraph_db_commands_total', { command: 'find', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(delta('kediri_subgraph_db_command_duration_seconds_count', { command: 'aggregate' })).toBe(1);
    expect(delta('kediri_subgraph_requests_total', { outcome: 'ok' })).toBe(1);
  });

  it('count the write units of an audited resident read: the read and its outcome, each committed', async () => {
    const before = await cityMetrics();
    const result = await graph.query('{ resident(id: "R3c6bdebce4b661a0b4296daf5086a4bf", purpose: "Case 2026-42: social assistance review") { id } }', {}, 'caseworker');
    expect(result.errors).toBeUndefined();
    const after = await cityMetrics();
    expect(sampleValue(after, 'kediri_subgraph_write_units_total', { outcome: 'committed' }) - sampleValue(before, 'kediri_subgraph_write_units_total', { outcome: 'committed' })).toBe(2);
    expect(sampleValue(after, 'kediri_subgraph_write_units_total', { outcome: 'failed' })).toBe(0);
  });
});

describe('/metrics in production', () => {
  const token = 'metrics-scraper-token-0123456789abcdef';
  let graph: CityGraph;

  beforeAll(async () => {
    graph = await startCityGraph({
      subgraphs: ['city'],
      seed: false,
      gatewayEnv: { NODE_ENV: 'production' },
      gateway: { metricsSettings: readMetricsSettings({ NODE_ENV: 'production', METRICS_TOKEN: token }) },
    });
  });

  afterAll(async () => {
    await graph?.stop();
  });

  it('is refused without the token or with another, and served with it', async () => {
    const url = graph.gateway.url.replace(/\/graphql$/, '/metrics');
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer not-the-token-0123456789abcdef' } })).status).toBe(401);
    expect(sampleValue(await scrape(url, { authorization: `Bearer ${token}` }), 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('does not exist without a setting that allows it', async () => {
    const env = { NODE_ENV: 'production', PORT: '0', IDENTITY_SECRET: TEST_SECRETS.identitySecret };
    const gateway = await buildGateway(readGatewayConfig(env), { log: () => {}, metricsSettings: readMetricsSettings(env) });
    try {
      const response = await gateway.handle({ method: 'GET', path: '/metrics', search: '', headers: {}, body: '' });
      expect(response.status).toBe(404);
    } finally {
      await gateway.stop();
    }
  });
});

/** What a span looks like once exported as OTLP JSON and read back. */
interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's span kind: 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
}

/** A tiny OTLP/HTTP collector: keeps the spans of every JSON export it receives. */
async function startCollector(): Promise<{ url: string; spans: CollectedSpan[]; exports: () => number; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  let exports = 0;
  const hex = (id: unknown) => (typeof id === 'string' && !/^[0-9a-f]*$/.test(id) ? Buffer.from(id, 'base64').toString('hex') : (id as string | undefined));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exports += 1;
      const raw = Buffer.concat(chunks);
      const payload = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
      for (const resourceSpans of payload.resourceSpans ?? []) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: hex(span.traceId)!,
              spanId: hex(span.spanId)!,
              parentSpanId: hex(span.parentSpanId) || undefined,
              name: span.name,
              kind: span.kind,
              attributes: Object.fromEntries((span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]])),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return listening(server, (origin) => ({ url: origin, spans, exports: () => exports }));
}

/** A pass-through in front of a subgraph that records the headers of every /graphql request the gateway sends. */
async function startRecordingProxy(target: string): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.startsWith('/graphql')) seen.push(req.headers);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name)) headers[name] = value;
    }
    const answer = await fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
  });
  return listening(server, (origin) => ({ url: `${origin}/graphql`, seen }));
}

async function listening<T>(server: Server, describe: (origin: string) => T): Promise<T & { close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...describe(origin),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The city subgraph behind a recording proxy and the gateway, each logging into an array (with an access
 * line per request, as ACCESS_LOG=true asks). A careless plugin logs every request's headers and variables
 * at the gateway, as a hurried change might: the lines must still hold no credential and no NIK.
 */
describe('logs and traces across gateway, subgraph and database', () => {
  let store: EmbeddedMongo;
  let subgraph: RunningSubgraph;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let gateway: RunningGateway;
  const gatewayLines: Record<string, any>[] = [];
  const subgraphLines: Record<string, any>[] = [];
  const raw: string[] = [];
  const capture = (into: Record<string, any>[]) => ({
    write(line: string) {
      raw.push(line);
      into.push(JSON.parse(line));
    },
  });
  const settings = { ...readLogSettings({}), level: 'info' as const };
  const gatewayLogger = createLogger({ name: 'gateway', settings, destination: capture(gatewayLines) });

  const carelessLogging: ApolloServerPlugin<any> = {
    async requestDidStart({ request }) {
      gatewayLogger.info({ headers: Object.fromEntries(request.http?.headers ?? []), variables: request.variables }, `asked with ${JSON.stringify(request.variables)} by ${request.http?.headers.get('authorization') ?? request.http?.headers.get('x-api-key')}`);
    },
  };

  beforeAll(async () => {
    store = await startEmbeddedMongo({ port: 0 });
    subgraph = await startSubgraph(city, {
      port: 0,
      mongoUri: store.uri,
      ...TEST_SECRETS,
      seedIfEmpty: false,
      logger: createLogger({ name: 'city', settings, destination: capture(subgraphLines) }),
      accessLog: true,
    });
    proxy = await startRecordingProxy(subgraph.url);
    const env: NodeJS.ProcessEnv = {
      PORT: '0',
      IDENTITY_SECRET: TEST_SECRETS.identitySecret,
      API_KEYS: Object.entries(TEST_API_KEYS).map(([role, key]) => `${key}=${role}`).join(','),
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PUBLIC_PER_MINUTE: '0',
      RATE_LIMIT_DASHBOARD_PER_MINUTE: '0',
      RATE_LIMIT_STAFF_PER_MINUTE: '0',
      // Every answer is computed, so every request reaches the subgraph.
      GATEWAY_RESPONSE_CACHE_TTL_MS: '0',
    };
    for (const entry of SUBGRAPHS) env[`SUBGRAPH_URL_${entry.name.toUpperCase()}`] = entry.name === 'city' ? proxy.url : 'http://127.0.0.1:9/graphql';
    gateway = await startGateway(readGatewayConfig(env), { logger: gatewayLogger, accessLog: true, plugins: [carelessLogging] });
  });

  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await subgraph?.stop();
    await store?.stop();
  });

  const linesOf = (lines: Record<string, any>[], requestId: string) => lines.filter((line) => line.requestId === requestId);

  describe('logs', () => {
    it('carry the caller request id from the gateway into the subgraph, which gets it with the trace context', async () => {
      const response = await post(gateway.url, { query: 'query Find($code: String!) { kelurahan(code: $code) { code name } }', variables: { code: '35.71.01.1005' } }, { 'x-request-id': 'obs-test-0001' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('obs-test-0001');

      const atGateway = linesOf(gatewayLines, 'obs-test-0001');
      const atSubgraph = linesOf(subgraphLines, 'obs-test-0001');
      expect(atGateway.find((line) => line.msg === 'request')).toMatchObject({ name: 'gateway', level: 'info', method: 'POST', path: '/graphql', status: 200, operation: 'Find', roleClass: 'public' });
      expect(atSubgraph.find((line) => line.msg === 'request')).toMatchObject({ name: 'city', method: 'POST', path: '/graphql', status: 200 });
      // Without a tracer the gateway still starts a trace id and sends it on, so both sides' lines share it.
      const traceId = atGateway[0].traceId;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(atGateway.every((line) => line.traceId === traceId) && atSubgraph.every((line) => line.traceId === traceId)).toBe(true);
      const sent = proxy.seen.find((headers) => headers['x-request-id'] === 'obs-test-0001');
      expect(sent?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    });

    it('give a request without a usable request id a new one, returned to the caller and logged on both sides', async () => {
      for (const headers of [{}, { 'x-request-id': 'spaces and <markup> are not safe' }] as Record<string, string>[]) {
        const response = await post(gateway.url, { query: '{ kecamatanList { code } }' }, headers);
        const id = response.headers.get('x-request-id')!;
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(linesOf(gatewayLines, id).length).toBeGreaterThan(0);
        expect(linesOf(subgraphLines, id).length).toBeGreaterThan(0);
      }
    });

    it('never hold an API key, a JWT or a 16-digit number, though the requests carried all three', async () => {
      const jwt = await new SignJWT({ role: 'dashboard' }).setProtectedHeader({ alg: 'HS256' }).setSubject('officer-17').setExpirationTime('5m').sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const query = 'query Find($code: String!) { kelurahan(code: $code) { code } }';
      const byKey = await post(gateway.url, { query, variables: { code: '35.71.01.1005', note: `NIK ${NIK}` } }, { 'x-api-key': TEST_API_KEYS.dashboard, 'x-request-id': 'obs-test-key' });
      const byToken = await post(gateway.url, { query, variables: { code: '35.71.01.1005', nik: NIK } }, { authorization: `Bearer ${jwt}`, 'x-request-id': 'obs-test-jwt' });
      expect([byKey.status, byToken.status]).toEqual([200, 200]);
      // The careless plugin did write the requests' headers and variables: redacted.
      const careless = linesOf(gatewayLines, 'obs-test-key').find((line) => line.headers);
      expect(careless?.headers['x-api-key']).toBe('[REDACTED]');
      expect(linesOf(gatewayLines, 'obs-test-jwt').find((line) => line.headers)?.headers.authorization).toBe('[REDACTED]');
      const text = raw.join('');
      expect(text).not.toContain(TEST_API_KEYS.dashboard);
      expect(text).not.toContain(jwt);
      expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
      expect(text).not.toContain(NIK);
      // Trace and span ids are random hex, which now and then holds sixteen decimal digits in a row: not a number.
      expect(text.replace(/"(traceId|spanId)":"[0-9a-f]+"/g, '')).not.toMatch(SIXTEEN_DIGITS);
      expect(text).not.toContain(TEST_SECRETS.identitySecret);
    });
  });

  describe('with tracing off (no OTEL_TRACES_EXPORTER)', () => {
    it('registers no tracer provider and exports nothing', async () => {
      const collector = await startCollector();
      try {
        expect(await startTracing({ serviceName: 'kediri-test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } })).toBeUndefined();
        expect(tracingEnabled()).toBe(false);
        const provider = trace.getTracerProvider();
        expect(provider).toBeInstanceOf(ProxyTracerProvider);
        expect((provider as ProxyTracerProvider).getDelegate().constructor.name).toBe('NoopTracerProvider');
        expect((await post(gateway.url, { query: AUDIT_LOG }, { 'x-api-key': TEST_API_KEYS.auditor })).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(collector.exports()).toBe(0);
      } finally {
        await collector.close();
      }
    });
  });

  describe('with tracing on (OTEL_TRACES_EXPORTER=otlp to a collector)', () => {
    let collector: Awaited<ReturnType<typeof startCollector>>;
    let tracing: Tracing;

    beforeAll(async () => {
      collector = await startCollector();
      tracing = (await startTracing({ serviceName: 'kediri-test', env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } }))!;
    });

    afterAll(async () => {
      await tracing?.shutdown();
      await collector?.close();
    });

    it('makes one trace of a request: the gateway, @apollo/gateway, the subgraph fetch, the subgraph and its database commands', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpanId = '00f067aa0ba902b7';
      const response = await post(gateway.url, { query: AUDIT_LOG }, { 'x-api-key': TEST_API_KEYS.auditor, traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': 'obs-test-trace' });
      expect(response.status).toBe(200);
      await tracing.forceFlush();

      const spans = collector.spans.filter((span) => span.traceId === traceId);
      const named = (name: string) => spans.filter((span) => span.name === name);
      const byId = new Map(spans.map((span) => [span.spanId, span]));
      const isUnder = (span: CollectedSpan, ancestor: CollectedSpan): boolean => {
        for (let at = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) {
          if (at.spanId === ancestor.spanId) return true;
        }
        return false;
      };

      // The gateway's server span continues the caller's trace.
      const gatewayServer = named('POST /graphql').find((span) => span.parentSpanId === callerSpanId)!;
      expect(gatewayServer).toMatchObject({ kind: 2, attributes: { 'graphql.operation.name': 'anonymous', 'kediri.role_class': 'staff', 'http.response.status_code': 200 } });
      // @apollo/gateway's own spans, under it.
      const fetchSpan = named('gateway.fetch')[0];
      expect(named('gateway.request')[0] && isUnder(named('gateway.request')[0], gatewayServer)).toBe(true);
      expect(fetchSpan && isUnder(fetchSpan, gatewayServer)).toBe(true);
      // Our client span for the fetch, under Apollo's fetch span; the subgraph's server span under it, which
      // only the traceparent header on the wire can have done.
      const client = named('POST city')[0];
      expect(client).toMatchObject({ kind: 3, parentSpanId: fetchSpan.spanId, attributes: { 'kediri.subgraph': 'city' } });
      const subgraphServer = named('POST /graphql').find((span) => span.parentSpanId === client.spanId)!;
      expect(subgraphServer).toMatchObject({ kind: 2 });
      const sent = proxy.seen.find((headers) => headers['x-request-id'] === 'obs-test-trace');
      expect(sent?.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
      // The database commands of the page, under the subgraph's span, naming no value.
      const database = spans.filter((span) => span.attributes['db.system'] === 'mongodb');
      expect(database.map((span) => span.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^find /), expect.stringMatching(/^aggregate /)]));
      expect(database.every((span) => span.kind === 3 && isUnder(span, subgraphServer))).toBe(true);
      // Log lines of the request carry the trace id on both sides.
      expect(linesOf(gatewayLines, 'obs-test-trace').every((line) => line.traceId === traceId)).toBe(true);
      expect(linesOf(subgraphLines, 'obs-test-trace').map((line) => line.traceId)).toContain(traceId);
    });

    it('opens no spans for probes and scrapes', async () => {
      const before = collector.spans.length;
      await fetch(gateway.url.replace(/\/graphql$/, '/health'));
      await fetch(subgraph.url.replace(/\/graphql$/, '/metrics'));
      await tracing.forceFlush();
      expect(collector.spans.slice(before).filter((span) => span.kind === 2)).toEqual([]);
    });
  });
});
