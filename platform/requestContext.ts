import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Who a request is, for everything that runs while it is answered: its request id and its trace. The HTTP
 * layer opens one context per request (`listen` in http.ts); any code below it, however deep and however
 * asynchronous, finds it here, so a log line written three awaits down carries the ids without anyone
 * passing them (see the mixin in logging.ts), and the gateway forwards them to the subgraphs.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
export const TRACEPARENT_HEADER = 'traceparent';

/** A caller's request id is kept only when it is short and plain; anything else could forge or flood log lines. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** W3C Trace Context, version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

/** The caller's trace context, or undefined when the header is absent or not a valid version-00 traceparent. */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, traceId, parentId, flags] = match;
  // All-zero ids are invalid by the specification: a caller sending them has no trace to join.
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

/** The caller's request id when it is safe to repeat in logs and headers; otherwise a new one. */
export function requestIdFrom(headers: Record<string, string | undefined>): string {
  const given = headers[REQUEST_ID_HEADER];
  return given !== undefined && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

export class RequestContext {
  /** Facts the service learns while answering (operation, role class, cache outcome), for the access log. */
  readonly notes: Record<string, string | number | boolean> = {};
  private ownTraceId?: string;

  constructor(
    readonly requestId: string,
    /** The caller's `traceparent` header as received, when it was valid. */
    private readonly incomingTraceparent?: string,
  ) {}

  static fromHeaders(headers: Record<string, string | undefined>): RequestContext {
    const incoming = headers[TRACEPARENT_HEADER];
    return new RequestContext(requestIdFrom(headers), parseTraceparent(incoming) ? incoming!.trim() : undefined);
  }

  /**
   * The trace id of this request when no tracer is running: the caller's, or one made up here on first use
   * (most requests never log, so most never pay for it). With tracing on, the active span's id is used instead.
   */
  get traceId(): string {
    this.ownTraceId ??= parseTraceparent(this.incomingTraceparent)?.traceId ?? randomBytes(16).toString('hex');
    return this.ownTraceId;
  }

  /**
   * The `traceparent` to send onward when no tracer is running. A service that records no spans forwards the
   * caller's header unchanged, as the specification asks; without one it sends its own trace id, marked not
   * sampled, so that the subgraphs' log lines still share the gateway's trace id.
   */
  forwardedTraceparent(): string {
    return this.incomingTraceparent ?? `00-${this.traceId}-${randomBytes(8).toString('hex')}-00`;
  }
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The request being answered, or undefined outside any request (start-up, timers, background polls). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `work` as part of `request`: everything it starts, synchronously or not, sees that request. */
export function runInRequest<T>(request: RequestContext, work: () => T): T {
  return storage.run(request, work);
}
