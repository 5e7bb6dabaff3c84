import { kediriDay, startOfKediriDay } from '../kit/calendar';

/**
 * The domain rules of the city's regional taxes (Perda Kota Kediri 6/2023 under Law 1/2022 on central and
 * regional fiscal relations, HKPD), as pure functions: the rate table, the tax due, the filing and payment
 * deadlines, the late-payment interest and the status flow of a monthly tax report (SPTPD). Nothing here
 * touches the database, so every rule is unit-tested to the rupiah.
 */

// ---------------------------------------------------------------------------------------------------------
// Tax types and the rate table
// ---------------------------------------------------------------------------------------------------------

export const TAX_TYPES = ['pbjt', 'advertising', 'groundwater', 'pbb_p2', 'bphtb'] as const;
export type TaxType = (typeof TAX_TYPES)[number];

export const TAX_SUBTYPES = [
  'food_beverage',
  'hotel',
  'parking',
  'electricity',
  'electricity_own_generation',
  'arts_entertainment',
  'special_entertainment',
  'standard',
  'njop_up_to_1_billion',
  'njop_above_1_billion',
] as const;
export type TaxSubtype = (typeof TAX_SUBTYPES)[number];

export interface TaxRate {
  taxType: TaxType;
  subtype: TaxSubtype;
  /**
   * The rate in basis points (1/10,000), so that the tax due is computed in integers: 1,000 is 10%.
   * Floating-point fractions such as 0.1 cannot be multiplied exactly.
   */
  basisPoints: number;
  /** What the rate is applied to. */
  base: string;
  /** True for taxes the taxpayer reports monthly on an SPTPD; PBB-P2 and BPHTB are assessed otherwise. */
  selfAssessed: boolean;
  description: string;
}

/** The date from which this table applies: Perda 6/2023 took effect on 1 January 2024. */
export const RATE_TABLE_VALID_FROM = '2024-01-01';

/**
 * The city's rate table. PBJT is at most 10% under HKPD; special entertainment (discotheques, karaoke,
 * nightclubs, bars and spas) pays between 40% and 75%, and the city chose the floor of 40%. PBB-P2 may be at
 * most 0.5%; the city's documented choice is 0.1% of NJOP up to Rp1 billion and 0.2% above it.
 */
export const RATE_TABLE: readonly TaxRate[] = Object.freeze([
  { taxType: 'pbjt', subtype: 'food_beverage', basisPoints: 1000, base: 'sales of food and beverages', selfAssessed: true, description: 'PBJT on restaurants, cafés and caterers' },
  { taxType: 'pbjt', subtype: 'hotel', basisPoints: 1000, base: 'room and hotel service revenue', selfAssessed: true, description: 'PBJT on hotels, guest houses and boarding houses for rent' },
  { taxType: 'pbjt', subtype: 'parking', basisPoints: 1000, base: 'parking fees collected', selfAssessed: true, description: 'PBJT on parking services' },
  { taxType: 'pbjt', subtype: 'electricity', basisPoints: 300, base: 'value of electricity sold by another supplier', selfAssessed: true, description: 'PBJT on electricity from another source' },
  { taxType: 'pbjt', subtype: 'electricity_own_generation', basisPoints: 150, base: 'value of electricity generated for own use', selfAssessed: true, description: 'PBJT on electricity the consumer generates itself' },
  { taxType: 'pbjt', subtype: 'arts_entertainment', basisPoints: 1000, base: 'ticket and entertainment revenue', selfAssessed: true, description: 'PBJT on arts and entertainment (cinemas, shows, sports venues)' },
  { taxType: 'pbjt', subtype: 'special_entertainment', basisPoints: 4000, base: 'ticket and entertainment revenue', selfAssessed: true, description: 'PBJT on discotheques, karaoke, nightclubs, bars and spas' },
  { taxType: 'advertising', subtype: 'standard', basisPoints: 2500, base: 'rental value of the advertisement', selfAssessed: true, description: 'Advertising tax (billboards, banners, running text)' },
  { taxType: 'groundwater', subtype: 'standard', basisPoints: 2000, base: 'acquisition value of the groundwater drawn', selfAssessed: true, description: 'Groundwater tax' },
  { taxType: 'pbb_p2', subtype: 'njop_up_to_1_billion', basisPoints: 10, base: 'taxable NJOP up to Rp1 billion', selfAssessed: false, description: 'Rural and urban land and building tax, assessed yearly by the city' },
  { taxType: 'pbb_p2', subtype: 'njop_above_1_billion', basisPoints: 20, base: 'taxable NJOP above Rp1 billion', selfAssessed: false, description: 'Rural and urban land and building tax, assessed yearly by the city' },
  { taxType: 'bphtb', subtype: 'standard', basisPoints: 500, base: 'acquisition value of land and buildings', selfAssessed: false, description: 'Duty on the acquisition of land and building rights, paid per transaction' },
] satisfies TaxRate[]);

export function isTaxType(value: unknown): value is TaxType {
  return typeof value === 'string' && (TAX_TYPES as readonly string[]).includes(value);
}

export function isTaxSubtype(value: unknown): value is TaxSubtype {
  return typeof value === 'string' && (TAX_SUBTYPES as readonly string[]).includes(value);
}

/** The subtypes a tax type has in the rate table, e.g. the seven PBJT services. */
export function subtypesOf(taxType: TaxType): TaxSubtype[] {
  return RATE_TABLE.filter((row) => row.taxType === taxType).map((row) => row.subtype);
}

/** The rate table row of a tax type and subtype; undefined when that pair is not a tax of the city. */
export function rateFor(taxType: TaxType, subtype: TaxSubtype): TaxRate | undefined {
  return RATE_TABLE.find((row) => row.taxType === taxType && row.subtype === subtype);
}

/** A rate in basis points as the fraction shown to callers, e.g. 1,000 as 0.1. */
export function rateFraction(basisPoints: number): number {
  return basisPoints / 10_000;
}

// ---------------------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------------------

/** The largest gross revenue one tax object may report for one month: a guard against typing errors. */
export const MAX_GROSS_REVENUE = 1_000_000_000_000;

/**
 * Tax due = gross revenue × rate, rounded to the nearest whole rupiah, halves up (the rupiah has no coins
 * below Rp1 in use and the SPTPD form asks for whole rupiah). Computed in integers: revenue × basis points
 * is exact below 2^53 for any revenue up to MAX_GROSS_REVENUE, and adding half the divisor before the
 * integer division rounds halves up without trusting a floating-point product such as 12,346 × 0.1
 * (which is 1,234.6000000000001).
 */
export function taxDue(grossRevenue: number, basisPoints: number): number {
  if (!Number.isSafeInteger(grossRevenue) || grossRevenue < 0) {
    throw new RangeError(`Gross revenue must be a non-negative whole number of rupiah, received ${grossRevenue}.`);
  }
  if (!Number.isInteger(basisPoints) || basisPoints < 0) {
    throw new RangeError(`A rate must be a non-negative whole number of basis points, received ${basisPoints}.`);
  }
  return Math.floor((grossRevenue * basisPoints + 5_000) / 10_000);
}

/** Late-payment interest under HKPD: 1% of the tax due for each started month late, at most 24 months. */
export const LATE_INTEREST_PER_MONTH_BASIS_POINTS = 100;
export const LATE_INTEREST_MAX_MONTHS = 24;

/** Late-payment interest in whole rupiah, halves up, for a number of months late. */
export function lateInterest(taxDueAmount: number, monthsLate: number): number {
  const months = Math.min(Math.max(0, monthsLate), LATE_INTEREST_MAX_MONTHS);
  return taxDue(taxDueAmount, LATE_INTEREST_PER_MONTH_BASIS_POINTS * months);
}

// ---------------------------------------------------------------------------------------------------------
// Periods and deadlines
// ---------------------------------------------------------------------------------------------------------

/**
 * Deadlines are set in Western Indonesia Time (WIB, UTC+7), the city's clock: "by the 10th" means until
 * midnight in Kediri, which is 17:00 UTC on the 10th.
 */
const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface Period {
  year: number;
  /** 1 to 12. */
  month: number;
}

/** Parses "YYYY-MM"; undefined when the text is not a month. */
export function parsePeriod(text: unknown): Period | undefined {
  if (typeof text !== 'string') return undefined;
  const match = PERIOD_PATTERN.exec(text);
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]) };
}

export function formatPeriod(period: Period): string {
  return `${period.year}-${String(period.month).padStart(2, '0')}`;
}

/** The period of the month that contains an instant, on the city's clock. */
export function periodOf(instant: Date): Period {
  const day = kediriDay(instant);
  return { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1 };
}

/** The instant a day begins in Kediri; `month` counts from 1 and may run past 12 into later years. */
function startOfDayWib(year: number, month: number, day: number): Date {
  return startOfKediriDay(new Date(Date.UTC(year, month - 1, day)));
}

/** The instant the period's month ends in Kediri: reports cannot be filed before the month is over. */
export function periodEnd(period: Period): Date {
  return startOfDayWib(period.year, period.month + 1, 1);
}

/**
 * The SPTPD is due by the 10th of the month after the period, inclusive. Returns the first instant that
 * is too late (00:00 WIB on the 11th), so "on time" is `filedAt < filingDeadline`.
 */
export function filingDeadline(period: Period): Date {
  return startOfDayWib(period.year, period.month + 1, 11);
}

export function filedOnTime(period: Period, filedAt: Date): boolean {
  return filedAt.getTime() < filingDeadline(period).getTime();
}

/**
 * The tax must be paid by the end of the month after the period (the city's rule). It is later than the
 * filing deadline because a report must be verified before it can be paid, and verification takes days.
 * Returns the first instant that is too late (00:00 WIB on the 1st of the second month after the period).
 */
export function paymentDeadline(period: Period): Date {
  return startOfDayWib(period.year, period.month + 2, 1);
}

/**
 * Months late for the interest: each started calendar month after the payment deadline counts in full.
 * Paying on the deadline's first day late is one month; a payment in time is zero.
 */
export function monthsLate(period: Period, paidAt: Date): number {
  const deadline = paymentDeadline(period);
  if (paidAt.getTime() < deadline.getTime()) return 0;
  const paid = periodOf(paidAt);
  const due = periodOf(deadline);
  return (paid.year * 12 + paid.month) - (due.year * 12 + due.month) + 1;
}

/** What a payment on `paidAt` must be: the tax due plus any late-payment interest. */
export function amountOwed(period: Period, taxDueAmount: number, paidAt: Date): {
  taxDue: number;
  lateInterest: number;
  monthsLate: number;
  total: number;
} {
  const months = Math.min(monthsLate(period, paidAt), LATE_INTEREST_MAX_MONTHS);
  const interest = lateInterest(taxDueAmount, months);
  return { taxDue: taxDueAmount, lateInterest: interest, monthsLate: months, total: taxDueAmount + interest };
}

// ---------------------------------------------------------------------------------------------------------
// The status flow of a report
// ---------------------------------------------------------------------------------------------------------

/**
 * draft (started in e-SPTPD, not yet sent) → submitted (filed with the agency) → verified (checked by staff)
 * → paid. Filing late is not a status: a late report goes through the same steps, flagged `filedOnTime`.
 */
export const REPORT_STATUSES = ['draft', 'submitted', 'verified', 'paid'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export type ReportAction = 'submit' | 'verify' | 'pay';

const ACTION_FLOW: Record<ReportAction, { from: ReportStatus; to: ReportStatus }> = {
  submit: { from: 'draft', to: 'submitted' },
  verify: { from: 'submitted', to: 'verified' },
  pay: { from: 'verified', to: 'paid' },
};

export type TransitionPlan =
  /** Apply the action: the report moves from `from` to `to`. */
  | { kind: 'apply'; from: ReportStatus; to: ReportStatus }
  /** The action was already applied (a retry): answer with the report as it is, change nothing. */
  | { kind: 'already'; status: ReportStatus }
  /** The action is not allowed from the current status; `expected` is the status it needs. */
  | { kind: 'refused'; status: ReportStatus; expected: ReportStatus };

/**
 * Decides what an action does to a report in a given status. An action already applied is reported as
 * such rather than refused, so that a retried verification is safe. Paying is the exception: a second
 * payment is recognised by its billing code, never by the status, so paying a paid report is refused.
 */
export function planTransition(status: ReportStatus, action: ReportAction): TransitionPlan {
  const { from, to } = ACTION_FLOW[action];
  if (status === from) return { kind: 'apply', from, to };
  const reached = REPORT_STATUSES.indexOf(status) >= REPORT_STATUSES.indexOf(to);
  if (reached && action !== 'pay') return { kind: 'already', status };
  return { kind: 'refused', status, expected: from };
}

// ---------------------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------------------

export const TAXPAYER_TYPES = ['individual', 'business'] as const;
export type TaxpayerType = (typeof TAXPAYER_TYPES)[number];

/**
 * NPWPD, the regional taxpayer number: "P.<1 individual | 2 business>.<7-digit serial>.<kecamatan>.<kelurahan>",
 * e.g. P.2.0000123.02.08 for a business in kelurahan 35.71.02.1008. The last two groups are the last two
 * digits of the kecamatan and kelurahan codes of the taxpayer's address at registration.
 */
export const NPWPD_PATTERN = /^P\.[12]\.\d{7}\.0[1-3]\.\d{2}$/;

export function formatNpwpd(type: TaxpayerType, serial: number, kelurahanCode: string): string {
  const kind = type === 'individual' ? '1' : '2';
  const kecamatan = kelurahanCode.slice(6, 8);
  const kelurahan = kelurahanCode.slice(-2);
  return `P.${kind}.${String(serial).padStart(7, '0')}.${kecamatan}.${kelurahan}`;
}

/** NIB, the business identification number of the national OSS licensing system: 13 digits. */
export const BUSINESS_ID_PATTERN = /^\d{13}$/;

/** A billing code (kode bayar) of the regional treasury: 18 digits beginning with the city's region code. */
export const BILLING_CODE_PATTERN = /^3571\d{14}$/;

export const PAYMENT_CHANNELS = ['bank_jatim', 'qris', 'teller', 'virtual_account'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];
