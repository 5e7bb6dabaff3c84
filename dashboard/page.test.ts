import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../gateway/config';
import { pageFor } from '../gateway/pages';
import type { HttpRequest } from '../platform/http';
import { projectPath } from '../platform/paths';
import { dashboardPage } from './page';

/**
 * The dashboard's handler without a gateway: what it serves, with which headers. The page itself, in a
 * browser against a running graph, is tested in test/dashboard.e2e.test.ts.
 */
const config = { persistedOperationsPath: projectPath('schema', 'persisted-operations.json'), production: true } as GatewayConfig;

function get(path: string, method = 'GET'): Promise<Awaited<ReturnType<typeof dashboardPage.handle>>> {
  const request: HttpRequest = { method, path, search: '', headers: {}, body: '' };
  return dashboardPage.handle(request, config);
}

describe('the /dashboard page', () => {
  it('is the page the gateway serves at /dashboard and below it', () => {
    expect(pageFor('/dashboard', config)).toBe(dashboardPage);
    expect(pageFor('/dashboard/assets/x.js', config)).toBe(dashboardPage);
    expect(pageFor('/dashboardx', config)).toBeUndefined();
  });

  it('serves its HTML with a strict Content-Security-Policy and no inline script', async () => {
    const response = await get('/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
    const scripts = [...response.body.matchAll(/<script([^>]*)>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(2);
    for (const attributes of scripts) expect(attributes.includes(' src="/dashboard/assets/') || attributes.includes('type="application/json"'), attributes).toBe(true);
    expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("hands the script the persisted operations' ids and figures, as data", async () => {
    const html = (await get('/dashboard/')).body;
    const setup = JSON.parse(html.match(/<script type="application\/json" id="dashboard-setup">([^<]*)<\/script>/)![1]);
    expect(setup.endpoint).toBe('/graphql');
    expect(setup.operations.DashboardYear.id).toMatch(/^[0-9a-f]{64}$/);
    expect(setup.operations.CityScorecard.id).toMatch(/^[0-9a-f]{64}$/);
    expect(setup.fields.kelurahan.environment).toContain('wasteBanks');
  });

  it('serves each asset the HTML names under a content-hashed name, cached for a year', async () => {
    const html = (await get('/dashboard')).body;
    const urls = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(urls.map((url) => url.replace(/\.[0-9a-f]{12}\./, '.*.'))).toEqual(['/dashboard/assets/icon.*.svg', '/dashboard/assets/dashboard.*.css', '/dashboard/assets/dashboard.*.js']);
    const types: Record<string, string> = { svg: 'image/svg+xml', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
    for (const url of urls) {
      const asset = await get(url);
      expect(asset.status, url).toBe(200);
      expect(asset.headers['content-type']).toBe(types[url.split('.').pop()!]);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.body.length).toBeGreaterThan(100);
    }
    const css = (await get(urls[1])).body;
    expect(css).not.toMatch(/url\(|@import|https?:/);
  });

  it('builds the same page in development, where an edited source is picked up on the next load', async () => {
    const development = { ...config, production: false } as GatewayConfig;
    const request: HttpRequest = { method: 'GET', path: '/dashboard', search: '', headers: {}, body: '' };
    const page = await dashboardPage.handle(request, development);
    expect(page.status).toBe(200);
    expect(page.body).toBe((await get('/dashboard')).body);
  });

  it('answers an unknown file with 404, a HEAD without a body, and other methods with 405', async () => {
    expect((await get('/dashboard/assets/missing.js')).status).toBe(404);
    expect((await get('/dashboard/nothing')).status).toBe(404);
    const head = await get('/dashboard', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await get('/dashboard', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});
