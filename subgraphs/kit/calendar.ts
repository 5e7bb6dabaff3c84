/**
 * Kediri's calendar. Kota Kediri keeps Western Indonesia Time (WIB, UTC+7) all year, so its days and years
 * start seven hours before UTC's: every rule about days and years ("not in the future", "in this year",
 * "the day a loan was disbursed") goes through this module, never through a Date's UTC or local fields.
 *
 * Two kinds of values, kept apart:
 * - an instant: the moment something happened (a payment, a visit), a Date as it is;
 * - a calendar day: a date without a time (a birth date, a session date), a Date at 00:00 UTC of that
 *   day, so that it prints as its own date in ISO form and in MongoDB's tools.
 */
export const KEDIRI_UTC_OFFSET_HOURS = 7;

const OFFSET_MS = KEDIRI_UTC_OFFSET_HOURS * 3_600_000;
const DAY_MS = 86_400_000;

/** The calendar day in Kediri on which an instant falls: 31 December 17:30 UTC is 1 January in Kediri. */
export function kediriDay(instant: Date): Date {
  const shifted = new Date(instant.getTime() + OFFSET_MS);
  return new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate()));
}

/** Today's calendar day in Kediri. */
export function todayInKediri(now: Date = new Date()): Date {
  return kediriDay(now);
}

/** The calendar year in Kediri of an instant. */
export function kediriYear(instant: Date): number {
  return kediriDay(instant).getUTCFullYear();
}

/** The instant a Kediri calendar day begins (00:00 WIB), e.g. to compare an instant with a day. */
export function startOfKediriDay(day: Date): Date {
  return new Date(day.getTime() - OFFSET_MS);
}

/** The calendar day `days` after (or before, when negative) a calendar day. */
export function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** A calendar day as ISO-8601, "2024-03-08". */
export function isoDay(day: Date): string {
  return day.toISOString().slice(0, 10);
}

/** Parses a strict ISO-8601 calendar date ("YYYY-MM-DD") that exists; undefined for anything else. */
export function parseIsoDay(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const exists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists ? date : undefined;
}

/**
 * The instants a calendar year of Kota Kediri starts and ends (end excluded), for date-range filters:
 * 1 January 00:00 WIB is 31 December 17:00 UTC. Every agency counts its year the same way.
 */
export function yearRange(year: number): { start: Date; end: Date } {
  return {
    start: new Date(Date.UTC(year, 0, 1) - OFFSET_MS),
    end: new Date(Date.UTC(year + 1, 0, 1) - OFFSET_MS),
  };
}

/** The calendar days a Kediri year spans, 1 January and 31 December. */
export function yearDays(year: number): { first: Date; last: Date } {
  return { first: new Date(Date.UTC(year, 0, 1)), last: new Date(Date.UTC(year, 11, 31)) };
}
