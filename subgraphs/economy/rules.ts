import { badUserInput, conflict } from '../../platform/errors';
import { addDays, isoDay, kediriDay, startOfKediriDay, todayInKediri } from '../kit/calendar';
import { ageOn } from '../kit/residents';
import { requirePastDate } from '../kit/validate';

/**
 * The rules of Program Kurnia (Kredit Usaha Melayani Warga), Perwali 49/2020, as pure functions so that
 * every amount can be tested to the rupiah without a database.
 *
 * Loans carry 2% interest a year over a tenor of 3 years on a FLAT schedule, the usual for Indonesian
 * government micro-credit: the interest is charged on the original principal for the whole tenor, not on
 * the declining balance. For a principal P (whole rupiah):
 *
 * - total interest  = floor(P × 2% × 3 years), rounded down to the rupiah in the borrower's favour;
 * - 36 monthly instalments; the principal part of instalments 1–35 is floor(P / 36) and the 36th takes the
 *   remainder, so the parts add up to P exactly; the interest part is split the same way;
 * - instalment k is due k months after disbursal, on the disbursal day of the month (the month's last day
 *   when that month is shorter).
 *
 * Days are Kediri's (WIB, see kit/calendar.ts): the day of a disbursal, a repayment or a decision is the
 * calendar day in Kediri on which it happened, and a loan's standing "on a day" counts what was paid by the
 * end of that day in Kediri.
 *
 * Example: Rp5,000,000 costs Rp300,000 interest; instalments 1–35 are Rp147,221 (138,888 principal +
 * 8,333 interest) and the 36th is Rp147,265 (138,920 + 8,345); the borrower repays Rp5,300,000.
 */
export const KURNIA_RATE_PERCENT = 2;
export const KURNIA_TENOR_MONTHS = 36;
export const SCHEDULE_KIND = 'flat';

export const TIERS = ['micro_small_under_10m', 'micro_small_10_25m', 'cooperative'] as const;
export type KurniaTier = (typeof TIERS)[number];

export const APPLICATION_STATUSES = ['submitted', 'verified', 'approved', 'rejected', 'disbursed'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const BUSINESS_SECTORS = ['culinary', 'retail', 'crafts', 'fashion', 'services', 'agriculture', 'manufacturing'] as const;
export type BusinessSector = (typeof BUSINESS_SECTORS)[number];

export const COLLECTIBILITY = ['current', 'late', 'non_performing'] as const;
export type Collectibility = (typeof COLLECTIBILITY)[number];

/** From this amount up a business licence (NIB/IUMK) is required, whatever the tier. */
export const LICENCE_THRESHOLD = 10_000_000;
/** Borrowers are at most this old on the day they apply. */
export const MAX_BORROWER_AGE = 60;
/** A KTP is issued at 17; younger residents cannot sign a loan agreement. */
export const MIN_BORROWER_AGE = 17;
/** Past due by more than this many days makes a loan non-performing (OJK collectibility 3–5). */
export const NON_PERFORMING_AFTER_DAYS = 90;

/** The largest principal of any tier (a cooperative's), and so of any loan. */
export const MAX_PRINCIPAL = 100_000_000;

export interface TierCeiling {
  /** Smallest amount of the tier, included. */
  min: number;
  /** Largest amount of the tier, included. */
  max: number;
  description: string;
}

/** The amount band of each tier in rupiah: individuals below Rp10 million, Rp10–25 million; cooperatives up to Rp100 million. */
export const TIER_CEILINGS: Record<KurniaTier, TierCeiling> = {
  micro_small_under_10m: { min: 1, max: LICENCE_THRESHOLD - 1, description: 'below Rp10,000,000' },
  micro_small_10_25m: { min: LICENCE_THRESHOLD, max: 25_000_000, description: 'from Rp10,000,000 to Rp25,000,000' },
  cooperative: { min: 1, max: MAX_PRINCIPAL, description: 'at most Rp100,000,000' },
};

const DAY_MS = 86_400_000;

/**
 * Checks an amount against its tier's band and the licence rule. `field` is named when the amount is out of
 * band; `licenceField` when a licence is missing (the amount itself when approving, since the staff member
 * can still approve less than Rp10 million).
 */
export function checkAmountForTier(
  tier: KurniaTier,
  amount: number,
  hasBusinessLicence: boolean,
  field: string,
  licenceField = 'hasBusinessLicence',
): void {
  const band = TIER_CEILINGS[tier];
  if (amount < band.min || amount > band.max) {
    throw badUserInput(field, `an amount ${band.description} for tier ${tier}`, amount);
  }
  if (amount >= LICENCE_THRESHOLD && !hasBusinessLicence) {
    throw badUserInput(
      licenceField,
      `a business licence for amounts from Rp${LICENCE_THRESHOLD.toLocaleString('en-US')} (amount is Rp${amount.toLocaleString('en-US')})`,
      false,
    );
  }
}

/** The applicant's age on the application day when it is outside 17–60, otherwise null. */
export function ineligibleAge(birthDate: Date, appliedOn: Date): number | null {
  const age = ageOn(birthDate, appliedOn);
  return age < MIN_BORROWER_AGE || age > MAX_BORROWER_AGE ? age : null;
}

/** Borrowers are KTP holders aged at most 60 on the day they apply. */
export function checkBorrowerAge(birthDate: Date, appliedOn: Date, field = 'birthDate'): number {
  const age = ageOn(birthDate, appliedOn);
  if (ineligibleAge(birthDate, appliedOn) !== null) {
    throw badUserInput(
      field,
      `a borrower aged ${MIN_BORROWER_AGE} to ${MAX_BORROWER_AGE} on the application date ${isoDay(appliedOn)}`,
      `age ${age}`,
    );
  }
  return age;
}

/** The status changes an application may make; anything else is a CONFLICT. */
const TRANSITIONS: Record<ApplicationStatus, readonly ApplicationStatus[]> = {
  submitted: ['verified', 'rejected'],
  verified: ['approved', 'rejected'],
  approved: ['disbursed'],
  rejected: [],
  disbursed: [],
};

export function canTransition(from: ApplicationStatus, to: ApplicationStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function requireTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  if (!canTransition(from, to)) {
    const allowed = APPLICATION_STATUSES.filter((status) => TRANSITIONS[status].includes(to));
    throw conflict(
      `An application can become ${to} only from status ${allowed.join(' or ') || '(none)'}; this one is ${from}.`,
      'status',
    );
  }
}

export interface Instalment {
  /** 1 to 36. */
  number: number;
  dueDate: Date;
  principal: number;
  interest: number;
  amount: number;
}

export interface Schedule {
  principal: number;
  ratePercent: number;
  tenorMonths: number;
  totalInterest: number;
  totalRepayable: number;
  instalments: Instalment[];
}

/** Total flat interest in whole rupiah, rounded down; the rate is handled in basis points to stay exact. */
export function flatInterest(principal: number, ratePercent = KURNIA_RATE_PERCENT, tenorMonths = KURNIA_TENOR_MONTHS): number {
  const basisPoints = Math.round(ratePercent * 100);
  return Math.floor((principal * basisPoints * tenorMonths) / (10_000 * 12));
}

/** The most any one repayment can be: all a loan of the largest principal owes. */
export const MAX_REPAYABLE = MAX_PRINCIPAL + flatInterest(MAX_PRINCIPAL);

/**
 * A step's day may not come before the step it follows (verification before submission, a disbursal before
 * its approval, a repayment before its disbursal): `earlier` is when that step happened.
 */
export function requireNotBefore(day: Date, field: string, earlier: Date, what: string, given: unknown): void {
  const first = kediriDay(earlier);
  if (day.getTime() < first.getTime()) throw badUserInput(field, `a date not before ${what} on ${isoDay(first)}`, given);
}

/** The same day of the month `months` later, or that month's last day when it is shorter. */
export function addMonths(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)));
}

/** The full flat schedule of a loan disbursed on `disbursedAt`; every figure exact to the rupiah. */
export function flatSchedule(
  principal: number,
  disbursedAt: Date,
  ratePercent = KURNIA_RATE_PERCENT,
  tenorMonths = KURNIA_TENOR_MONTHS,
): Schedule {
  const totalInterest = flatInterest(principal, ratePercent, tenorMonths);
  const principalPart = Math.floor(principal / tenorMonths);
  const interestPart = Math.floor(totalInterest / tenorMonths);
  const start = kediriDay(disbursedAt);
  const instalments: Instalment[] = [];
  for (let number = 1; number <= tenorMonths; number += 1) {
    const last = number === tenorMonths;
    // The last instalment absorbs what floor() left over, so the parts add up to the totals exactly.
    const principalDue = last ? principal - principalPart * (tenorMonths - 1) : principalPart;
    const interestDue = last ? totalInterest - interestPart * (tenorMonths - 1) : interestPart;
    instalments.push({
      number,
      dueDate: addMonths(start, number),
      principal: principalDue,
      interest: interestDue,
      amount: principalDue + interestDue,
    });
  }
  return { principal, ratePercent, tenorMonths, totalInterest, totalRepayable: principal + totalInterest, instalments };
}

/**
 * The loan a disbursal records, from its application, the principal and the day: the flat schedule from
 * that day, and nothing repaid yet. The seed and the disbursal build their loans with it alike.
 */
export function loanAtDisbursal<Id>(
  application: { _id: Id; applicantId: Id; residentId: string; kelurahanCode: string; tier: KurniaTier },
  principal: number,
  disbursedAt: Date,
) {
  const schedule = flatSchedule(principal, disbursedAt);
  return {
    applicationId: application._id,
    applicantId: application.applicantId,
    residentId: application.residentId,
    kelurahanCode: application.kelurahanCode,
    tier: application.tier,
    principal,
    ratePercent: schedule.ratePercent,
    tenorMonths: schedule.tenorMonths,
    scheduleKind: SCHEDULE_KIND,
    totalInterest: schedule.totalInterest,
    disbursedAt,
    amountRepaid: 0,
    instalments: schedule.instalments,
  };
}

export interface Standing {
  /** The calendar day the standing is computed for. */
  asOf: Date;
  /** Sum of the instalments due on or before that day. */
  amountDue: number;
  /** Sum of the repayments made up to the end of that day. */
  amountRepaid: number;
  /** What remains to be repaid of principal and interest. */
  outstanding: number;
  /** Days since the oldest instalment not yet covered fell due; 0 when nothing is overdue. */
  daysPastDue: number;
  collectibility: Collectibility;
  /** True once the whole schedule is repaid. */
  settled: boolean;
}

/**
 * A loan's standing on a given day, OJK-style: repayments settle instalments oldest first; the oldest
 * instalment not fully covered and already due sets the days past due; 0 days is current, 1–90 late,
 * more than 90 non-performing.
 */
export function standingOn(
  instalments: readonly Pick<Instalment, 'dueDate' | 'amount'>[],
  repayments: readonly { amount: number; paidAt: Date }[],
  asOf: Date,
): Standing {
  const day = kediriDay(asOf);
  const endOfDay = startOfKediriDay(addDays(day, 1)).getTime();
  const amountRepaid = repayments.filter((r) => r.paidAt.getTime() < endOfDay).reduce((sum, r) => sum + r.amount, 0);
  return standingFromRepaid(instalments, amountRepaid, day);
}

/** The same as standingOn when the repaid total up to that day is already known (e.g. from an aggregation). */
export function standingFromRepaid(
  instalments: readonly Pick<Instalment, 'dueDate' | 'amount'>[],
  amountRepaid: number,
  asOf: Date,
): Standing {
  const day = kediriDay(asOf);
  let cumulative = 0;
  let amountDue = 0;
  let daysPastDue = 0;
  let uncoveredFound = false;
  for (const instalment of instalments) {
    cumulative += instalment.amount;
    const due = kediriDay(instalment.dueDate);
    if (due.getTime() <= day.getTime()) amountDue += instalment.amount;
    if (!uncoveredFound && cumulative > amountRepaid) {
      uncoveredFound = true;
      if (due.getTime() < day.getTime()) daysPastDue = Math.round((day.getTime() - due.getTime()) / DAY_MS);
    }
  }
  const total = cumulative;
  return {
    asOf: day,
    amountDue,
    amountRepaid,
    outstanding: Math.max(0, total - amountRepaid),
    daysPastDue,
    collectibility: collectibilityFor(daysPastDue),
    settled: amountRepaid >= total,
  };
}

export function collectibilityFor(daysPastDue: number): Collectibility {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= NON_PERFORMING_AFTER_DAYS) return 'late';
  return 'non_performing';
}

/**
 * A repayment may not take the loan past what is owed. What is owed is the loan's state, not the shape of
 * the argument, so more than the outstanding amount is a CONFLICT: the same amount was fine before another
 * receipt was recorded.
 */
export function checkRepaymentAmount(amount: number, outstanding: number): void {
  if (outstanding <= 0) {
    throw conflict('This loan is fully repaid; no further repayment can be recorded.', 'amount');
  }
  if (amount > outstanding) {
    throw conflict(
      `Rp${amount.toLocaleString('en-US')} is more than the Rp${outstanding.toLocaleString('en-US')} still owed on this loan; record at most that.`,
      'amount',
    );
  }
}

/**
 * The day a step of an application or loan was taken, as staff give it: a calendar date not after today in
 * Kediri (at 00:30 WIB it is already Kediri's new day), or today in Kediri when they leave it out.
 */
export function recordedDay(value: unknown, field: string, now: Date = new Date()): Date {
  return value === undefined || value === null ? todayInKediri(now) : requirePastDate(value, field, now);
}

/** The principal-weighted average rate of a set of loans, to two decimals; null when there are none. */
export function weightedRate(totalPrincipal: number, principalTimesRate: number): number | null {
  if (totalPrincipal <= 0) return null;
  return Math.round((principalTimesRate / totalPrincipal) * 100) / 100;
}
