import { afterAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../platform/http';
import { SUBGRAPHS } from '../../subgraphs/registry';
import { readGatewayConfig } from '../config';
import { buildGateway, type BuiltGateway } from '../server';

/**
 * Who gets the explorer, asked of the gateway's handler without a port: a browser's GET of /graphql gets the
 * page in development, and in production only when EXPLORER=true; the development keys never leave a
 * production gateway, nor a development one towards another machine. No subgraph is running: none is asked.
 */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const DEV_KEYS = 'dev-dashboard-key-0001=dashboard,dev-tax-key-0000001=agency:tax,second-tax-key-00001=agency:tax';
/** A production gateway refuses the development keys at start, so it gets keys of its own. */
const PRODUCTION_KEYS = 'city-dashboard-key-001=dashboard,city-tax-key-00000001=agency:tax';

/** The first request for the page builds GraphiQL with esbuild: seconds on a busy two-core machine. */
const BUILDS = { timeout: 120_000 };

const gateways: BuiltGateway[] = [];

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
});

async function gateway(env: NodeJS.ProcessEnv): Promise<BuiltGateway> {
  const settings: NodeJS.ProcessEnv = {
    IDENTITY_SECRET: 'explorer-test-identity-secret-0123456789',
    API_KEYS: DEV_KEYS,
    // Nothing here needs a subgraph or the data versions they report.
    GATEWAY_RESPONSE_CACHE_TTL_MS: '0',
    ...env,
  };
  for (const entry of SUBGRAPHS) settings[`SUBGRAPH_URL_${entry.name.toUpperCase()}`] = 'http://127.0.0.1:9/graphql';
  const built = await buildGateway(readGatewayConfig(settings), { log: () => {} });
  gateways.push(built);
  return built;
}

function request(path: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1', search = ''): HttpRequest {
  return { method: 'GET', path, search, headers, body: '', remoteAddress };
}

const setupOf = (html: string) => JSON.parse(/<script type="application\/json" id="explorer-setup">(.*?)<\/script>/s.exec(html)![1]);

describe('in development', () => {
  it("gives a browser's GET of /graphql the page, under a Content-Security-Policy of its own origin", BUILDS, async () => {
    const { handle } = await gateway({});
    const page = await handle(request('/graphql', { accept: BROWSER_ACCEPT }));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const policy = Object.fromEntries(page.headers['content-security-policy'].split('; ').map((directive) => [directive.split(' ')[0], directive.slice(directive.indexOf(' ') + 1)]));
    expect(policy).toMatchObject({ 'default-src': "'self'", 'script-src': "'self'", 'worker-src': "'self'", 'style-src': "'self' 'unsafe-inline'", 'connect-src': "'self'", 'object-src': "'none'" });
    expect(page.headers.vary).toBe('accept');
    expect(page.body).not.toMatch(/https?:\/\//);
    const setup = setupOf(page.body);
    expect(setup).toMatchObject({ endpoint: '/graphql', keysUrl: '/explorer/keys.json' });

    // Every file the page names is served, for a year, by this gateway.
    const named = [...page.body.matchAll(/(?:href|src)="(\/explorer\/assets\/[^"]+)"/g)].map((match) => match[1]);
    for (const path of [...named, ...Object.values(setup.workers as Record<string, string>)]) {
      const asset = await handle(request(path));
      expect(asset.status, path).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.body.length).toBeGreaterThan(1_000);
    }
    expect(named).toHaveLength(2);
  });

  it('keeps every other GET of /graphql a GraphQL request', async () => {
    const { handle } = await gateway({});
    for (const accept of ['application/json', '*/*', 'application/graphql-response+json']) {
      const answer = await handle(request('/graphql', { accept }, '127.0.0.1', '?query=%7B__typename%7D'));
      expect(answer.status, accept).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ data: { __typename: 'Query' } });
    }
    expect((await handle(request('/graphql', {}, '127.0.0.1', '?query=%7B__typename%7D'))).headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it("lists each role's first configured key, to a browser on the gateway's own machine only", async () => {
    const { handle } = await gateway({});
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const keys = await handle(request('/explorer/keys.json', {}, address));
      expect(keys.status, address).toBe(200);
      expect(keys.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(keys.body)).toEqual({
        roles: [
          { role: 'dashboard', key: 'dev-dashboard-key-0001' },
          { role: 'agency:tax', key: 'dev-tax-key-0000001' },
        ],
      });
    }
    const remote = await handle(request('/explorer/keys.json', {}, '192.0.2.7'));
    expect(remote.status).toBe(403);
    expect(remote.body).toContain('192.0.2.7');
    expect(remote.body).not.toContain('dev-');
  });

  it('is off when EXPLORER=false: the browser gets GraphQL, and no explorer file exists', async () => {
    const { handle } = await gateway({ EXPLORER: 'false' });
    const page = await handle(request('/graphql', { accept: BROWSER_ACCEPT }));
    expect(page.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await handle(request('/explorer/keys.json'))).status).toBe(404);
  });
});

describe('in production', () => {
  it('is off unless EXPLORER=true says otherwise', async () => {
    const { handle } = await gateway({ NODE_ENV: 'production', API_KEYS: PRODUCTION_KEYS });
    expect((await handle(request('/graphql', { accept: BROWSER_ACCEPT }))).headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await handle(request('/explorer/keys.json'))).status).toBe(404);
  });

  it('with EXPLORER=true serves the page, but hands out no keys', BUILDS, async () => {
    const { handle } = await gateway({ NODE_ENV: 'production', API_KEYS: PRODUCTION_KEYS, EXPLORER: 'true' });
    const page = await handle(request('/graphql', { accept: BROWSER_ACCEPT }));
    expect(page.status).toBe(200);
    expect(setupOf(page.body).keysUrl).toBeUndefined();
    const keys = await handle(request('/explorer/keys.json'));
    expect(keys.status).toBe(404);
    expect(keys.body).not.toContain('city-dashboard-key-001');
  });
});
