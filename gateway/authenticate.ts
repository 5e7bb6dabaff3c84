import { timingSafeEqual } from 'node:crypto';
import { jwtVerify } from 'jose';
import { PUBLIC_IDENTITY, type Identity } from '../platform/identity';
import { isKnownRole, type GatewayConfig } from './config';

/**
 * Turns a caller's credentials into an identity: an `x-api-key`, or `Authorization: Bearer <JWT>` signed
 * with JWT_SECRET (HS256) carrying `sub` and `role`. No credentials at all means the public role.
 * Credentials that are present but wrong are refused outright rather than downgraded to public, so a
 * client with a broken key learns it at once.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

function findApiKey(config: GatewayConfig, presented: string): Identity | undefined {
  const candidate = Buffer.from(presented);
  for (const [key, entry] of config.apiKeys) {
    const known = Buffer.from(key);
    if (known.length === candidate.length && timingSafeEqual(known, candidate)) {
      return { subject: entry.label, role: entry.role };
    }
  }
  return undefined;
}

async function verifyJwt(config: GatewayConfig, token: string): Promise<Identity> {
  if (!config.jwtSecret) throw new AuthenticationError('Bearer tokens are not accepted: the gateway has no JWT_SECRET configured.');
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(config.jwtSecret), {
      algorithms: ['HS256'],
      // A token without an expiry would be valid forever once leaked.
      requiredClaims: ['sub', 'exp'],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
    });
    if (typeof payload.sub !== 'string' || payload.sub.trim() === '') {
      throw new AuthenticationError('The bearer token must carry a non-empty "sub" claim naming the caller.');
    }
    if (!isKnownRole(payload.role)) {
      throw new AuthenticationError(`The bearer token's "role" claim is not a role of this city (public, dashboard, caseworker, auditor or agency:<registered agency>).`);
    }
    // A token valid for years is a password that never changes: its lifetime is bounded, from when it was issued
    // (or from now, for a token that does not say when).
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
    const lifetime = (payload.exp as number) - issuedAt;
    if (lifetime > config.jwtMaxLifetimeSeconds) {
      throw new AuthenticationError(
        `The bearer token is valid for ${lifetime} s; the gateway accepts tokens valid for at most ${config.jwtMaxLifetimeSeconds} s (JWT_MAX_LIFETIME_SECONDS).`,
      );
    }
    return { subject: `jwt:${payload.sub}`, role: payload.role };
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    throw new AuthenticationError(`The bearer token was refused: ${(error as Error).message}.`);
  }
}

export async function authenticate(headers: Record<string, string | undefined>, config: GatewayConfig): Promise<Identity> {
  const apiKey = headers['x-api-key'];
  const authorization = headers.authorization;
  if (apiKey !== undefined && authorization !== undefined) {
    throw new AuthenticationError('Send either x-api-key or Authorization, not both.');
  }
  if (typeof apiKey === 'string') {
    const identity = findApiKey(config, apiKey);
    if (!identity) throw new AuthenticationError('The API key is not recognised.');
    return identity;
  }
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AuthenticationError('Expected "Authorization: Bearer <token>".');
    return verifyJwt(config, match[1]);
  }
  return PUBLIC_IDENTITY;
}
