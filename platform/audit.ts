/**
 * The contract of the resident-access audit log. The gateway, the only party that sees a whole
 * cross-agency read (who asked, why, and which agencies answered), appends one record per read; the city
 * subgraph serves the log to the auditor role. Nothing in the graph updates or deletes a record.
 */
export const AUDIT_DATABASE = 'kediri_city';
export const AUDIT_COLLECTION = 'resident_access_audit';

export interface ResidentAccessRecord {
  at: Date;
  /** The caller as the gateway authenticated them (API key label or JWT subject), never a secret. */
  subject: string;
  role: string;
  purpose: string;
  residentId: string;
  operationName: string | null;
  /** Agencies whose data the query plan asked for. */
  agenciesAsked: string[];
  /** Agencies that answered without an error. */
  agenciesAnswered: string[];
  /** 'answered' when any agency answered, 'refused' when the read was refused or nothing answered. */
  outcome: 'answered' | 'refused';
}
