import { Agent, request } from 'undici';

/**
 * How the gateway talks to subgraphs: HTTP/1.1 keep-alive connections from undici, one pool per subgraph.
 *
 * - An idle connection is closed by the gateway before the subgraph would close it (Node's server closes
 *   idle keep-alive connections after 5 s), so a request is never written onto a connection the other side
 *   is closing at that moment, which used to come back as "socket hang up" and a null agency.
 * - Identical requests in flight (same subgraph, same signed caller, same body) are sent once and their
 *   answer shared: a dashboard refreshed by twenty viewers at once costs each agency one query. Only
 *   queries are shared, never mutations, and the key holds the caller, so no answer crosses roles.
 */
export interface SubgraphAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface SubgraphClientOptions {
  /** How long an idle connection is kept; below the subgraphs' own 5 s. */
  keepAliveMs: number;
  /** Share the answer of identical queries in flight. */
  deduplicate: boolean;
  /** A subgraph answer larger than this is cut off and counts as a failure of that subgraph. */
  maxResponseBytes: number;
}

export interface PostOptions {
  /**
   * Identifies the request for sharing with identical ones in flight; leave it out for anything that must
   * run once per caller (mutations). Headers that differ per caller's request (traceparent, x-request-id)
   * are not part of it: the shared answer travels with the first request's.
   */
  shareKey?: string;
  signal?: AbortSignal;
  /** Called when this request was not sent because an identical one was in flight. */
  onShared?: () => void;
}

export interface SubgraphClientStats {
  sent: number;
  shared: number;
}

export class SubgraphClient {
  private readonly agent: Agent;
  private readonly inFlight = new Map<string, Promise<SubgraphAnswer>>();
  readonly stats: SubgraphClientStats = { sent: 0, shared: 0 };

  constructor(private readonly options: SubgraphClientOptions) {
    this.agent = new Agent({
      keepAliveTimeout: options.keepAliveMs,
      keepAliveMaxTimeout: options.keepAliveMs,
      // A subgraph's hint may not lengthen the idle time past ours.
      keepAliveTimeoutThreshold: 0,
      maxResponseSize: options.maxResponseBytes,
    });
  }

  /** Posts a body, or shares the answer of an identical request in flight (see PostOptions.shareKey). */
  post(url: string, body: string, headers: Record<string, string>, options: PostOptions = {}): Promise<SubgraphAnswer> {
    const { shareKey, signal } = options;
    if (!this.options.deduplicate || shareKey === undefined) return this.send(url, body, headers, signal);
    const running = this.inFlight.get(shareKey);
    if (running) {
      this.stats.shared += 1;
      options.onShared?.();
      return running;
    }
    const sent = this.send(url, body, headers, signal).finally(() => this.inFlight.delete(shareKey));
    this.inFlight.set(shareKey, sent);
    return sent;
  }

  private async send(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<SubgraphAnswer> {
    this.stats.sent += 1;
    const response = await request(url, { method: 'POST', body, headers, dispatcher: this.agent, signal });
    const contentType = String(response.headers['content-type'] ?? '');
    return { status: response.statusCode, contentType, body: await response.body.text() };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
