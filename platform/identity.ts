import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who is calling, as the gateway established it. The gateway authenticates callers and forwards this
 * identity to subgraphs in a header signed with a secret only it and the subgraphs know, so that no one
 * reaches agency data around the gateway.
 */
export type Role = 'public' | 'dashboard' | 'caseworker' | 'auditor' | `agency:${string}`;

export interface Identity {
  /** The API key's label or the JWT subject; 'anonymous' for public callers. */
  subject: string;
  role: Role;
}

export const IDENTITY_HEADER = 'x-kediri-identity';

export const PUBLIC_IDENTITY: Identity = Object.freeze({ subject: 'anonymous', role: 'public' });

/** How long a signed identity stays valid: long enough for a slow query plan, short enough to limit replay. */
const MAX_AGE_MS = 5 * 60_000;

const ROLE_PATTERN = /^(public|dashboard|caseworker|auditor|agency:[a-z][a-z0-9-]*)$/;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && ROLE_PATTERN.test(value);
}

export class IdentityError extends Error {
  override name = 'IdentityError';
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** `<base64url JSON payload>.<base64url HMAC-SHA256>`; the payload carries the time it was signed. */
export function signIdentity(identity: Identity, secret: string, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ sub: identity.subject, role: identity.role, iat: now })).toString(
    'base64url',
  );
  return `${payload}.${sign(payload, secret)}`;
}

/** Verifies a signed identity header; throws IdentityError saying what was wrong. */
export function verifyIdentity(header: string | undefined, secret: string, now = Date.now()): Identity {
  if (!header) throw new IdentityError(`missing ${IDENTITY_HEADER} header: requests must come through the gateway`);
  const [payload, signature, extra] = header.split('.');
  if (!payload || !signature || extra !== undefined) {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} header: expected "<payload>.<signature>"`);
  }
  const expected = Buffer.from(sign(payload, secret));
  const received = Buffer.from(signature);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    throw new IdentityError(`invalid ${IDENTITY_HEADER} signature: requests must come through the gateway`);
  }
  let claims: { sub?: unknown; role?: unknown; iat?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} payload: expected JSON`);
  }
  if (typeof claims.iat !== 'number' || Math.abs(now - claims.iat) > MAX_AGE_MS) {
    throw new IdentityError(`expired ${IDENTITY_HEADER} header: signed more than ${MAX_AGE_MS / 1000} s ago`);
  }
  if (typeof claims.sub !== 'string' || !isRole(claims.role)) {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} claims: expected a subject and a known role`);
  }
  return { subject: claims.sub, role: claims.role };
}

export function agencyRole(agency: string): Role {
  return `agency:${agency}`;
}
