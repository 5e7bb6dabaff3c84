import pino, { type DestinationStream, type Level, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';
import { ConfigError, readFlag } from './config';
import { IDENTITY_HEADER } from './identity';
import { correlationIds } from './tracing';

/**
 * Structured logs with pino: JSON lines in production, one readable line each in development. Every line
 * written while a request is answered carries its `requestId` and `traceId` (pino's mixin reads them from the
 * request context), so no call site passes them on.
 *
 * Nothing secret or personal reaches a log line, whatever a call site hands in:
 * - the values of credential-bearing keys (authorization, x-api-key, the identity header, cookies, tokens,
 *   secrets, passwords, NIKs) are replaced by pino's redaction, at any of the first three levels of an object;
 * - every finished line is scrubbed: JWTs, bearer credentials, 16-digit numbers (a NIK's shape) and the
 *   exact values of the secrets and API keys a service registers with `protectSecrets`.
 * Logs are written synchronously: a service logs at start, on faults and (when asked) once per request, so the
 * simplicity of no lost line at exit is worth more than a write buffer.
 */
export type Logger = PinoLogger;

export type LogFormat = 'json' | 'pretty';

export interface LogSettings {
  level: Level | 'silent';
  format: LogFormat;
  /** Colours in the pretty format. */
  color: boolean;
  /** One info line per request (method, path, status, duration, operation); off by default. */
  accessLog: boolean;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL (info), LOG_FORMAT (json in production, pretty otherwise), LOG_COLOR and ACCESS_LOG. */
export function readLogSettings(env: NodeJS.ProcessEnv = process.env): LogSettings {
  const level = env.LOG_LEVEL || 'info';
  if (!LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, received "${level}".`);
  const format = env.LOG_FORMAT || (env.NODE_ENV === 'production' ? 'json' : 'pretty');
  if (format !== 'json' && format !== 'pretty') throw new ConfigError(`LOG_FORMAT must be "json" or "pretty", received "${format}".`);
  return {
    level: level as LogSettings['level'],
    format,
    color: readFlag(env, 'LOG_COLOR', Boolean(process.stdout.isTTY)),
    accessLog: readFlag(env, 'ACCESS_LOG', false),
  };
}

/** Keys whose values are never logged, wherever they stand in the first three levels of a logged object. */
const SECRET_KEYS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', IDENTITY_HEADER, 'apiKey', 'password', 'secret', 'token', 'jwt', 'nik'];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
    paths.push(access.startsWith('.') ? key : access, `*${access}`, `*.*${access}`);
  }
  return paths;
}

const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
const CREDENTIAL = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/**
 * A 16-digit number, or a 32-digit lowercase hex id (a trace id, a resident id): the second alternative is
 * only there so that the digits inside such an id are left alone, while any 16-digit number standing on its
 * own, a NIK's shape, is replaced.
 */
const NIK_OR_HEX_ID = /(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])|(?<!\d)\d{16}(?!\d)/g;

const secrets = new Set<string>();
let secretPattern: RegExp | undefined;

/**
 * Registers values that must never appear in a log line (API keys, shared secrets): from now on every logger
 * of this process replaces them. Values shorter than 8 characters are ignored: they would mangle ordinary words.
 */
export function protectSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) {
    if (!value || value.length < 8) continue;
    secrets.add(value);
    secrets.add(JSON.stringify(value).slice(1, -1));
  }
  if (secrets.size === 0) return;
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  secretPattern = new RegExp(escaped.join('|'), 'g');
}

/** A log line with every secret, credential, JWT and NIK-shaped number replaced. */
export function scrub(line: string): string {
  let out = secretPattern ? line.replace(secretPattern, '[REDACTED]') : line;
  out = out.replace(JWT, '[JWT]').replace(CREDENTIAL, '$1 [REDACTED]');
  return out.replace(NIK_OR_HEX_ID, (match) => (match.length === 16 ? '[NIK]' : match));
}

/** Where lines go: a stream or any object with `write(line)` (a test's array, a callback). */
export type LogDestination = Pick<DestinationStream, 'write'>;

export interface LoggerOptions {
  /** The service: "gateway", "tax", "launcher"; shown on every line as `name`. */
  name: string;
  settings?: LogSettings;
  /** Defaults to standard output. */
  destination?: LogDestination;
}

function standardOutput(settings: LogSettings): LogDestination {
  const stdout = pino.destination({ dest: 1, sync: true });
  if (settings.format === 'json') return stdout;
  const prettify = pinoPretty.prettyFactory({
    colorize: settings.color,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return { write: (line: string) => stdout.write(prettify(line)) };
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = options.settings ?? readLogSettings();
  const target = options.destination ?? standardOutput(settings);
  return pino(
    {
      name: options.name,
      level: settings.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlationIds,
      redact: { paths: redactPaths(), censor: '[REDACTED]' },
    },
    { write: (line: string) => target.write(scrub(line)) },
  );
}

/**
 * A logger whose JSON lines go to a `(line) => void` callback: the builders' older `log` option, which tests
 * pass as `() => {}` to keep quiet.
 */
export function loggerFromCallback(name: string, log: (line: string) => void): Logger {
  return createLogger({ name, destination: { write: (line) => log(line.trimEnd()) } });
}

/** The logger a builder uses: the one given, else one over the `log` callback given, else standard output. */
export function resolveLogger(name: string, given: { logger?: Logger; log?: (line: string) => void }): Logger {
  if (given.logger) return given.logger;
  if (given.log) return loggerFromCallback(name, given.log);
  return createLogger({ name });
}
