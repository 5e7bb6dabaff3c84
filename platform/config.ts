/**
 * Settings every service shares, read once from the environment and validated, so that a missing or weak
 * secret stops the process at start with a message naming the variable instead of failing on first use.
 */
export interface PlatformConfig {
  /** HMAC secret shared by the gateway and subgraphs to sign the caller's identity. */
  identitySecret: string;
  /** HMAC secret that turns a NIK into the pseudonymous resident id used across agencies. */
  residentIdSecret: string;
  /** The key of the audit log's hash chain (AUDIT_SECRET); required by the city subgraph, which owns the log. */
  auditSecret: string | undefined;
  /** A real MongoDB; when absent the embedded store is used. */
  mongoUri: string | undefined;
  production: boolean;
}

const MIN_SECRET_LENGTH = 32;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function requireSecret(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set: expected a random secret of at least ${MIN_SECRET_LENGTH} characters (see .env.example).`);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${name} is too short: expected at least ${MIN_SECRET_LENGTH} characters, received ${value.length}.`);
  }
  if (env.NODE_ENV === 'production' && value.startsWith('dev-')) {
    throw new ConfigError(`${name} is a development secret from .env.example; set a real one in production.`);
  }
  return value;
}

export function readPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  return {
    identitySecret: requireSecret(env, 'IDENTITY_SECRET'),
    residentIdSecret: requireSecret(env, 'RESIDENT_ID_SECRET'),
    auditSecret: env.AUDIT_SECRET ? requireSecret(env, 'AUDIT_SECRET') : undefined,
    mongoUri: env.MONGODB_URI || undefined,
    production: env.NODE_ENV === 'production',
  };
}

export function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535, received "${raw}".`);
  }
  return port;
}

/** A whole-number setting, such as a timeout in milliseconds, between `min` and `max`. */
export function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, received "${raw}".`);
  }
  return value;
}

/** A true/false setting. */
export function readFlag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (value !== 'true' && value !== 'false') throw new ConfigError(`${name} must be "true" or "false", received "${value}".`);
  return value === 'true';
}
