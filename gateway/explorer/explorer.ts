import { preferredMediaType, type HttpRequest, type HttpResponse } from '../../platform/http';
import type { GatewayConfig } from '../config';
import { assetResponse, htmlResponse, pageSecurityHeaders, plainText } from '../pageResponses';
import { ASSET_PREFIX, buildExplorerAssets, KEYS_PATH, type ExplorerAssets } from './assets';

/**
 * The explorer: GraphiQL for people, at the same /graphql URL programs use. A browser's GET of /graphql
 * (its Accept prefers text/html) gets the explorer's page; every other request there stays a GraphQL request.
 * The page, its script, its stylesheet and Monaco's workers are built from installed packages and served from
 * /explorer/assets/, so nothing is fetched from any other host: Apollo's landing page loads Apollo Sandbox
 * from a CDN, which on an intranet without internet is a blank page.
 *
 * On in development, off in production unless EXPLORER=true. In development the page also fetches
 * /explorer/keys.json, the key of each role as API_KEYS configures it, to fill each example tab's headers;
 * that list is never served in production, and only to a browser on the gateway's own machine.
 */

/**
 * What the page may load and do. GraphiQL's stylesheet embeds its fonts and icons as data: URLs, and Monaco
 * writes the editor's theme and token colours into <style> elements it creates at run time (it has no nonce
 * option), hence 'unsafe-inline' for styles only; scripts, workers and connections stay same-origin.
 */
const SECURITY_HEADERS = pageSecurityHeaders({
  'worker-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'font-src': "'self' data:",
});

const PAGE_TYPES = ['application/json', 'application/graphql-response+json', 'text/html'] as const;

/** Whether the explorer answers this request: a browser's GET of /graphql, or one of the explorer's own files. */
export function isExplorerRequest(request: HttpRequest, config: GatewayConfig): boolean {
  if (!config.explorer) return false;
  if (request.path.startsWith('/explorer/')) return true;
  return request.path === '/graphql' && (request.method === 'GET' || request.method === 'HEAD') && prefersHtml(request);
}

function prefersHtml(request: HttpRequest): boolean {
  const accept = request.headers.accept;
  return accept !== undefined && preferredMediaType(accept, PAGE_TYPES) === 'text/html';
}

/**
 * One page per kind (with or without the development keys, for a depth limit), around the process's one bundle
 * of the explorer's files; the first request builds, the others wait for it; a failed build is tried again.
 */
const builds = new Map<string, Promise<ExplorerAssets>>();

function assetsFor(config: GatewayConfig): Promise<ExplorerAssets> {
  const options = { keys: handsOutKeys(config), maxDepth: config.limits.maxDepth };
  const key = JSON.stringify(options);
  let pending = builds.get(key);
  if (!pending) {
    pending = buildExplorerAssets(options);
    pending.catch(() => builds.delete(key));
    builds.set(key, pending);
  }
  return pending;
}

/** Development keys are for development: never listed by a production gateway, whatever EXPLORER says. */
function handsOutKeys(config: GatewayConfig): boolean {
  return !config.production;
}

/**
 * A gateway in development may still listen on a shared network (HOST=0.0.0.0): its keys go only to a browser
 * on its own machine, which could read them from .env anyway.
 */
function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || /^(::ffff:)?127\./.test(address));
}

function text(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return plainText(status, body, SECURITY_HEADERS, headers);
}

/** The key of each role as API_KEYS lists them (the first key of a role that has several). */
function keysList(config: GatewayConfig): { roles: { role: string; key: string }[] } {
  const roles = new Map<string, string>();
  for (const [key, { role }] of config.apiKeys) if (!roles.has(role)) roles.set(role, key);
  return { roles: [...roles].map(([role, key]) => ({ role, key })) };
}

export async function serveExplorer(request: HttpRequest, config: GatewayConfig): Promise<HttpResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return text(405, `The explorer's files answer GET and HEAD, received ${request.method}.`, { allow: 'GET, HEAD' });
  }
  const head = request.method === 'HEAD';
  if (request.path === KEYS_PATH) {
    if (!handsOutKeys(config)) return text(404, 'This gateway runs in production and hands out no keys.');
    if (!isLoopback(request.remoteAddress)) {
      return text(403, `The development keys are listed only to a browser on the gateway's own machine; this request came from ${request.remoteAddress ?? 'an unknown address'}.`);
    }
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS }, body: head ? '' : JSON.stringify(keysList(config)) };
  }
  let assets: ExplorerAssets;
  try {
    assets = await assetsFor(config);
  } catch (error) {
    return text(503, `The explorer could not be built from the installed graphiql, react and monaco-editor packages and gateway/explorer/: ${(error as Error).message}`);
  }
  if (request.path === '/graphql') {
    // The same URL answers programs with JSON, so shared caches must tell the two apart by Accept.
    return htmlResponse(assets.html, SECURITY_HEADERS, head, { vary: 'accept' });
  }
  if (request.path.startsWith(ASSET_PREFIX)) {
    const asset = assets.files.get(request.path.slice(ASSET_PREFIX.length));
    if (asset) return assetResponse(asset, SECURITY_HEADERS, head);
  }
  return text(404, `No explorer file at ${request.path}: open /graphql in a browser.`);
}
