import { badUserInput, conflict } from '../../platform/errors';
import { isoDay, yearDays } from '../kit/calendar';

/**
 * The waste banks' rules as pure functions: how a weigh-in is valued, which price applies on a day, what a
 * payout may take, when a waste bank or a membership counts as active. The mutations and the seed both use
 * them, so the sample data obeys the same rules as a staff member's entry.
 *
 * Two kinds of dates, as kit/calendar.ts keeps them apart: the days of the waste banks' life (established,
 * active periods, joined, left, a price's validFrom) are calendar days, a Date at 00:00 UTC of the day; a
 * weigh-in is an instant, and the day it counts on is its calendar day in Kediri (WIB).
 */

export interface DatedPrice {
  validFrom: Date;
  pricePerKg: number;
}

export interface ActivePeriod {
  from: Date;
  until?: Date | null;
}

/** One weighed category of a weigh-in, as a staff member entered it, with its weight in whole grams. */
export interface WeighedLine {
  category: string;
  grams: number;
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

export const WASTE_BANK_CODE = /^BS-\d{4}-\d{3}$/;
export const CATEGORY_CODE = /^[a-z][a-z_]{1,30}$/;

/** A waste bank's code: BS, the kecamatan and kelurahan digits, and a serial, e.g. BS-0105-002. */
export function requireWasteBankCode(value: unknown, field: string): string {
  if (typeof value !== 'string' || !WASTE_BANK_CODE.test(value)) {
    throw badUserInput(field, 'a waste bank code such as "BS-0105-002"', value);
  }
  return value;
}

/** The price whose validFrom is the latest on or before the calendar day `day`; undefined when none is valid yet. */
export function priceOn(prices: readonly DatedPrice[], day: Date): number | undefined {
  let best: DatedPrice | undefined;
  for (const price of prices) {
    if (price.validFrom.getTime() <= day.getTime() && (!best || price.validFrom.getTime() > best.validFrom.getTime())) {
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
 * The lines of a weigh-in in their shape: 1 to 20, each a category code given once and a weight in whole
 * grams. Whether the categories exist and have a price on the day is for `priceDeposit`, with the price lists.
 */
export function requireDepositLines(lines: unknown): WeighedLine[] {
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > MAX_LINES_PER_DEPOSIT) {
    throw badUserInput('lines', `1 to ${MAX_LINES_PER_DEPOSIT} weighed categories`, lines);
  }
  const seen = new Set<string>();
  return lines.map((line: { category?: unknown; kg?: unknown } | null, index) => {
    const field = `lines[${index}].category`;
    const category = line?.category;
    if (typeof category !== 'string' || !CATEGORY_CODE.test(category)) throw badUserInput(field, 'a waste category code such as "pet_bottle"', category);
    if (seen.has(category)) throw badUserInput(field, 'each category at most once per deposit', category);
    seen.add(category);
    return { category, grams: requireGrams(line?.kg, `lines[${index}].kg`) };
  });
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
 * Prices every line of a weigh-in at the prices valid on its calendar day in Kediri and sums them. Refuses,
 * naming the line, a category the waste banks do not buy or one without a price yet on that day.
 */
export function priceDeposit(
  lines: readonly WeighedLine[],
  pricesByCategory: ReadonlyMap<string, readonly DatedPrice[]>,
  day: Date,
): { lines: PricedLine[]; totalKg: number; totalValue: number } {
  let totalGrams = 0;
  let totalValue = 0;
  const priced = lines.map((line, index) => {
    const field = `lines[${index}].category`;
    const prices = pricesByCategory.get(line.category);
    if (!prices) {
      const known = [...pricesByCategory.keys()].join(', ');
      throw badUserInput(field, `a waste category code (one of ${known})`, line.category);
    }
    const pricePerKg = priceOn(prices, day);
    if (pricePerKg === undefined) {
      throw badUserInput(
        field,
        `a category with a price valid on ${isoDay(day)} (the price list of "${line.category}" starts later)`,
        line.category,
      );
    }
    const value = lineValue(line.grams, pricePerKg);
    totalGrams += line.grams;
    totalValue += value;
    return { category: line.category, kg: gramsToKg(line.grams), pricePerKg, value };
  });
  return { lines: priced, totalKg: gramsToKg(totalGrams), totalValue };
}

/**
 * A member's savings after a payout. Savings never go below zero: a payout larger than the balance is
 * refused with CONFLICT (the request is well formed; the member's current savings forbid it), stating the
 * balance so that the counter can pay what is there.
 */
export function balanceAfterPayout(balance: number, amount: number): number {
  if (amount > balance) {
    throw conflict(`The payout of Rp${amount} is more than the member's balance of Rp${balance}; pay at most Rp${balance}.`, 'amount');
  }
  return balance - amount;
}

/** True when the waste bank held weigh-ins on the calendar day `day`: some period began on or before it and had not ended. */
export function isActiveOn(periods: readonly ActivePeriod[], day: Date): boolean {
  const t = day.getTime();
  return periods.some((p) => p.from.getTime() <= t && (!p.until || p.until.getTime() > t));
}

/** True when a membership covers the calendar day `day`: on or after the day it began and before the day it ended. */
export function isMemberOn(joinedAt: Date, leftAt: Date | null | undefined, day: Date): boolean {
  return joinedAt.getTime() <= day.getTime() && (!leftAt || day.getTime() < leftAt.getTime());
}

/** Today's status follows from the periods: active while the last period is open. */
export function statusFromPeriods(periods: readonly ActivePeriod[]): 'active' | 'inactive' {
  const last = periods[periods.length - 1];
  return last && !last.until ? 'active' : 'inactive';
}

/**
 * A waste bank counts as active in a year when it is active on the year's last day (for the current year:
 * while its period stays open). That is how the city reports it: "134 units, of which 63 active and 71
 * inactive" in 2023. A period's `until` is its first day without weigh-ins.
 */
export function isActiveAtYearEnd(periods: readonly ActivePeriod[], year: number): boolean {
  const next = yearDays(year + 1).first.getTime();
  return periods.some((p) => p.from.getTime() < next && (!p.until || p.until.getTime() >= next));
}

/** A membership counts in a year when it began by the year's last day and had not ended before its first. */
export function isMemberDuring(joinedAt: Date, leftAt: Date | null | undefined, year: number): boolean {
  return joinedAt.getTime() < yearDays(year + 1).first.getTime() && (!leftAt || leftAt.getTime() >= yearDays(year).first.getTime());
}

/**
 * Whole grams from a sum of kilograms. The database sums weights as doubles, so a sum of gram-exact weights
 * may arrive as 196367.49999999; it is brought back to the exact whole grams it stands for.
 */
export function gramsFromKg(kg: number): number {
  return Math.round(kg * 1000);
}

/** Tonnes from whole grams, to the kilogram (halves up). */
export function tonnesFromGrams(grams: number): number {
  return Math.round(grams / 1000) / 1000;
}

/** Tonnes from a sum of kilograms, to the kilogram, as the exact sum of its gram-exact weights would round. */
export function tonnesFromKg(kg: number): number {
  return tonnesFromGrams(gramsFromKg(kg));
}
