import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Lets the dashboards the city lists call the gateway from a browser. Only configured origins get the
 * CORS headers; credentials travel in x-api-key or Authorization headers, never in cookies, so no
 * Allow-Credentials is ever sent. Returns true when the request was a preflight and has been answered.
 */
const ALLOWED_HEADERS = 'content-type, x-api-key, authorization, apollo-require-preflight';

export function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && (origins.includes('*') || origins.includes(origin));
  if (allowed) {
    res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
    res.setHeader('vary', 'origin');
  }
  if (req.method !== 'OPTIONS') return false;
  if (allowed) {
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(allowed ? 204 : 403).end();
  return true;
}
