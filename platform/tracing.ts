import { context, diag, DiagLogLevel, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigError } from './config';
import { currentRequest, TRACEPARENT_HEADER } from './requestContext';

/**
 * OpenTelemetry tracing across gateway → subgraph → database, off unless the standard variables ask for it:
 * OTEL_TRACES_EXPORTER=otlp (OTLP over HTTP with JSON bodies to OTEL_EXPORTER_OTLP_ENDPOINT, default
 * http://localhost:4318) or console. Off, no SDK is loaded, no tracer provider is registered and nothing is
 * exported; the helpers below then cost one check.
 *
 * The services run as ESM (tsx, esbuild bundles), where automatic instrumentation of node:http would need
 * loader hooks, so spans are made explicitly at the boundaries: the server span of each request (which
 * continues the caller's `traceparent`), a client span per subgraph fetch (which sends it on), and a span per
 * database command from the MongoDB driver's command monitoring. @apollo/gateway adds its own spans
 * (gateway.request, gateway.plan, gateway.fetch, ...) through @opentelemetry/api once a provider is registered.
 *
 * Spans never carry personal data: no documents, no variables, no error messages (a database error can quote
 * the duplicate value, a NIK); a failed span says only the error's name or code.
 */
export interface Tracing {
  /** Exports the spans ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and unregisters the provider, so the process is as if tracing had never started. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The service name (`service.name`) unless OTEL_SERVICE_NAME sets one. */
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /** An exporter to use instead of the ones OTEL_TRACES_EXPORTER names (tests pass an in-memory one). */
  exporter?: SpanExporter;
  /** Where the SDK's own warnings go (a collector that cannot be reached, a dropped batch). */
  logger?: { warn(message: string): void; error(message: string): void };
}

const EXPORTERS = ['otlp', 'console', 'none'] as const;

let active: Tracing | undefined;

/** Whether this process records spans (startTracing registered a provider). */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** The exporters OTEL_TRACES_EXPORTER names (a comma-separated list); none when unset, "none", or the SDK is disabled. */
export function tracesExporters(env: NodeJS.ProcessEnv): ('otlp' | 'console')[] {
  if (env.OTEL_SDK_DISABLED === 'true') return [];
  const names = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(EXPORTERS as readonly string[]).includes(name)) {
      throw new ConfigError(`OTEL_TRACES_EXPORTER must list "otlp", "console" or "none", received "${name}".`);
    }
  }
  return names.includes('none') ? [] : (names as ('otlp' | 'console')[]);
}

/**
 * Where spans go, by the specification's rule: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or
 * OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces added; undefined leaves the exporter's default (localhost:4318).
 */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

function checkProtocol(env: NodeJS.ProcessEnv): void {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== 'http/json') {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL must be "http/json" (the exporter this project ships), received "${protocol}".`);
  }
}

/**
 * Starts the tracing SDK when OTEL_TRACES_EXPORTER names an exporter (or `exporter` is given), and registers
 * it globally: the tracer provider, the AsyncLocalStorage context manager and the W3C trace-context and
 * baggage propagators. Returns undefined, having loaded nothing, when tracing is off.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  const env = options.env ?? process.env;
  const names = tracesExporters(env);
  if (!options.exporter && names.length === 0) return undefined;
  if (active) throw new Error('Tracing is already started in this process; stop it before starting it again.');
  if (names.includes('otlp')) checkProtocol(env);

  // The SDK is loaded only here, so a process that does not trace never loads it.
  const [{ NodeTracerProvider }, base, { detectResources, envDetector, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const processors = [];
  if (options.exporter) processors.push(new base.SimpleSpanProcessor(options.exporter));
  for (const name of options.exporter ? [] : names) {
    if (name === 'console') processors.push(new base.SimpleSpanProcessor(new base.ConsoleSpanExporter()));
    else {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      // The exporter reads OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT from the process itself; the batch
      // processor reads OTEL_BSP_*.
      processors.push(new base.BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(env) })));
    }
  }
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the env detector, override the default name.
  const resource = resourceFromAttributes({ 'service.name': options.serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
  const logger = options.logger;
  if (logger) {
    const say = (level: 'warn' | 'error') => (message: string, ...args: unknown[]) => logger[level](`tracing: ${[message, ...args.map(String)].join(' ')}`);
    diag.setLogger({ error: say('error'), warn: say('warn'), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  }
  const tracing: Tracing = {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // The last spans are lost when the collector cannot be reached; stopping must not fail for it.
        logger?.warn(`tracing: the last spans were not exported: ${(error as Error)?.message ?? String(error)}`);
      }
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
      if (active === tracing) active = undefined;
    },
  };
  active = tracing;
  return tracing;
}

const tracer = () => trace.getTracer('kediri-city-graph');

/** Marks a span failed with the error's name or code only: messages may quote personal data. */
function fail(span: Span, error: unknown): void {
  const code = (error as { codeName?: unknown; code?: unknown } | null)?.codeName ?? (error as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' || typeof code === 'number' ? String(code) : ((error as Error)?.name ?? 'Error') });
}

/**
 * Runs the handling of one incoming request in a server span that continues the caller's trace (its
 * `traceparent`). `statusOf` gives the HTTP status of the result; a 5xx marks the span failed.
 */
export async function inServerSpan<T>(
  name: string,
  headers: Record<string, string>,
  attributes: Attributes,
  work: () => Promise<T>,
  statusOf: (result: T) => number,
): Promise<T> {
  if (!active) return work();
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  return tracer().startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, parent, async (span) => {
    try {
      const result = await work();
      const status = statusOf(result);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs one outgoing call in a client span; `work` gets the headers that carry the trace onward. With tracing
 * off they still carry a `traceparent` (the caller's, or the request's own trace id, not sampled), so the
 * subgraphs' log lines share the gateway's trace id.
 */
export async function inClientSpan<T>(name: string, attributes: Attributes, work: (headers: Record<string, string>, span?: Span) => Promise<T>): Promise<T> {
  if (!active) return work(outgoingTraceHeaders());
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work(outgoingTraceHeaders(), span);
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds attributes to the span of the code running now (the request's server span, at the HTTP layer). */
export function annotateSpan(attributes: Attributes): void {
  if (active) trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * The headers that carry the trace of the code running now to another service: the active span's context
 * when tracing is on; otherwise the request's forwarded `traceparent` (none outside a request).
 */
export function outgoingTraceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (active) propagation.inject(context.active(), headers);
  else {
    const request = currentRequest();
    if (request) headers[TRACEPARENT_HEADER] = request.forwardedTraceparent();
  }
  return headers;
}

/** The request id and trace id of the code running now, for log lines; empty outside any request or span. */
export function correlationIds(): { requestId?: string; traceId?: string } {
  const request = currentRequest();
  const spanContext = active ? trace.getActiveSpan()?.spanContext() : undefined;
  if (!request && !spanContext) return {};
  return { requestId: request?.requestId, traceId: spanContext?.traceId ?? request?.traceId };
}

/** The parts of the MongoDB driver's command monitoring events a span needs. */
export interface CommandEvent {
  requestId: number;
  commandName: string;
  databaseName?: string;
  command?: Record<string, unknown>;
  address?: string;
}

/** More database commands than this in flight at once means events are being lost: stop opening spans. */
const MAX_OPEN_COMMAND_SPANS = 10_000;

/**
 * A span per database command, from the driver's commandStarted / commandSucceeded / commandFailed events.
 * Commands made outside a traced request (seeding, health pings, version reads) open no span: a trace is a
 * request's story, and start-up would otherwise export thousands of orphan spans.
 */
export class CommandSpans {
  private readonly open = new Map<number, Span>();

  started(event: CommandEvent): void {
    if (!active || this.open.size >= MAX_OPEN_COMMAND_SPANS) return;
    const parent = context.active();
    if (!trace.getSpan(parent)) return;
    const collection = event.command?.[event.commandName];
    const attributes: Attributes = { 'db.system': 'mongodb', 'db.operation.name': event.commandName };
    if (event.databaseName) attributes['db.namespace'] = event.databaseName;
    if (typeof collection === 'string') attributes['db.collection.name'] = collection;
    if (event.address) attributes['server.address'] = event.address;
    const name = typeof collection === 'string' ? `${event.commandName} ${collection}` : event.commandName;
    this.open.set(event.requestId, tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent));
  }

  ended(event: { requestId: number }, failure?: unknown): void {
    const span = this.open.get(event.requestId);
    if (!span) return;
    this.open.delete(event.requestId);
    if (failure !== undefined) fail(span, failure);
    span.end();
  }
}
