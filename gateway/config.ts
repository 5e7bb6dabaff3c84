import { fileURLToPath } from 'node:url';
import { ConfigError, readPort, requireSecret } from '../platform/config';
import { isRole, type Role } from '../platform/identity';
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
  /** Operations nested deeper than this are refused before any subgraph is asked. */
  maxQueryDepth: number;
  /** Where the resident-access audit log is written; without it, resident reads are refused. */
  mongoUri: string | undefined;
  /** Browser origins (dashboards) allowed to call the gateway; '*' allows any. Empty: no browser access. */
  corsOrigins: string[];
}

export function parseApiKeys(raw: string | undefined): Map<string, ApiKey> {
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
      if (separator <= 0 || !isRole(role)) {
        throw new ConfigError(
          `API_KEYS entry ${index + 1} is invalid: expected "<key>=<role>" with role public, dashboard, caseworker, auditor or agency:<name>, received "${entry.replace(key, '***')}".`,
        );
      }
      if (key.length < 16) throw new ConfigError(`API_KEYS entry ${index + 1} has a key shorter than 16 characters.`);
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
  const maxQueryDepth = Number(env.MAX_QUERY_DEPTH ?? 12);
  if (!Number.isInteger(maxQueryDepth) || maxQueryDepth < 2) {
    throw new ConfigError(`MAX_QUERY_DEPTH must be an integer of at least 2, received "${env.MAX_QUERY_DEPTH}".`);
  }
  return {
    port: readPort(env, 'PORT', 4000),
    host: env.HOST || '127.0.0.1',
    identitySecret: requireSecret(env, 'IDENTITY_SECRET'),
    apiKeys: parseApiKeys(env.API_KEYS),
    jwtSecret: env.JWT_SECRET ? requireSecret(env, 'JWT_SECRET') : undefined,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    supergraphPath: env.SUPERGRAPH_PATH || fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url)),
    subgraphUrls,
    maxQueryDepth,
    mongoUri: env.MONGODB_URI || undefined,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
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
