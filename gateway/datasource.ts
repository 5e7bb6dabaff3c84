import { performance } from 'node:perf_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { IDENTITY_HEADER, signIdentity, type Identity, type ResidentGrant } from '../platform/identity';
import { createLogger, type Logger } from '../platform/logging';
import type { FetchErrorKind, GatewayMetrics } from '../platform/metrics';
import { currentRequest, REQUEST_ID_HEADER } from '../platform/requestContext';
import { inClientSpan, outgoingTraceHeaders } from '../platform/tracing';
import { CircuitOpen, SubgraphFault, SubgraphTimeout, type SubgraphGuard } from './guard';
import type { SubgraphAnswer, SubgraphClient } from './subgraphClient';

export interface GatewayContext {
  identity: Identity;
  /** Set once the resident reads of the operation are audited: what the subgraphs may reveal. */
  grant?: ResidentGrant;
  /** When the whole request must be answered (epoch ms); no subgraph is waited for past it. */
  deadline?: number;
}

/** Internal fetches that have no caller (health checks) act as the public role. */
const GATEWAY_IDENTITY: Identity = { subject: 'gateway', role: 'public' };

export interface DataSourceOptions {
  identitySecret: string;
  /** The gateway's keep-alive client; without it, Apollo's default fetcher (kept for comparison in benchmarks). */
  client?: SubgraphClient;
  /** Timeout, circuit breaker and retry budget of this subgraph (with the client). */
  guard?: SubgraphGuard;
  logger?: Logger;
  /** Where fetch durations, failures and shared fetches are counted. */
  metrics?: GatewayMetrics;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * How the gateway asks one subgraph. Every request carries the caller's identity, signed for exactly that
 * request body and that subgraph, with the resident grant when the operation has one, so the subgraph can
 * apply its agency's access rules and refuse anything that did not come through the gateway.
 *
 * A subgraph that cannot be reached costs only its own fields: they come back null with an error that
 * names the subgraph, so a dashboard can say which agency is missing. The network detail (internal
 * addresses) goes to the gateway's log, not to the caller.
 *
 * Each fetch is timed and its failures counted by kind (metrics), runs in a client span, and carries the
 * caller's request id and trace context (`x-request-id`, `traceparent`) so the subgraph's log lines and
 * spans join the gateway's. Neither header is signed: the identity signature covers the body only.
 */
export class SignedDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly logger: Logger;
  /** Apollo's own data source with its default fetcher, used only when no client is given. */
  private readonly apolloDefault?: RemoteGraphQLDataSource<GatewayContext>;

  constructor(
    private readonly serviceName: string,
    private readonly url: string,
    private readonly options: DataSourceOptions,
  ) {
    this.logger = options.logger ?? createLogger({ name: 'gateway' });
    if (!options.client) this.apolloDefault = this.apolloDataSource();
  }

  private identityOf(context: Partial<GatewayContext> | undefined): Identity {
    return context?.identity ?? GATEWAY_IDENTITY;
  }

  async process(options: ProcessOptions): Promise<GatewayGraphQLResponse> {
    const attributes = { 'kediri.subgraph': this.serviceName, 'http.request.method': 'POST', 'url.full': this.url };
    const started = performance.now();
    let failure: FetchErrorKind | undefined;
    try {
      const response = await inClientSpan(`POST ${this.serviceName}`, attributes, (traceHeaders) =>
        this.apolloDefault ? this.apolloDefault.process(options) : this.fetch(options, traceHeaders),
      );
      if (response.errors?.some((error) => error.extensions?.code !== 'SUPPRESSED_SMALL_COUNT')) failure = 'graphql_error';
      return response;
    } catch (error) {
      failure = failureKind(error);
      throw error;
    } finally {
      // A fetch the open circuit refused sent nothing: timing it would only drag the latency down.
      if (failure !== 'circuit_open') this.options.metrics?.fetched(this.serviceName, (performance.now() - started) / 1000);
      if (failure) this.options.metrics?.fetchFailed(this.serviceName, failure);
    }
  }

  /** Our keep-alive client's fetch: signed, guarded, shared with identical fetches in flight. */
  private async fetch(options: ProcessOptions, traceHeaders: Record<string, string>): Promise<GatewayGraphQLResponse> {
    const context = options.context as Partial<GatewayContext> | undefined;
    const { query, variables, operationName, extensions } = options.request;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    const identity = this.identityOf(context);
    const header = signIdentity(identity, this.options.identitySecret, { audience: this.serviceName, body, grant: context?.grant });
    const isQuery = !/^\s*mutation\b/.test(query ?? '');
    // The body and the caller make the key (not the signature's timestamp), so identical queries meet.
    const shareKey = isQuery ? `${this.serviceName}\n${identity.role}\n${identity.subject}\n${JSON.stringify(context?.grant ?? null)}\n${body}` : undefined;

    const client = this.options.client!;
    const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: header, ...traceHeaders, ...requestIdHeader() };
    const onShared = () => this.options.metrics?.fetchShared(this.serviceName);
    const send = async (signal?: AbortSignal) => {
      const answer = await client.post(this.url, body, headers, { shareKey, signal, onShared });
      // A subgraph failing (5xx) counts against its circuit like a lost connection.
      if (answer.status >= 500) throw new SubgraphFault(answer);
      return answer;
    };
    let answer: SubgraphAnswer;
    try {
      answer = this.options.guard ? await this.options.guard.call(send, { deadline: context?.deadline, retryable: isQuery }) : await send();
    } catch (error) {
      if (error instanceof SubgraphFault) answer = error.answer;
      else throw this.failed(error as Error);
    }
    let parsed: GatewayGraphQLResponse;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      throw this.unavailable(new Error(`HTTP ${answer.status} with a body that is not JSON`));
    }
    if (answer.status >= 200 && answer.status < 300) return parsed;
    const first = parsed.errors?.[0];
    if (!first) throw this.unavailable(new Error(`HTTP ${answer.status}`));
    throw new GraphQLError(first.message, { extensions: { ...first.extensions, serviceName: this.serviceName } });
  }

  /** A call that got no answer: too slow, circuit open, or no connection. */
  private failed(error: Error): GraphQLError {
    if (error instanceof SubgraphTimeout) {
      this.logger.warn({ subgraph: this.serviceName, timeoutMs: error.timeoutMs }, `subgraph ${this.serviceName} did not answer within ${error.timeoutMs} ms`);
      return new GraphQLError(
        `The ${this.serviceName} subgraph did not answer in time (${error.timeoutMs} ms), so its fields are null in this answer.`,
        { extensions: { code: 'SUBGRAPH_TIMEOUT', serviceName: this.serviceName, timeoutMs: error.timeoutMs } },
      );
    }
    if (error instanceof CircuitOpen) {
      return new GraphQLError(
        `The ${this.serviceName} subgraph has been failing and is not asked for a few seconds, so its fields are null in this answer.`,
        { extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName, circuit: 'open' } },
      );
    }
    return this.unavailable(error);
  }

  private unavailable(error: Error): GraphQLError {
    this.logger.warn({ subgraph: this.serviceName, reason: error.message }, `subgraph ${this.serviceName} did not answer: ${error.message}`);
    return new GraphQLError(`The ${this.serviceName} subgraph is unavailable, so its fields are null in this answer.`, {
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName },
    });
  }

  /**
   * Apollo's RemoteGraphQLDataSource with its default fetcher, signing in the fetcher (the only place that
   * sees the final body) and keeping the same error rules: the benchmark's "without our client" lever.
   */
  private apolloDataSource(): RemoteGraphQLDataSource<GatewayContext> {
    const self = this;
    const source = new (class extends RemoteGraphQLDataSource<GatewayContext> {
      override willSendRequest({ request, context }: ProcessOptions) {
        // The claims travel to the fetcher in a header it removes before sending.
        request.http?.headers.set('x-kediri-claims', JSON.stringify({ identity: self.identityOf(context), grant: context?.grant }));
        // Called inside the fetch's client span, so these headers continue it.
        for (const [name, value] of Object.entries({ ...outgoingTraceHeaders(), ...requestIdHeader() })) request.http?.headers.set(name, value);
      }
      override didEncounterError(error: Error, _request: unknown, response?: { ok: boolean }): void {
        if (error instanceof GraphQLError && response) {
          const body = (error.extensions.response as { body?: { errors?: { message: string; extensions?: object }[] } } | undefined)?.body;
          const first = body?.errors?.[0];
          throw new GraphQLError(first?.message ?? error.message, {
            extensions: { ...(first?.extensions ?? error.extensions), serviceName: self.serviceName },
          });
        }
        throw self.unavailable(error);
      }
    })({ url: this.url });
    const fetcher = source.fetcher;
    source.fetcher = (url, init = {}) => {
      const headers = { ...(init.headers ?? {}) };
      const claims = JSON.parse(headers['x-kediri-claims'] ?? '{}') as { identity?: Identity; grant?: ResidentGrant };
      delete headers['x-kediri-claims'];
      headers[IDENTITY_HEADER] = signIdentity(claims.identity ?? GATEWAY_IDENTITY, self.options.identitySecret, {
        audience: self.serviceName,
        body: String(init.body ?? ''),
        grant: claims.grant,
      });
      return fetcher(url, { ...init, headers });
    };
    return source;
  }
}

/** The caller's request id, sent on so the subgraph's log lines carry it. */
function requestIdHeader(): Record<string, string> {
  const request = currentRequest();
  return request ? { [REQUEST_ID_HEADER]: request.requestId } : {};
}

/** How a fetch failed, from the error process() throws. */
function failureKind(error: unknown): FetchErrorKind {
  const extensions = error instanceof GraphQLError ? error.extensions : {};
  if (extensions.code === 'SUBGRAPH_TIMEOUT') return 'timeout';
  if (extensions.code === 'SUBGRAPH_UNAVAILABLE') return extensions.circuit === 'open' ? 'circuit_open' : 'unavailable';
  return error instanceof GraphQLError ? 'graphql_error' : 'unavailable';
}
