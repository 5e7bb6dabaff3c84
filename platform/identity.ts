import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who is calling, as the gateway established it. The gateway authenticates callers and forwards this
 * identity to subgraphs in a header signed with a secret only it and the subgraphs know, so that no one
 * reaches agency data around the gateway.
 *
 * The boundary is zero-trust: a signed identity is valid for one request body (its SHA-256 is signed), one
 * subgraph (the audience) and a few seconds. A header captured from one request cannot be replayed with
 * another query, at another subgraph, or a minute later. A read of a resident's personal data also needs a
 * grant, signed in the same header, naming the residents, the stated purpose and the audit records the
 * gateway wrote for the read.
 */
export type Role = 'public' | 'dashboard' | 'caseworker' | 'auditor' | `agency:${string}`;

export interface Identity {
  /** The API key's label or the JWT subject; 'anonymous' for public callers. */
  subject: string;
  role: Role;
}

/** Permission to read the personal data of residents: each read names its resident, its purpose and its audit record. */
export interface ResidentGrant {
  reads: { residentId: string; purpose: string; auditId: string }[];
}

export const IDENTITY_HEADER = 'x-kediri-identity';

export const PUBLIC_IDENTITY: Identity = Object.freeze({ subject: 'anonymous', role: 'public' });

/** How long a signed identity stays valid: one request's trip from gateway to subgraph, with room for clock skew. */
export const IDENTITY_LIFETIME_MS = 15_000;

const ROLE_PATTERN = /^(public|dashboard|caseworker|auditor|agency:[a-z][a-z0-9-]*)$/;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && ROLE_PATTERN.test(value);
}

export function agencyRole(agency: string): Role {
  return `agency:${agency}`;
}

export class IdentityError extends Error {
  override name = 'IdentityError';
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The hash that binds a signed identity to one request body. */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('base64url');
}

export interface SignedFor {
  /** The subgraph the request goes to. */
  audience: string;
  /** The exact request body. */
  body: string;
  grant?: ResidentGrant;
}

interface Claims {
  sub: string;
  role: Role;
  aud: string;
  bh: string;
  iat: number;
  grant?: ResidentGrant;
}

/** `<base64url JSON claims>.<base64url HMAC-SHA256>`, for one body, one subgraph, signed now. */
export function signIdentity(identity: Identity, secret: string, target: SignedFor, now = Date.now()): string {
  const claims: Claims = { sub: identity.subject, role: identity.role, aud: target.audience, bh: bodyHash(target.body), iat: now };
  if (target.grant) claims.grant = target.grant;
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

export interface VerifiedIdentity {
  identity: Identity;
  grant?: ResidentGrant;
}

function isGrant(value: unknown): value is ResidentGrant {
  const grant = value as ResidentGrant;
  return (
    typeof grant === 'object' &&
    grant !== null &&
    Array.isArray(grant.reads) &&
    grant.reads.every(
      (read) => typeof read?.residentId === 'string' && typeof read.purpose === 'string' && typeof read.auditId === 'string',
    )
  );
}

/** Verifies a signed identity header for this subgraph and this body; throws IdentityError saying what was wrong. */
export function verifyIdentity(
  header: string | undefined,
  secret: string,
  expected: { audience: string; body: string },
  now = Date.now(),
): VerifiedIdentity {
  if (!header) throw new IdentityError(`missing ${IDENTITY_HEADER} header: requests must come through the gateway`);
  const [payload, signature, extra] = header.split('.');
  if (!payload || !signature || extra !== undefined) {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} header: expected "<payload>.<signature>"`);
  }
  const wanted = Buffer.from(sign(payload, secret));
  const received = Buffer.from(signature);
  if (wanted.length !== received.length || !timingSafeEqual(wanted, received)) {
    throw new IdentityError(`invalid ${IDENTITY_HEADER} signature: requests must come through the gateway`);
  }
  let claims: Partial<Claims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} payload: expected JSON`);
  }
  if (typeof claims.iat !== 'number' || Math.abs(now - claims.iat) > IDENTITY_LIFETIME_MS) {
    throw new IdentityError(`expired ${IDENTITY_HEADER} header: it is valid for ${IDENTITY_LIFETIME_MS / 1000} s after signing`);
  }
  if (claims.aud !== expected.audience) {
    throw new IdentityError(`${IDENTITY_HEADER} header signed for subgraph "${String(claims.aud)}", not for "${expected.audience}"`);
  }
  if (claims.bh !== bodyHash(expected.body)) {
    throw new IdentityError(`${IDENTITY_HEADER} header signed for another request body`);
  }
  if (typeof claims.sub !== 'string' || claims.sub === '' || !isRole(claims.role)) {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} claims: expected a subject and a known role`);
  }
  if (claims.grant !== undefined && !isGrant(claims.grant)) {
    throw new IdentityError(`malformed ${IDENTITY_HEADER} grant: expected resident ids, a purpose and audit record ids`);
  }
  return { identity: { subject: claims.sub, role: claims.role }, ...(claims.grant ? { grant: claims.grant } : {}) };
}
