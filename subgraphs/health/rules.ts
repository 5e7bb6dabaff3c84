import { badUserInput } from '../../platform/errors';

/**
 * The Homecare service's rules as pure functions: response time, the median the Smart Living pillar reports,
 * the request status transitions, and the physiological limits of the vital signs a team records.
 */

const MS_PER_HOUR = 3_600_000;

/** Homecare has run since May 2016: no request can be older. */
export const SERVICE_START = new Date(Date.UTC(2016, 4, 1));

/** Hours are kept to two decimals (36 seconds): finer than any team records an arrival time. */
function roundHours(hours: number): number {
  return Math.round(hours * 100) / 100;
}

/**
 * Hours from the moment a request was received to a visit. A visit cannot answer a request that had not yet
 * been made, so a visit before receipt is refused as bad input on the visit time.
 */
export function responseHours(receivedAt: Date, visitedAt: Date, field = 'input.visitedAt'): number {
  const elapsed = visitedAt.getTime() - receivedAt.getTime();
  if (elapsed < 0) {
    throw badUserInput(field, `a time at or after the request was received (${receivedAt.toISOString()})`, visitedAt.toISOString());
  }
  return roundHours(elapsed / MS_PER_HOUR);
}

/** The response time of a request is that of its FIRST visit; null while it has none. */
export function firstResponseHours(receivedAt: Date, visitTimes: readonly Date[]): number | null {
  if (visitTimes.length === 0) return null;
  const first = Math.min(...visitTimes.map((time) => time.getTime()));
  return responseHours(receivedAt, new Date(first));
}

/**
 * The median of a list of hours, the pillar's response-time figure: the middle value of an odd count, the
 * mean of the two middle values of an even count, null when there is nothing to summarise (a year or a
 * kelurahan without visits has no response time, which is not the same as a response time of zero).
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return roundHours(value);
}

export const REQUEST_STATUSES = ['open', 'scheduled', 'visited', 'closed', 'referred'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * Statuses in which a team may still visit. A closed request is finished and a referred patient is in the
 * care of someone else, so a new visit needs a new request.
 */
export const VISITABLE_STATUSES: readonly RequestStatus[] = ['open', 'scheduled', 'visited'];

export function canRecordVisit(status: RequestStatus): boolean {
  return VISITABLE_STATUSES.includes(status);
}

export const TEAM_ROLES = ['doctor', 'nurse', 'physiotherapist', 'psychologist', 'nutritionist'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** Roles that can lead a home visit: every visit needs a clinician who may examine and treat. */
const CLINICIANS: readonly TeamRole[] = ['doctor', 'nurse'];

export function requireTeam(team: readonly string[], field = 'input.team'): TeamRole[] {
  if (team.length === 0) throw badUserInput(field, 'at least one team role', team);
  const unknown = team.find((role) => !(TEAM_ROLES as readonly string[]).includes(role));
  if (unknown !== undefined) throw badUserInput(field, `roles among ${TEAM_ROLES.join(', ')}`, unknown);
  if (new Set(team).size !== team.length) throw badUserInput(field, 'each role at most once', team.join(', '));
  if (!team.some((role) => CLINICIANS.includes(role as TeamRole))) {
    throw badUserInput(field, 'a team with a doctor or a nurse', team.join(', '));
  }
  return team as TeamRole[];
}

/** Physiological limits: values outside them are typing errors, not patients. */
export const VITAL_LIMITS = {
  systolic: { min: 60, max: 260, unit: 'mmHg' },
  diastolic: { min: 30, max: 160, unit: 'mmHg' },
  pulse: { min: 25, max: 220, unit: 'beats per minute' },
  temperature: { min: 32, max: 43, unit: '°C' },
  bloodGlucose: { min: 20, max: 700, unit: 'mg/dL' },
} as const;

export interface Vitals {
  systolic: number;
  diastolic: number;
  pulse: number;
  temperature: number;
  bloodGlucose?: number | null;
}

function requireWithin(name: keyof typeof VITAL_LIMITS, value: number, prefix: string, integer: boolean): void {
  const { min, max, unit } = VITAL_LIMITS[name];
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw badUserInput(`${prefix}.${name}`, `${integer ? 'an integer' : 'a number'} from ${min} to ${max} ${unit}`, value);
  }
}

export function requireVitals(vitals: Vitals, prefix = 'input.vitals'): Vitals {
  requireWithin('systolic', vitals.systolic, prefix, true);
  requireWithin('diastolic', vitals.diastolic, prefix, true);
  if (vitals.diastolic >= vitals.systolic) {
    throw badUserInput(`${prefix}.diastolic`, `a value below the systolic pressure (${vitals.systolic} mmHg)`, vitals.diastolic);
  }
  requireWithin('pulse', vitals.pulse, prefix, true);
  requireWithin('temperature', vitals.temperature, prefix, false);
  if (vitals.bloodGlucose !== undefined && vitals.bloodGlucose !== null) {
    requireWithin('bloodGlucose', vitals.bloodGlucose, prefix, false);
  }
  return {
    systolic: vitals.systolic,
    diastolic: vitals.diastolic,
    pulse: vitals.pulse,
    temperature: vitals.temperature,
    bloodGlucose: vitals.bloodGlucose ?? null,
  };
}

export function requireActions(actions: readonly string[], field = 'input.actions'): string[] {
  if (actions.length < 1 || actions.length > 20) throw badUserInput(field, 'from 1 to 20 actions', actions);
  return actions.map((action, index) => {
    const text = action.trim();
    if (text.length < 2 || text.length > 200) throw badUserInput(`${field}[${index}]`, 'an action of 2 to 200 characters', action);
    return text;
  });
}

/** How far a clock may run ahead of the server's before a time counts as "in the future". */
const CLOCK_SKEW_MS = 5 * 60_000;

/** An ISO-8601 date-time that has already happened. */
export function requirePastInstant(value: string, field: string, now = new Date()): Date {
  const time = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? new Date(value) : null;
  if (!time || Number.isNaN(time.getTime())) {
    throw badUserInput(field, 'an ISO-8601 date-time with a time zone, e.g. "2024-03-05T08:30:00+07:00"', value);
  }
  if (time.getTime() > now.getTime() + CLOCK_SKEW_MS) throw badUserInput(field, `a time not in the future (now is ${now.toISOString()})`, value);
  return time;
}

/** An ISO-8601 calendar date (YYYY-MM-DD) of a birth: real, not in the future, at most 120 years ago. */
export function requireBirthDate(value: string, field: string, now = new Date()): Date {
  const date = /^\d{4}-\d\d-\d\d$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw badUserInput(field, 'a calendar date "YYYY-MM-DD"', value);
  }
  if (date.getTime() > now.getTime() || now.getUTCFullYear() - date.getUTCFullYear() > 120) {
    throw badUserInput(field, 'a birth date in the last 120 years', value);
  }
  return date;
}

export function requireText(value: string, field: string, min: number, max: number, what: string): string {
  const text = value.trim();
  if (text.length < min || text.length > max) throw badUserInput(field, `${what} of ${min} to ${max} characters`, value);
  return text;
}

/** Retries carry the same key; a key too short to be unique would make two different visits one. */
export function requireIdempotencyKey(value: string, field = 'input.idempotencyKey'): string {
  if (!/^[A-Za-z0-9._:-]{8,100}$/.test(value)) {
    throw badUserInput(field, '8 to 100 characters of letters, digits, ".", "_", ":" or "-"', value);
  }
  return value;
}
