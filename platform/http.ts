import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import Negotiator from 'negotiator';
import { resolveLogger, type Logger } from './logging';
import { REQUEST_ID_HEADER, RequestContext, runInRequest } from './requestContext';
import { inServerSpan } from './tracing';

/**
 * The small HTTP layer shared by the gateway and every subgraph. A service is a plain function from an
 * HttpRequest to an HttpResponse, built without a port: tests can call it directly, and `listen` puts it on
 * a socket. Apollo Server 5 ships no plain-Node integration besides its standalone server, which cannot host
 * the health routes beside /graphql, so `executeGraphQL` does the same few steps: check the body, hand the
 * request to Apollo, return its answer.
 *
 * `listen` is also where a request becomes observable: it opens the request context (the caller's valid
 * `x-request-id` or a new one, returned in the answer's `x-request-id`), continues the caller's trace in a
 * server span when tracing is on, and writes the access log line when asked to.
 */
export interface HttpRequest {
  method: string;
  /** The path without the query string, e.g. `/graphql`. */
  path: string;
  /** The query string with its `?`, or ''. */
  search: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as received (UTF-8); '' when there is none. */
  body: string;
  /** The peer's address, for per-IP limits and logs. */
  remoteAddress?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** Requests larger than this are refused before parsing: no legitimate query comes near it. */
export const MAX_BODY_BYTES = 1_000_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'BAD_REQUEST',
  ) {
    super(message);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/**
 * The media types a GraphQL answer is sent in (GraphQL-over-HTTP), in the order that breaks ties: a caller that
 * sends no Accept, or accepts anything, gets application/json, as the spec's audit expects of today's servers.
 */
export const GRAPHQL_MEDIA_TYPES = ['application/json', 'application/graphql-response+json'] as const;
export type GraphQLMediaType = (typeof GRAPHQL_MEDIA_TYPES)[number];

/**
 * The caller's most preferred of `available` by its Accept header (q-values, then the more specific range, then
 * the header's order); the first of `available` when it sends no Accept; undefined when it accepts none.
 * Everything is answered in UTF-8, so `application/json; charset=utf-8` (as GraphQL-over-HTTP tells clients to
 * write it) names application/json, and a range asking for another charset names nothing offered.
 */
export function preferredMediaType<T extends string>(accept: string | undefined, available: readonly T[]): T | undefined {
  if (accept === undefined || accept.trim() === '') return available[0];
  const offered = available.map((type) => `${type}; charset=utf-8`);
  const preferred = new Negotiator({ headers: { accept } }).mediaType(offered);
  return preferred === undefined ? undefined : available[offered.indexOf(preferred)];
}

/** Whether an Accept header names this media type itself, not only through a wildcard range (any type, or application/any). */
export function namesMediaType(accept: string | undefined, type: string): boolean {
  if (accept === undefined) return false;
  return new Negotiator({ headers: { accept } }).mediaTypes().some((named) => named.toLowerCase() === type);
}

/** An error answered in GraphQL's response shape, so clients read it as they read any other error. */
export function graphQLError(status: number, message: string, code: string, extensions: Record<string, unknown> = {}): HttpResponse {
  return json(status, { errors: [{ message, extensions: { code, ...extensions } }] });
}

/** The request body as JSON, for POST; undefined for GET (whose operation is in the query string). */
export function parseJsonBody(request: HttpRequest): unknown {
  if (request.method !== 'POST') return undefined;
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/(graphql-response\+)?json\b/i.test(type)) {
    throw new HttpError(415, `Expected content-type application/json, received "${type || 'none'}".`);
  }
  try {
    return request.body ? JSON.parse(request.body) : {};
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON.');
  }
}

export async function executeGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  request: HttpRequest,
  context: () => Promise<TContext>,
  body: unknown = parseJsonBody(request),
): Promise<HttpResponse> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) headers.set(key, value);
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method, headers, search: request.search, body },
    context,
  });
  const out: Record<string, string> = {};
  for (const [key, value] of response.headers) out[key] = value;
  if (response.body.kind === 'complete') return { status: response.status ?? 200, headers: out, body: response.body.string };
  let text = '';
  for await (const chunk of response.body.asyncIterator) text += chunk;
  return { status: response.status ?? 200, headers: out, body: text };
}

/** Turns any failure of a handler into a clean HTTP answer: a request never crashes the process. */
export function failureResponse(error: unknown, logger: Logger): HttpResponse {
  if (error instanceof HttpError) return graphQLError(error.status, error.message, error.code);
  logger.error({ err: error }, 'request failed');
  return graphQLError(500, 'Internal server error.', 'INTERNAL_SERVER_ERROR');
}

export interface ListenOptions {
  port: number;
  host: string;
  maxBodyBytes?: number;
  /** How long stop() lets requests in flight finish before closing their connections. */
  drainMs?: number;
  logger?: Logger;
  /** The older way to receive log lines (JSON, one per call); `logger` wins when both are given. */
  log?: (line: string) => void;
  /** One info line per request with its method, path, status, duration and what the service noted. */
  accessLog?: boolean;
}

/**
 * Probes and scrapes (health, readiness, data versions, metrics): asked every second or so, they would bury
 * the requests worth reading, so they are neither traced nor written to the access log.
 */
const PROBE_PATHS = new Set(['/health', '/ready', '/version', '/metrics']);

/** A path plain enough to name a span after; any other (a scanner's probe) leaves the span named by its method only. */
const ROUTE_LIKE = /^\/[A-Za-z0-9/_.-]{0,63}$/;

/** Runs the handler for one request, in a server span unless the route is a probe. */
function handleTraced(handler: HttpHandler, request: HttpRequest): Promise<HttpResponse> {
  if (PROBE_PATHS.has(request.path)) return handler(request);
  const name = ROUTE_LIKE.test(request.path) ? `${request.method} ${request.path}` : request.method;
  return inServerSpan(name, request.headers, { 'http.request.method': request.method, 'url.path': request.path }, () => handler(request), (response) => response.status);
}

export interface Listening {
  server: Server;
  port: number;
  /** The base URL, e.g. http://127.0.0.1:4000 (0.0.0.0 is shown as 127.0.0.1). */
  origin: string;
  /** Stops accepting, lets requests in flight finish (up to drainMs), then closes every connection. */
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toRequest(req: IncomingMessage, body: string): HttpRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, search: url.search, headers, body, remoteAddress: req.socket.remoteAddress };
}

function write(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

/** The access log's line of one request (probes excepted), with what the service noted while answering. */
function accessLine(logger: Logger, req: IncomingMessage, status: number, started: number, context: RequestContext): void {
  const path = req.url?.split('?')[0] ?? '/';
  if (PROBE_PATHS.has(path)) return;
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  logger.info({ method: req.method, path, status, durationMs, ...context.notes }, 'request');
}

/** Serves a handler on a port; resolves once it listens. */
export async function listen(handler: HttpHandler, options: ListenOptions): Promise<Listening> {
  const logger = resolveLogger('http', options);
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const server = createServer((req, res) => {
    inFlight += 1;
    const started = performance.now();
    const context = RequestContext.fromHeaders(req.headers as Record<string, string | undefined>);
    runInRequest(context, async () => {
      let response: HttpResponse;
      try {
        response = await handleTraced(handler, toRequest(req, await readBody(req, limit)));
      } catch (error) {
        response = failureResponse(error, logger);
        // A body refused half-read leaves the rest of it on the socket: close the connection after answering,
        // or the next request on it would be read from the middle of this one.
        if (error instanceof HttpError && error.status === 413) response.headers.connection = 'close';
      }
      response.headers[REQUEST_ID_HEADER] = context.requestId;
      if (!res.headersSent) write(res, response);
      if (options.accessLog) accessLine(logger, req, response.status, started, context);
    })
      .catch((error) => {
        logger.error({ err: error }, 'could not answer a request');
        res.destroy();
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    origin: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => (idle = resolve)),
            new Promise<void>((resolve) => setTimeout(resolve, options.drainMs ?? 10_000).unref()),
          ]);
        }
        for (const socket of sockets) socket.destroy();
        await closed;
      })();
      return closing;
    },
  };
}
