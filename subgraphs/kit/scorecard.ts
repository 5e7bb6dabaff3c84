import { badUserInput } from '../../platform/errors';
import { requireKelurahanCode } from './reference/kelurahan';
import { compositeKey } from './loaders';

/**
 * The Smart City scorecard is one entity per year (city) and per kelurahan and year; each agency resolves
 * its own pillar on it from its own data, by aggregation, at query time.
 */
export const FIRST_SCORECARD_YEAR = 2016;

export function requireYear(year: unknown, field: string): number {
  const latest = new Date().getUTCFullYear() + 1;
  if (!Number.isInteger(year) || (year as number) < FIRST_SCORECARD_YEAR || (year as number) > latest) {
    throw badUserInput(field, `a year from ${FIRST_SCORECARD_YEAR} to ${latest}`, year);
  }
  return year as number;
}

export interface CityScorecardRef {
  year: number;
}

export interface KelurahanScorecardRef {
  kelurahanCode: string;
  year: number;
}

/** The DataLoader key of one kelurahan-year scorecard. */
export function scorecardKey(ref: KelurahanScorecardRef): string {
  return compositeKey(requireKelurahanCode(ref.kelurahanCode, 'kelurahanCode'), requireYear(ref.year, 'year'));
}

/** Kota Kediri keeps Western Indonesia Time (WIB, UTC+7) all year: its days and years start there. */
export const KEDIRI_UTC_OFFSET_HOURS = 7;

/**
 * The instants a calendar year of Kota Kediri starts and ends (end excluded), for date-range filters:
 * 1 January 00:00 WIB is 31 December 17:00 UTC. Every agency counts its year the same way.
 */
export function yearRange(year: number): { start: Date; end: Date } {
  return {
    start: new Date(Date.UTC(year, 0, 1, -KEDIRI_UTC_OFFSET_HOURS)),
    end: new Date(Date.UTC(year + 1, 0, 1, -KEDIRI_UTC_OFFSET_HOURS)),
  };
}

/** A rate in [0, 1] rounded to four decimals; 0 when there is nothing to divide. */
export function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}
