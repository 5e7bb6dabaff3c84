/**
 * The contract of the resident-access audit log, between the gateway (which alone sees a whole
 * cross-agency read: who asked, why, and which agencies answered) and the city subgraph (which owns the
 * log, chains its records and serves them to the auditor role).
 *
 * A read leaves two entries. Before any agency is asked, the gateway appends the read itself (who, which
 * resident, for what purpose); the agencies then serve that resident only under a grant naming the entry.
 * Before the answer leaves, the gateway appends the outcome (which agencies were asked and answered). If
 * either entry cannot be written, the answer is withheld: no trail, no data.
 */
export const AUDIT_APPEND_PATH = '/audit/append';

/** A read of one resident's personal data, as the caller asked for it. */
export interface ResidentReadEntry {
  kind: 'read';
  /** The caller as the gateway authenticated them (API key label or JWT subject), never a secret. */
  subject: string;
  role: string;
  purpose: string;
  residentId: string;
  operationName: string | null;
}

/** What came of a read. */
export interface ReadOutcomeEntry {
  kind: 'outcome';
  /** The id of the read entry this completes. */
  readId: string;
  /** Agencies whose data the query plan asked for. */
  agenciesAsked: string[];
  /** Agencies that answered without an error. */
  agenciesAnswered: string[];
  /** 'answered' when any agency answered, 'refused' when the read was refused or nothing answered. */
  outcome: 'answered' | 'refused';
}

export type AuditEntry = ResidentReadEntry | ReadOutcomeEntry;

/** The log's answer to an append: where each entry stands in the chain, in the order sent. */
export interface AppendResult {
  entries: { id: string; seq: number }[];
}

/** A stated purpose must say what service a read is for, in words: at least this many letters. */
export const PURPOSE_MIN_LETTERS = 10;
export const PURPOSE_MAX_LENGTH = 500;

/** What is wrong with a stated purpose, or undefined when it will do. */
export function purposeProblem(purpose: unknown): string | undefined {
  if (typeof purpose !== 'string') return 'a purpose is required';
  if (purpose.length > PURPOSE_MAX_LENGTH) return `a purpose of at most ${PURPOSE_MAX_LENGTH} characters, received ${purpose.length}`;
  const letters = purpose.match(/\p{L}/gu)?.length ?? 0;
  if (letters < PURPOSE_MIN_LETTERS) {
    return `a purpose in words, with at least ${PURPOSE_MIN_LETTERS} letters (a case number and the service, e.g. "Case 2026-42: social assistance review"), received ${letters} letters`;
  }
  return undefined;
}

/**
 * Who may open one resident's record across agencies: caseworkers (every agency's fields) and agency staff
 * (their own agency's fields). The gateway refuses anyone else before a trail is written, and the city
 * subgraph refuses them again.
 */
export function mayReadResident(role: string): boolean {
  return role === 'caseworker' || role.startsWith('agency:');
}

/** The pseudonymous resident id: "R" and 32 hex digits (a keyed hash of the NIK, see subgraphs/kit/residents.ts). */
export const RESIDENT_ID_PATTERN = /^R[0-9a-f]{32}$/;

export function isResidentId(value: unknown): value is string {
  return typeof value === 'string' && RESIDENT_ID_PATTERN.test(value);
}
