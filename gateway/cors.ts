import type { HttpRequest, HttpResponse } from '../platform/http';

/**
 * Lets the dashboards the city lists call the gateway from a browser. Only configured origins get the
 * CORS headers; credentials travel in x-api-key or Authorization headers, never in cookies, so no
 * Allow-Credentials is ever sent.
 */
const ALLOWED_HEADERS = 'content-type, x-api-key, authorization, apollo-require-preflight';

export interface CorsDecision {
  /** The answer to a preflight (OPTIONS) request, which ends there. */
  preflight?: HttpResponse;
  /** Headers to add to the actual answer. */
  headers: Record<string, string>;
}

export function applyCors(request: HttpRequest, origins: readonly string[]): CorsDecision {
  const origin = request.headers.origin;
  const allowed = origin !== undefined && (origins.includes('*') || origins.includes(origin));
  const headers: Record<string, string> = allowed
    ? { 'access-control-allow-origin': origins.includes('*') ? '*' : origin, vary: 'origin' }
    : {};
  if (request.method !== 'OPTIONS') return { headers };
  if (!allowed) return { headers, preflight: { status: 403, headers, body: '' } };
  return {
    headers,
    preflight: {
      status: 204,
      headers: {
        ...headers,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      },
      body: '',
    },
  };
}
