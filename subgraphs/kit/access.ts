import { GraphQLError } from 'graphql';
import { forbidden } from '../../platform/errors';
import { agencyRole, type Identity, type Role } from '../../platform/identity';

/**
 * Access rules shared by every agency, from the personal-data law: each agency owns its residents' personal
 * data and alone reads it; dashboards and the public see aggregates; small counts of people are suppressed
 * for the public so that no one can be singled out.
 */

/** Public kelurahan-level counts of people below this are withheld. */
export const SMALL_COUNT_THRESHOLD = 5;

export function isOwningAgency(identity: Identity, agency: string): boolean {
  return identity.role === agencyRole(agency);
}

/** Refuses unless the caller is the agency that owns the data. */
export function requireOwningAgency(identity: Identity, agency: string, what: string): void {
  if (!isOwningAgency(identity, agency)) {
    throw forbidden(
      `${what} is personal data held by the ${agency} agency; only role "${agencyRole(agency)}" may read it ` +
        `(caller has role "${identity.role}").`,
    );
  }
}

export function requireRole(identity: Identity, allowed: readonly Role[], what: string): void {
  if (!allowed.includes(identity.role)) {
    throw forbidden(`${what} requires one of the roles ${allowed.map((r) => `"${r}"`).join(', ')} (caller has role "${identity.role}").`);
  }
}

/**
 * A count of people at kelurahan level. Public callers get null plus an explanation when it is below the
 * threshold; every other role sees the exact figure. Counts of facilities are never passed through here.
 */
export function peopleCount(identity: Identity, count: number, what: string): number {
  if (identity.role === 'public' && count < SMALL_COUNT_THRESHOLD) {
    throw new GraphQLError(
      `${what} is withheld: counts of people below ${SMALL_COUNT_THRESHOLD} in one kelurahan are suppressed ` +
        `for public callers so that no one can be singled out.`,
      { extensions: { code: 'SUPPRESSED_SMALL_COUNT', threshold: SMALL_COUNT_THRESHOLD } },
    );
  }
  return count;
}
