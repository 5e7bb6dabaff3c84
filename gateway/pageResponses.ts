import type { HttpResponse } from '../platform/http';

/**
 * What the gateway's pages (the dashboard, the explorer) answer with. Their Content-Security-Policy lets a
 * page load nothing and send nothing anywhere but this origin, and run no inline script, unless the page
 * names what it needs beyond that: no CDN, font or tracker can creep in.
 */
const SAME_ORIGIN_ONLY: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self'",
  'connect-src': "'self'",
  'font-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/** The headers every response of a page carries: its policy, with `allowances` replacing the same-origin defaults. */
export function pageSecurityHeaders(allowances: Record<string, string> = {}): Record<string, string> {
  const policy = Object.entries({ ...SAME_ORIGIN_ONLY, ...allowances }).map(([directive, sources]) => `${directive} ${sources}`);
  return { 'content-security-policy': policy.join('; '), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
}

/** A message for a person (a wrong method, a missing file, a page that could not be built). */
export function plainText(status: number, body: string, security: Record<string, string>, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...security, ...headers }, body };
}

/** A page's HTML: it names the current assets, so it is asked for again each time. */
export function htmlResponse(html: string, security: Record<string, string>, head: boolean, headers: Record<string, string> = {}): HttpResponse {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...headers, ...security }, body: head ? '' : html };
}

/** A built asset, named by a hash of its content, so a browser may keep it for a year. */
export function assetResponse(asset: { body: string; contentType: string }, security: Record<string, string>, head: boolean): HttpResponse {
  return { status: 200, headers: { 'content-type': asset.contentType, 'cache-control': 'public, max-age=31536000, immutable', ...security }, body: head ? '' : asset.body };
}
