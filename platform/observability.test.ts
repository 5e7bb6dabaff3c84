import promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config';
import type { HttpRequest } from './http';
import { createLogger, protectSecrets, readLogSettings, scrub } from './logging';
import { errorCodeOf, exposition, OperationNames, operationNameOf, readMetricsAccess, readMetricsSettings, serveMetrics, SubgraphMetrics } from './metrics';
import { parseTraceparent, RequestContext, requestIdFrom, runInRequest } from './requestContext';
import { tracesExporters } from './tracing';
import { parsePrometheusText, sampleValue } from '../test/prometheusText';

/**
 * The observability layer's rules, without servers: what a log line may contain, which request ids and
 * trace contexts are taken from a caller, how metric labels stay bounded, and who may read /metrics. The
 * end-to-end test (test/observability.e2e.test.ts) holds the services to them over HTTP.
 */

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvZmZpY2VyLTE3Iiwicm9sZSI6ImFnZW5jeTp0YXgifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const NIK = '3571022211630001';

function captured(name = 'test') {
  const lines: string[] = [];
  const logger = createLogger({ name, settings: { ...readLogSettings({}), level: 'info' }, destination: { write: (line) => lines.push(line) } });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}

describe('log lines', () => {
  it('carry the request id and trace id of the request they are written in, and none outside one', async () => {
    const { logger, parsed } = captured();
    logger.info('at start');
    const request = new RequestContext('req-42', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    await runInRequest(request, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.warn({ subgraph: 'tax' }, 'three awaits down');
    });
    const [outside, inside] = parsed();
    expect(outside).not.toHaveProperty('requestId');
    expect(inside).toMatchObject({ level: 'warn', name: 'test', requestId: 'req-42', traceId: '0af7651916cd43dd8448eb211c80319c', subgraph: 'tax', msg: 'three awaits down' });
  });

  it('never hold a credential header, a registered secret, a JWT or a NIK, whatever a call site hands in', () => {
    const { logger, lines } = captured();
    protectSecrets(['test-api-key-for-logs-000']);
    logger.info(
      {
        headers: { authorization: `Bearer ${JWT}`, 'x-api-key': 'test-api-key-for-logs-000', 'x-kediri-identity': 'signed-claims', accept: 'application/json' },
        request: { headers: { 'x-api-key': 'test-api-key-for-logs-000' } },
        variables: { nik: NIK, note: `resident ${NIK} asked` },
      },
      `caller sent key test-api-key-for-logs-000 and token ${JWT} for NIK ${NIK}`,
    );
    logger.error({ err: new Error(`E11000 duplicate key error dup key: { nik: "${NIK}" }`) }, 'write failed');
    const text = lines.join('');
    expect(text).not.toContain('test-api-key-for-logs-000');
    expect(text).not.toContain('signed-claims');
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    expect(text).not.toMatch(/(?<!\d)\d{16}(?!\d)/);
    expect(text).toContain('"accept":"application/json"');
    expect(text).toContain('[NIK]');
  });

  it('keep trace ids and resident ids whole, even where their digits run sixteen long', () => {
    expect(scrub('{"traceId":"1234567890123456abcdef0123456789"}')).toBe('{"traceId":"1234567890123456abcdef0123456789"}');
    expect(scrub('R1234567890123456abcdef0123456789 and 3571022211630001')).toBe('R1234567890123456abcdef0123456789 and [NIK]');
  });

  it('are configured by LOG_LEVEL and LOG_FORMAT, refusing values they do not know', () => {
    expect(readLogSettings({ NODE_ENV: 'production' })).toMatchObject({ level: 'info', format: 'json', accessLog: false });
    expect(readLogSettings({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug', ACCESS_LOG: 'true' })).toMatchObject({ level: 'debug', format: 'pretty', accessLog: true });
    expect(() => readLogSettings({ LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => readLogSettings({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be "json" or "pretty", received "xml"/);
  });
});

describe('request ids and trace context from a caller', () => {
  it('keeps a short plain request id and replaces anything else with a new one', () => {
    expect(requestIdFrom({ 'x-request-id': 'dash-7f3a:12' })).toBe('dash-7f3a:12');
    for (const bad of ['', 'a'.repeat(65), 'line\nbreak', '<script>', 'quote"d']) {
      const id = requestIdFrom({ 'x-request-id': bad });
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('reads a version-00 traceparent and refuses malformed or all-zero ones', () => {
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentId: 'b7ad6b7169203331',
      flags: '01',
    });
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
  });

  it('forwards the caller trace context unchanged without a tracer, and starts one of its own when there is none', () => {
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(RequestContext.fromHeaders({ traceparent: given }).forwardedTraceparent()).toBe(given);
    const own = RequestContext.fromHeaders({});
    expect(own.forwardedTraceparent()).toMatch(new RegExp(`^00-${own.traceId}-[0-9a-f]{16}-00$`));
  });

  it('starts no tracer unless OTEL_TRACES_EXPORTER names an exporter it knows', () => {
    expect(tracesExporters({})).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toEqual(['otlp', 'console']);
    expect(() => tracesExporters({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER must list "otlp", "console" or "none", received "jaeger"/);
  });
});

describe('metric labels', () => {
  it('name persisted operations always, a bounded number of others, and the rest "other" or "anonymous"', () => {
    const names = new OperationNames(['CityDashboard'], 2);
    expect(names.label('CityDashboard', false)).toBe('CityDashboard');
    expect(names.label(undefined, true)).toBe('anonymous');
    expect(names.label('Refused', false)).toBe('other');
    expect(names.label('First', true)).toBe('First');
    expect(names.label('Second', true)).toBe('Second');
    expect(names.label('Third', true)).toBe('other');
    expect(names.label('First', false)).toBe('First');
    expect(new OperationNames([], 10).label('not a name!', true)).toBe('other');
  });

  it('take the operation name from operationName or else the document', () => {
    expect(operationNameOf({ operationName: 'Picked', query: 'query Other { a }' })).toBe('Picked');
    expect(operationNameOf({ query: '  query KelurahanName($code: String!) { a }' })).toBe('KelurahanName');
    expect(operationNameOf({ query: '{ a }' })).toBeUndefined();
    expect(errorCodeOf('{"errors":[{"message":"x","extensions":{"code":"QUERY_TOO_DEEP"}}]}')).toBe('QUERY_TOO_DEEP');
    expect(errorCodeOf('not json')).toBeUndefined();
  });

  it('bound database command names and error codes of a subgraph, which carries its name on every series', async () => {
    const metrics = new SubgraphMetrics('tax');
    metrics.databaseCommand('find', 'ok', 2.5);
    metrics.databaseCommand('not a command name', 'ok', 1);
    metrics.graphqlErrors(['BAD_USER_INPUT', 'lower-case code']);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(samples, 'kediri_subgraph_db_commands_total', { command: 'find', outcome: 'ok', subgraph: 'tax' })).toBe(1);
    expect(sampleValue(samples, 'kediri_subgraph_db_commands_total', { command: 'other', subgraph: 'tax' })).toBe(1);
    expect(sampleValue(samples, 'kediri_subgraph_db_command_duration_seconds_bucket', { command: 'find', le: '0.001' })).toBe(0);
    expect(sampleValue(samples, 'kediri_subgraph_db_command_duration_seconds_bucket', { command: 'find', le: '0.0025' })).toBe(1);
    expect(sampleValue(samples, 'kediri_subgraph_graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(sampleValue(samples, 'kediri_subgraph_graphql_errors_total', { code: 'other' })).toBe(1);
  });
});

describe('/metrics', () => {
  const request = (authorization?: string): HttpRequest => ({ method: 'GET', path: '/metrics', search: '', headers: authorization ? { authorization } : {}, body: '' });
  const token = 'metrics-token-0123456789abcdef0123456789';

  it('is open in development, hidden in production, and behind a token once one is set', () => {
    expect(readMetricsAccess({})).toEqual({ mode: 'open' });
    expect(readMetricsAccess({ NODE_ENV: 'production' })).toEqual({ mode: 'hidden' });
    expect(readMetricsAccess({ NODE_ENV: 'production', METRICS_PUBLIC: 'true' })).toEqual({ mode: 'open' });
    expect(readMetricsAccess({ NODE_ENV: 'production', METRICS_TOKEN: token })).toEqual({ mode: 'token', token });
    expect(() => readMetricsAccess({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN is too short/);
    expect(readMetricsSettings({}).maxOperationNames).toBe(200);
    expect(() => readMetricsSettings({ METRICS_OPERATION_NAMES: '5000' })).toThrow(/METRICS_OPERATION_NAMES must be a whole number from 0 to 1000, received "5000"/);
  });

  it('answers 404 when hidden, 401 without the token, and Prometheus text that parses with it', async () => {
    const registry = new SubgraphMetrics('city').registry;
    expect((await serveMetrics(request(), registry, { mode: 'hidden' })).status).toBe(404);
    const refused = await serveMetrics(request('Bearer wrong-token'), registry, { mode: 'token', token });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    const served = await serveMetrics(request(`Bearer ${token}`), registry, { mode: 'token', token });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe(promClient.Registry.PROMETHEUS_CONTENT_TYPE);
    expect(() => parsePrometheusText(served.body)).not.toThrow();
    // prom-client's default process metrics come with every service's own.
    expect(served.body).toContain('process_cpu_user_seconds_total');
    expect(await exposition(registry)).toContain('# TYPE kediri_subgraph_write_units_total counter');
  });
});
