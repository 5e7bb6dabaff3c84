import { badUserInput } from '../../platform/errors';
import { parseIsoDay, startOfKediriDay, todayInKediri } from '../kit/calendar';
import { NEIGHBOURHOODS, type Neighbourhood } from '../kit/reference/neighbourhoods';
import { requireInteger, requireOneOf, requirePastDate, requireText } from '../kit/validate';

/**
 * The Homecare service's rules as pure functions: the codes it records, response time, the median the
 * Smart Living pillar reports, the request status flow, and what a team may record about a visit (team,
 * vital signs within physiological limits, actions). Input checks here are the agency's own rules built on
 * the kit's validators (kit/validate.ts); field names are relative to the mutation's `input`.
 */

const MS_PER_HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------------------

export const CHANNELS = ['whatsapp', 'phone', 'walk_in', 'referral'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PRIORITIES = ['emergency', 'urgent', 'routine'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CONDITIONS = ['stroke', 'paralysis', 'elderly_alone', 'chronic', 'post_hospital', 'disability', 'palliative'] as const;
export type Condition = (typeof CONDITIONS)[number];

export const POVERTY_REGISTRIES = ['none', 'dtks', 'dtsen'] as const;
export type PovertyRegistry = (typeof POVERTY_REGISTRIES)[number];

export const SEXES = ['F', 'M'] as const;
export type Sex = (typeof SEXES)[number];

/** Homecare has run since May 2016 (1 May, 00:00 WIB): no request can be older. */
export const SERVICE_START = startOfKediriDay(parseIsoDay('2016-05-01')!);

// ---------------------------------------------------------------------------------------------------------
// Response time and the pillar's median
// ---------------------------------------------------------------------------------------------------------

/** Hours are kept to two decimals (36 seconds): finer than any team records an arrival time. */
function roundHours(hours: number): number {
  return Math.round(hours * 100) / 100;
}

/**
 * Hours from the moment a request was received to a visit. A visit cannot answer a request that had not yet
 * been made, so a visit before receipt is refused as bad input on the visit time.
 */
export function responseHours(receivedAt: Date, visitedAt: Date, field = 'visitedAt'): number {
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

// ---------------------------------------------------------------------------------------------------------
// Request status
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// Patients
// ---------------------------------------------------------------------------------------------------------

/** The oldest a living patient is taken to be: an older birth date is a typing error. */
export const MAX_AGE_YEARS = 120;

/**
 * A patient's birth date: a calendar date not after today in Kediri (at 00:30 WIB a baby born that day
 * can be registered) and at most 120 years before it.
 */
export function requireBirthDate(value: unknown, field: string, now: Date = new Date()): Date {
  const day = requirePastDate(value, field, now);
  if (todayInKediri(now).getUTCFullYear() - day.getUTCFullYear() > MAX_AGE_YEARS) {
    throw badUserInput(field, `a birth date in the last ${MAX_AGE_YEARS} years`, value);
  }
  return day;
}

/**
 * Where a patient lives: an RT of the kelurahan and the RW it belongs to (an RT number alone is ambiguous
 * only across kelurahan). `prefix` is the path of the patient in the input, e.g. `patient`.
 */
export function requireNeighbourhood(kelurahanCode: string, rw: unknown, rt: unknown, prefix: string): Neighbourhood {
  const rtNumber = requireInteger(rt, `${prefix}.rt`, { min: 1, max: 999 });
  const rwNumber = requireInteger(rw, `${prefix}.rw`, { min: 1, max: 99 });
  const unit = NEIGHBOURHOODS.find((n) => n.kelurahanCode === kelurahanCode && n.rt === rtNumber);
  if (!unit) throw badUserInput(`${prefix}.rt`, `an RT number of kelurahan ${kelurahanCode}`, rt);
  if (unit.rw !== rwNumber) throw badUserInput(`${prefix}.rw`, `RW ${unit.rw}, the RW of RT ${rtNumber}`, rw);
  return unit;
}

/** The reasons a patient is in homecare: at least one known condition, each once. */
export function requireConditions(value: unknown, field: string): Condition[] {
  if (!Array.isArray(value) || value.length === 0) throw badUserInput(field, `at least one of ${CONDITIONS.join(', ')}`, value);
  return [...new Set(value.map((condition) => requireOneOf(condition, field, CONDITIONS)))];
}

// ---------------------------------------------------------------------------------------------------------
// Visits
// ---------------------------------------------------------------------------------------------------------

export const TEAM_ROLES = ['doctor', 'nurse', 'physiotherapist', 'psychologist', 'nutritionist'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** Roles that can lead a home visit: every visit needs a clinician who may examine and treat. */
const CLINICIANS: readonly TeamRole[] = ['doctor', 'nurse'];

export function requireTeam(team: unknown, field = 'team'): TeamRole[] {
  if (!Array.isArray(team) || team.length === 0) throw badUserInput(field, 'at least one team role', team);
  const roles = team.map((role) => requireOneOf(role, field, TEAM_ROLES));
  if (new Set(roles).size !== roles.length) throw badUserInput(field, 'each role at most once', roles.join(', '));
  if (!roles.some((role) => CLINICIANS.includes(role))) {
    throw badUserInput(field, 'a team with a doctor or a nurse', roles.join(', '));
  }
  return roles;
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

/** A measurement with decimals (temperature, glucose) within its physiological limits. */
function requireMeasurement(name: 'temperature' | 'bloodGlucose', value: unknown, prefix: string): number {
  const { min, max, unit } = VITAL_LIMITS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badUserInput(`${prefix}.${name}`, `a number from ${min} to ${max} ${unit}`, value);
  }
  return value;
}

export function requireVitals(value: unknown, prefix = 'vitals'): Required<Vitals> {
  const vitals = (value ?? {}) as Record<string, unknown>;
  const whole = (name: 'systolic' | 'diastolic' | 'pulse') => requireInteger(vitals[name], `${prefix}.${name}`, VITAL_LIMITS[name]);
  const systolic = whole('systolic');
  const diastolic = whole('diastolic');
  if (diastolic >= systolic) {
    throw badUserInput(`${prefix}.diastolic`, `a value below the systolic pressure (${systolic} mmHg)`, diastolic);
  }
  const pulse = whole('pulse');
  const temperature = requireMeasurement('temperature', vitals.temperature, prefix);
  const glucose = vitals.bloodGlucose;
  const bloodGlucose = glucose === undefined || glucose === null ? null : requireMeasurement('bloodGlucose', glucose, prefix);
  return { systolic, diastolic, pulse, temperature, bloodGlucose };
}

export const MAX_ACTIONS = 20;

/** What the team did: 1 to 20 actions of 2 to 200 characters each, trimmed; the one at fault is named. */
export function requireActions(actions: unknown, field = 'actions'): string[] {
  if (!Array.isArray(actions) || actions.length < 1 || actions.length > MAX_ACTIONS) {
    throw badUserInput(field, `from 1 to ${MAX_ACTIONS} actions`, actions);
  }
  return actions.map((action, index) => requireText(action, `${field}[${index}]`, { min: 2, max: 200 }));
}
