import { badUserInput } from '../../platform/errors';

/**
 * The waste banks' rules as pure functions: how a weigh-in is valued, which price applies on a day, what a
 * payout may take, when a waste bank counts as active. Resolvers and the seed both use them, so the sample
 * data obeys the same rules as a staff member's entry.
 *
 * Days and instants are compared in UTC, as the scorecard's calendar years are, so that a deposit and the
 * year it is counted in always agree.
 */

export interface DatedPrice {
  validFrom: Date;
  pricePerKg: number;
}

export interface ActivePeriod {
  from: Date;
  until?: Date | null;
}

export interface DepositLineInput {
  category: string;
  kg: number;
}

export interface PricedLine {
  category: string;
  kg: number;
  pricePerKg: number;
  value: number;
}

export const MAX_LINES_PER_DEPOSIT = 20;
export const MAX_KG_PER_LINE = 1000;
/** No single payout is larger than this; a typo of three extra zeros is refused rather than paid. */
export const MAX_WITHDRAWAL = 100_000_000;

/** The price whose validFrom is the latest on or before `date`; undefined when none is valid yet. */
export function priceOn(prices: readonly DatedPrice[], date: Date): number | undefined {
  let best: DatedPrice | undefined;
  for (const price of prices) {
    if (price.validFrom.getTime() <= date.getTime() && (!best || price.validFrom.getTime() > best.validFrom.getTime())) {
      best = price;
    }
  }
  return best?.pricePerKg;
}

/**
 * Weight in whole grams. Scales record to the gram, so more than 3 decimals of a kilogram is a typing
 * error, not precision; the small tolerance absorbs binary floating point (2.345 is not exact in a double).
 */
export function requireGrams(kg: unknown, field: string): number {
  if (typeof kg !== 'number' || !Number.isFinite(kg) || kg <= 0 || kg > MAX_KG_PER_LINE) {
    throw badUserInput(field, `a weight in kg greater than 0 and at most ${MAX_KG_PER_LINE}`, kg);
  }
  const grams = Math.round(kg * 1000);
  if (Math.abs(kg * 1000 - grams) > 1e-6 || grams === 0) {
    throw badUserInput(field, 'a weight in kg with at most 3 decimals (whole grams)', kg);
  }
  return grams;
}

/**
 * Value of one line in rupiah: kg × price, rounded to the rupiah with halves up. Computed in whole grams so
 * that 2.345 kg at Rp3,500 is exactly Rp8,207.5 before rounding (Rp8,208), not 8,207.4999…
 */
export function lineValue(grams: number, pricePerKg: number): number {
  return Math.round((grams * pricePerKg) / 1000);
}

/** Kilograms from whole grams, exact to 3 decimals. */
export function gramsToKg(grams: number): number {
  return grams / 1000;
}

/**
 * Prices every line of a weigh-in at the prices valid on its date and sums them. Refuses, naming the line,
 * an unknown category, a category given twice, a bad weight, or a category with no price yet on that date.
 */
export function priceDeposit(
  lines: readonly DepositLineInput[],
  pricesByCategory: ReadonlyMap<string, readonly DatedPrice[]>,
  depositedAt: Date,
): { lines: PricedLine[]; totalKg: number; totalValue: number } {
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > MAX_LINES_PER_DEPOSIT) {
    throw badUserInput('lines', `1 to ${MAX_LINES_PER_DEPOSIT} weighed categories`, lines);
  }
  const seen = new Set<string>();
  let totalGrams = 0;
  let totalValue = 0;
  const priced = lines.map((line, index) => {
    const field = `lines[${index}].category`;
    const prices = pricesByCategory.get(line.category);
    if (!prices) {
      const known = [...pricesByCategory.keys()].join(', ');
      throw badUserInput(field, `a waste category code (one of ${known})`, line.category);
    }
    if (seen.has(line.category)) throw badUserInput(field, 'each category at most once per deposit', line.category);
    seen.add(line.category);
    const grams = requireGrams(line.kg, `lines[${index}].kg`);
    const pricePerKg = priceOn(prices, depositedAt);
    if (pricePerKg === undefined) {
      throw badUserInput(
        field,
        `a category with a price valid on ${isoDay(depositedAt)} (the price list of "${line.category}" starts later)`,
        line.category,
      );
    }
    const value = lineValue(grams, pricePerKg);
    totalGrams += grams;
    totalValue += value;
    return { category: line.category, kg: gramsToKg(grams), pricePerKg, value };
  });
  return { lines: priced, totalKg: gramsToKg(totalGrams), totalValue };
}

/** Savings in rupiah: everything deposited minus everything paid out. */
export function balanceOf(depositValue: number, withdrawn: number): number {
  return depositValue - withdrawn;
}

/** A payout is a whole, positive number of rupiah and never more than the savings. */
export function requireWithdrawalAmount(amount: unknown, balance: number): number {
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_WITHDRAWAL) {
    throw badUserInput('amount', `a whole number of rupiah from 1 to ${MAX_WITHDRAWAL}`, amount);
  }
  if (amount > balance) {
    throw badUserInput('amount', `at most the member's balance of Rp${balance}`, amount);
  }
  return amount;
}

/** True when the waste bank held weigh-ins on `date`: some period began on or before it and had not ended. */
export function isActiveOn(periods: readonly ActivePeriod[], date: Date): boolean {
  const t = date.getTime();
  return periods.some((p) => p.from.getTime() <= t && (!p.until || p.until.getTime() > t));
}

/** Today's status follows from the periods: active while the last period is open. */
export function statusFromPeriods(periods: readonly ActivePeriod[]): 'active' | 'inactive' {
  const last = periods[periods.length - 1];
  return last && !last.until ? 'active' : 'inactive';
}

/**
 * A waste bank counts as active in a year when it is active at the year's end (for the current year: still
 * open today). That is how the city reports it: "134 units, of which 63 active and 71 inactive" in 2023.
 */
export function isActiveAtYearEnd(periods: readonly ActivePeriod[], year: number): boolean {
  const end = Date.UTC(year + 1, 0, 1);
  return periods.some((p) => p.from.getTime() < end && (!p.until || p.until.getTime() >= end));
}

/** A membership counts in a year when it began before the year ended and had not ended before it began. */
export function isMemberDuring(joinedAt: Date, leftAt: Date | null | undefined, year: number): boolean {
  return joinedAt.getTime() < Date.UTC(year + 1, 0, 1) && (!leftAt || leftAt.getTime() >= Date.UTC(year, 0, 1));
}

/**
 * Tonnes from kilograms, to the kilogram (halves up). The database sums weights as doubles, so a sum of
 * gram-exact weights may arrive as 196367.49999999; it is first brought back to whole grams so that it
 * rounds as the exact sum would.
 */
export function tonnesFromKg(kg: number): number {
  const grams = Math.round(kg * 1000);
  return Math.round(grams / 1000) / 1000;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO-8601 day (taken as 00:00 UTC) or a date-time with an explicit zone. A date-time without a zone is
 * refused: it would mean a different instant on the server than at the waste bank.
 */
export function parseIsoInstant(value: unknown, field: string, allowTime = true): Date {
  const expected = allowTime
    ? 'an ISO-8601 day (YYYY-MM-DD) or date-time with a time zone (e.g. 2024-03-05T08:30:00+07:00)'
    : 'an ISO-8601 day (YYYY-MM-DD)';
  if (typeof value !== 'string') throw badUserInput(field, expected, value);
  const day = calendarDay(value.slice(0, 10));
  if (day && value.length === 10) return day;
  if (day && allowTime && DATE_TIME.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw badUserInput(field, expected, value);
}

/** 00:00 UTC of a YYYY-MM-DD day, or undefined when it is no real day (Date.UTC would roll 02-30 into March). */
function calendarDay(text: string): Date | undefined {
  const match = DAY.exec(text);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return isoDay(date) === text ? date : undefined;
}

/** Refuses instants in the future; a minute of leeway absorbs clocks that disagree slightly. */
export function requireNotFuture(date: Date, field: string, now = new Date()): Date {
  if (date.getTime() > now.getTime() + 60_000) {
    throw badUserInput(field, `a moment not in the future (now is ${now.toISOString()})`, date.toISOString());
  }
  return date;
}

export function requireIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || value.length < 8 || value.length > 100 || !/^[\x21-\x7e]+$/.test(value)) {
    throw badUserInput('idempotencyKey', 'a key of 8 to 100 printable characters without spaces, generated once per operation', value);
  }
  return value;
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
