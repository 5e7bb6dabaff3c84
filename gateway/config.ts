import { projectPath } from '../platform/paths';
import { ConfigError, readFlag, readInteger, readPort, requireSecret } from '../platform/config';
import { DEFAULT_LIMITS, type OperationLimits } from './limits';
import type { RateLimitSettings } from './rateLimits';
import { type Role } from '../platform/identity';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * The gateway's settings, read once at start and validated: a bad value stops the process with a message
 * naming the variable, what it expected and what it found.
 */
export interface ApiKey {
  role: Role;
  /** Recorded as the caller's subject: the key's position, never the key itself. */
  label: string;
}

export interface GatewayConfig {
  port: number;
  host: string;
  identitySecret: string;
  apiKeys: Map<string, ApiKey>;
  /** HS256 secret for caller JWTs; JWTs are refused when unset. */
  jwtSecret: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  supergraphPath: string;
  /** Routing overrides by subgraph name, e.g. SUBGRAPH_URL_TAX; otherwise the supergraph's own URLs. */
  subgraphUrls: Record<string, string>;
  /** Limits every operation is measured against before any subgraph is asked (see limits.ts). */
  limits: OperationLimits;
  /** Documents with more tokens than this are refused while parsing. */
  maxTokens: number;
  /** Answers larger than this are refused instead of sent. */
  maxResponseBytes: number;
  /** Requests per minute per client, by class; 0 is no limit. */
  rateLimits: RateLimitSettings;
  /** Take the client's address from X-Forwarded-For (behind a trusted load balancer). */
  trustProxy: boolean;
  /** The persisted query manifest, and the roles that may run nothing else. */
  persistedOperationsPath: string;
  requirePersistedOperations: Set<Role>;
  /** Roles that may introspect the schema; in production none unless set. */
  introspectionRoles: Set<Role> | 'all';
  /** Leave "Did you mean ...?" suggestions and similar schema details out of error messages. */
  hideSchemaDetails: boolean;
  /** The longest lifetime a caller's JWT may have (exp - iat), in seconds. */
  jwtMaxLifetimeSeconds: number;
  production: boolean;
  /** Browser origins (dashboards) allowed to call the gateway; '*' allows any. Empty: no browser access. */
  corsOrigins: string[];
  /** How the gateway reaches subgraphs: its keep-alive undici client, or Apollo's default fetcher (for comparison). */
  subgraphClient: 'undici' | 'apollo';
  /** How long an idle connection to a subgraph is kept; below the subgraphs' 5 s. */
  subgraphKeepAliveMs: number;
  /** Share the answer of identical subgraph queries in flight. */
  deduplicateFetches: boolean;
  /** How long a public or dashboard answer is reused at most; 0 turns the response cache off. */
  responseCacheTtlMs: number;
  /** The response cache's size limit, in bytes. */
  responseCacheMaxBytes: number;
  /** How often the subgraphs' data versions are polled. */
  dataVersionPollMs: number;
  /** How long a subgraph is waited for, by default and per subgraph (SUBGRAPH_TIMEOUT_MS_<NAME>). */
  subgraphTimeoutMs: number;
  subgraphTimeouts: Record<string, number>;
  /** The circuit breaker of each subgraph and the retry budget (see guard.ts). */
  breaker: { failurePercent: number; minimumRequests: number; resetMs: number; retryPercent: number };
  /** How long a whole request may take; no subgraph is waited for past it. */
  requestDeadlineMs: number;
  /** Serve the GraphiQL explorer to browsers at /graphql (see explorer/); on in development, off in production unless set. */
  explorer: boolean;
}

/**
 * API_KEYS as "<key>=<role>" pairs. In production a development key from .env.example (they all start with
 * "dev-") is refused as the development secrets are: anyone who has read the repository knows it.
 */
export function parseApiKeys(raw: string | undefined, { production = false } = {}): Map<string, ApiKey> {
  const keys = new Map<string, ApiKey>();
  if (!raw) return keys;
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const separator = entry.lastIndexOf('=');
      const key = entry.slice(0, separator);
      const role = entry.slice(separator + 1);
      if (separator <= 0 || !isKnownRole(role)) {
        throw new ConfigError(
          `API_KEYS entry ${index + 1} is invalid: expected "<key>=<role>" with role public, dashboard, caseworker, auditor or agency:<name>, received "${entry.replace(key, '***')}".`,
        );
      }
      if (key.length < 16) throw new ConfigError(`API_KEYS entry ${index + 1} has a key shorter than 16 characters.`);
      if (production && key.startsWith('dev-')) {
        throw new ConfigError(`API_KEYS entry ${index + 1} (${role}) is a development key from .env.example; set a real one in production.`);
      }
      keys.set(key, { role, label: `api-key-${index + 1}:${role}` });
    });
  return keys;
}

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const entry of SUBGRAPHS) {
    const url = env[`SUBGRAPH_URL_${entry.name.toUpperCase()}`];
    if (url) subgraphUrls[entry.name] = url;
  }
  const production = env.NODE_ENV === 'production';
  const subgraphTimeouts: Record<string, number> = {};
  for (const entry of SUBGRAPHS) {
    const name = `SUBGRAPH_TIMEOUT_MS_${entry.name.toUpperCase()}`;
    if (env[name]) subgraphTimeouts[entry.name] = readInteger(env, name, 0, { min: 50, max: 600_000 });
  }
  const count = (name: string, fallback: number, min = 1) => readInteger(env, name, fallback, { min, max: 10_000_000 });
  return {
    port: readPort(env, 'PORT', 4000),
    host: env.HOST || '127.0.0.1',
    identitySecret: requireSecret(env, 'IDENTITY_SECRET'),
    apiKeys: parseApiKeys(env.API_KEYS, { production }),
    jwtSecret: env.JWT_SECRET ? requireSecret(env, 'JWT_SECRET') : undefined,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    supergraphPath: env.SUPERGRAPH_PATH || projectPath('schema', 'supergraph.graphql'),
    subgraphUrls,
    limits: {
      maxDepth: count('MAX_QUERY_DEPTH', DEFAULT_LIMITS.maxDepth, 2),
      maxAliases: count('MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 0),
      maxFields: count('MAX_FIELDS', DEFAULT_LIMITS.maxFields),
      maxRootFields: count('MAX_ROOT_FIELDS', DEFAULT_LIMITS.maxRootFields),
      maxDirectives: count('MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, 0),
      maxCost: {
        public: count('MAX_COST_PUBLIC', DEFAULT_LIMITS.maxCost.public),
        dashboard: count('MAX_COST_DASHBOARD', DEFAULT_LIMITS.maxCost.dashboard),
        staff: count('MAX_COST_STAFF', DEFAULT_LIMITS.maxCost.staff),
      },
    },
    maxTokens: count('MAX_TOKENS', 5_000, 100),
    maxResponseBytes: count('MAX_RESPONSE_BYTES', 5_000_000, 10_000),
    rateLimits: {
      perMinute: {
        public: count('RATE_LIMIT_PUBLIC_PER_MINUTE', 600, 0),
        dashboard: count('RATE_LIMIT_DASHBOARD_PER_MINUTE', 6_000, 0),
        staff: count('RATE_LIMIT_STAFF_PER_MINUTE', 1_200, 0),
      },
      wrongCredentialsPerMinute: count('RATE_LIMIT_WRONG_CREDENTIALS_PER_MINUTE', 30, 0),
    },
    trustProxy: readFlag(env, 'TRUST_PROXY', false),
    persistedOperationsPath: env.PERSISTED_OPERATIONS_PATH || projectPath('schema', 'persisted-operations.json'),
    requirePersistedOperations: new Set(parseRoles(env.REQUIRE_PERSISTED_OPERATIONS, 'REQUIRE_PERSISTED_OPERATIONS')),
    introspectionRoles: parseIntrospectionRoles(env.INTROSPECTION_ROLES, production),
    hideSchemaDetails: readFlag(env, 'HIDE_SCHEMA_DETAILS', production),
    jwtMaxLifetimeSeconds: count('JWT_MAX_LIFETIME_SECONDS', 86_400, 60),
    production,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    subgraphClient: readSubgraphClient(env),
    subgraphKeepAliveMs: readInteger(env, 'SUBGRAPH_KEEPALIVE_MS', 4_000, { min: 100, max: 4_900 }),
    deduplicateFetches: readFlag(env, 'GATEWAY_DEDUPLICATE_FETCHES', true),
    responseCacheTtlMs: readInteger(env, 'GATEWAY_RESPONSE_CACHE_TTL_MS', 30_000, { min: 0, max: 3_600_000 }),
    responseCacheMaxBytes: readInteger(env, 'GATEWAY_RESPONSE_CACHE_MAX_MB', 64, { min: 1, max: 4_096 }) * 1024 * 1024,
    dataVersionPollMs: readInteger(env, 'DATA_VERSION_POLL_MS', 1_000, { min: 100, max: 60_000 }),
    subgraphTimeoutMs: readInteger(env, 'SUBGRAPH_TIMEOUT_MS', 5_000, { min: 50, max: 600_000 }),
    subgraphTimeouts,
    breaker: {
      failurePercent: readInteger(env, 'BREAKER_FAILURE_PERCENT', 50, { min: 1, max: 100 }),
      minimumRequests: readInteger(env, 'BREAKER_MINIMUM_REQUESTS', 5, { min: 1, max: 10_000 }),
      resetMs: readInteger(env, 'BREAKER_RESET_MS', 10_000, { min: 100, max: 600_000 }),
      retryPercent: readInteger(env, 'RETRY_BUDGET_PERCENT', 10, { min: 0, max: 100 }),
    },
    requestDeadlineMs: readInteger(env, 'REQUEST_DEADLINE_MS', 15_000, { min: 100, max: 600_000 }),
    explorer: readFlag(env, 'EXPLORER', !production),
  };
}

export function parseOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS entries must be "*" or an origin such as https://dashboard.kedirikota.go.id, received "${origin}".`);
    }
  }
  return origins;
}

function readSubgraphClient(env: NodeJS.ProcessEnv): 'undici' | 'apollo' {
  const value = env.GATEWAY_SUBGRAPH_CLIENT || 'undici';
  if (value !== 'undici' && value !== 'apollo') {
    throw new ConfigError(`GATEWAY_SUBGRAPH_CLIENT must be "undici" or "apollo", received "${value}".`);
  }
  return value;
}

/**
 * The roles this city has: the four cross-agency roles and one per registered agency. A role for an agency
 * that does not exist (agency:nonexistent) is refused wherever a role is configured or presented.
 */
export function isKnownRole(value: unknown): value is Role {
  if (value === 'public' || value === 'dashboard' || value === 'caseworker' || value === 'auditor') return true;
  return typeof value === 'string' && value.startsWith('agency:') && SUBGRAPHS.some((entry) => `agency:${entry.name}` === value);
}

function parseRoles(raw: string | undefined, name: string): Role[] {
  const roles = (raw ?? '').split(',').map((role) => role.trim()).filter(Boolean);
  for (const role of roles) {
    if (!isKnownRole(role)) throw new ConfigError(`${name} lists "${role}", which is not a role of this city (public, dashboard, caseworker, auditor or agency:<registered agency>).`);
  }
  return roles as Role[];
}

/** Development: everyone may introspect. Production: no one, unless INTROSPECTION_ROLES names roles ("*" for all). */
function parseIntrospectionRoles(raw: string | undefined, production: boolean): Set<Role> | 'all' {
  if (raw === undefined || raw === '') return production ? new Set() : 'all';
  if (raw.trim() === '*') return 'all';
  return new Set(parseRoles(raw, 'INTROSPECTION_ROLES'));
}
