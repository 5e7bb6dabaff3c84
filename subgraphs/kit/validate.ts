import { Types } from 'mongoose';
import { badUserInput } from '../../platform/errors';
import { isoDay, parseIsoDay, todayInKediri } from './calendar';

/**
 * One validator per rule of caller input, used by every agency, so that the same mistake gets the same
 * answer everywhere: `BAD_USER_INPUT` with `extensions.field` naming the argument, and a message saying what
 * was expected and what came. Each returns the value in the form the agency stores.
 */
export { requireKelurahanCode } from './reference/kelurahan';
export { requireRt } from './reference/neighbourhoods';
export { requireNik, requireResidentId } from './residents';

/**
 * How far ahead of the graph's clock a caller's clock may run (a counter's till, a bank's system) before
 * an instant it sends counts as "in the future". Stated once for every agency.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The first year the Smart City programme reports on; the scorecard accepts years from here. */
export const FIRST_YEAR = 2016;

/** Text a person typed: trimmed, with at least `min` and at most `max` characters, and something visible. */
export function requireText(value: unknown, field: string, { min = 1, max }: { min?: number; max: number }): string {
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text.length < min || text.length > max || !/[\p{L}\p{N}]/u.test(text)) {
    throw badUserInput(field, `text of ${min} to ${max} characters`, value);
  }
  return text;
}

/** Like requireText, for an argument that may be left out: null and undefined give undefined. */
export function optionalText(value: unknown, field: string, limits: { min?: number; max: number }): string | undefined {
  return value === undefined || value === null ? undefined : requireText(value, field, limits);
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,100}$/;

/**
 * The caller's key for one request, sent again unchanged on every retry of it: 8 to 100 printable ASCII
 * characters without spaces (a UUID fits). The agency stores it with what the request wrote, so that a
 * retry answers with the first result.
 */
export function requireIdempotencyKey(value: unknown, field = 'idempotencyKey'): string {
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw badUserInput(field, 'a key of 8 to 100 printable characters without spaces, the same on every retry', value);
  }
  return value;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 date-time with its offset, "2024-04-08T10:15:00+07:00" or "...Z": an instant. */
export function requireIsoDateTime(value: unknown, field: string): Date {
  const instant = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : undefined;
  // The pattern lets "2024-02-31T10:00Z" through; a date that does not exist must not roll into March.
  if (!instant || Number.isNaN(instant.getTime()) || !parseIsoDay((value as string).slice(0, 10))) {
    throw badUserInput(field, 'an ISO-8601 date-time with its offset, such as "2024-04-08T10:15:00+07:00"', value);
  }
  return instant;
}

/** An instant that has already happened (allowing CLOCK_SKEW_MS for the caller's clock). */
export function requirePastInstant(value: unknown, field: string, now: Date = new Date()): Date {
  const instant = requireIsoDateTime(value, field);
  if (instant.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw badUserInput(field, `a time not in the future (now is ${now.toISOString()})`, value);
  }
  return instant;
}

/** An ISO-8601 calendar date, "2024-04-08", that exists: a calendar day (see calendar.ts). */
export function requireIsoDate(value: unknown, field: string): Date {
  const day = parseIsoDay(value);
  if (!day) throw badUserInput(field, 'an ISO-8601 date such as "2024-04-08"', value);
  return day;
}

/** A calendar date not after today in Kediri: at 00:30 WIB, today is already Kediri's new day. */
export function requirePastDate(value: unknown, field: string, now: Date = new Date()): Date {
  const day = requireIsoDate(value, field);
  const today = todayInKediri(now);
  if (day.getTime() > today.getTime()) {
    throw badUserInput(field, `a date not after today in Kediri (${isoDay(today)})`, value);
  }
  return day;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** Whether a value is a record id as the graph hands it out, e.g. to resolve a malformed entity key to null. */
export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** A record id as the graph hands it out: the 24 hexadecimal digits of a MongoDB ObjectId, in any case. */
export function requireObjectId(value: unknown, field: string, what = 'a record'): Types.ObjectId {
  if (!isObjectId(value)) throw badUserInput(field, `the id of ${what} (24 hexadecimal digits, as the graph returns it)`, value);
  return new Types.ObjectId(value.toLowerCase());
}

/** An amount of money in whole rupiah, from `min` (0 unless said) to `max`. */
export function requireWholeRupiah(value: unknown, field: string, { min = 0, max }: { min?: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = `${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
    throw badUserInput(field, `a whole number of rupiah from ${range}`, value);
  }
  return value;
}

/** A whole number in a range, e.g. an RT number or a page size. */
export function requireInteger(value: unknown, field: string, { min, max }: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badUserInput(field, `a whole number from ${min} to ${max}`, value);
  }
  return value;
}

/** A measured quantity, e.g. a body temperature or an amount of waste: a finite number in a range. */
export function requireNumber(value: unknown, field: string, { min, max }: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badUserInput(field, `a number from ${min} to ${max}`, value);
  }
  return value;
}

/** A calendar year the graph reports on: from FIRST_YEAR to next year. */
export function requireYear(value: unknown, field = 'year', now: Date = new Date()): number {
  const latest = todayInKediri(now).getUTCFullYear() + 1;
  return requireInteger(value, field, { min: FIRST_YEAR, max: latest });
}

/** One of a fixed list of codes, such as an enum value the graph passes as its lower-case code. */
export function requireOneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw badUserInput(field, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}
