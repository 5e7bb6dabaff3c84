import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../gateway/config';
import { projectPath } from '../platform/paths';
import type { Page } from '../gateway/pages';
import { assetResponse, htmlResponse, pageSecurityHeaders, plainText } from '../gateway/pageResponses';
import type { HttpRequest, HttpResponse } from '../platform/http';
import { ASSET_PREFIX, buildDashboardAssets, type DashboardAssets } from './assets';

/**
 * /dashboard: the city's Smart City dashboard, served by the gateway beside /graphql. The page and its
 * assets come from this project alone, under the pages' same-origin Content-Security-Policy.
 */
const SECURITY_HEADERS = pageSecurityHeaders();

/** One build per manifest: the first request builds, the others wait for it; a failed build is tried again. */
const builds = new Map<string, Promise<DashboardAssets>>();

/** The newest modification time of the dashboard's sources, so that development picks up an edit on reload. */
function sourcesVersion(): number {
  let newest = 0;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const folder of ['browser', 'model', 'static']) walk(projectPath('dashboard', folder));
  return newest;
}

function assetsFor(config: GatewayConfig): Promise<DashboardAssets> {
  // In production the sources never change under a running gateway; in development an edited file gets a
  // fresh build on the next page load instead of a restart.
  const manifest = config.persistedOperationsPath;
  const key = config.production ? manifest : `${manifest}@${sourcesVersion()}`;
  let pending = builds.get(key);
  if (!pending) {
    if (!config.production) builds.clear();
    pending = buildDashboardAssets(manifest);
    pending.catch(() => builds.delete(key));
    builds.set(key, pending);
  }
  return pending;
}

function text(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return plainText(status, body, SECURITY_HEADERS, headers);
}

async function handle(request: HttpRequest, config: GatewayConfig): Promise<HttpResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return text(405, `The dashboard answers GET and HEAD, received ${request.method}.`, { allow: 'GET, HEAD' });
  }
  let assets: DashboardAssets;
  try {
    assets = await assetsFor(config);
  } catch (error) {
    return text(503, `The dashboard could not be built from its sources in dashboard/: ${(error as Error).message}`);
  }
  const head = request.method === 'HEAD';
  if (request.path === '/dashboard' || request.path === '/dashboard/') {
    return htmlResponse(assets.html, SECURITY_HEADERS, head);
  }
  if (request.path.startsWith(ASSET_PREFIX)) {
    const asset = assets.files.get(request.path.slice(ASSET_PREFIX.length));
    if (asset) return assetResponse(asset, SECURITY_HEADERS, head);
  }
  return text(404, `No dashboard file at ${request.path}: the dashboard is at /dashboard.`);
}

export const dashboardPage: Page = {
  prefix: '/dashboard',
  // A page of public aggregates that asks the gateway like any other client: served wherever the gateway is.
  enabled: () => true,
  handle,
};
