import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoDay } from '../kit/calendar';
import type { EconomyContext } from './loaders';
import { recordKurniaRepayment } from './mutations/loans';
import { submitKurniaApplication } from './mutations/applications';
import {
  addMonths,
  canTransition,
  checkAmountForTier,
  checkBorrowerAge,
  checkRepaymentAmount,
  collectibilityFor,
  flatInterest,
  flatSchedule,
  recordedDay,
  requireNotBefore,
  requireTransition,
  standingOn,
  weightedRate,
} from './rules';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

function codeOf(fn: () => unknown): { code?: string; field?: string } {
  try {
    fn();
  } catch (error) {
    return (error as { extensions: { code?: string; field?: string } }).extensions;
  }
  throw new Error('expected the call to throw');
}

describe('flat schedule at 2% a year over 36 months, to the rupiah', () => {
  // Each case: principal, total interest, regular instalment parts (1–35) and the 36th instalment's parts.
  const cases = [
    { principal: 5_000_000, interest: 300_000, regular: [138_888, 8_333, 147_221], last: [138_920, 8_345, 147_265] },
    { principal: 25_000_000, interest: 1_500_000, regular: [694_444, 41_666, 736_110], last: [694_460, 41_690, 736_150] },
    {
      principal: 100_000_000,
      interest: 6_000_000,
      regular: [2_777_777, 166_666, 2_944_443],
      last: [2_777_805, 166_690, 2_944_495],
    },
    // 7,777,777 × 6% = 466,666.62: the interest is rounded down to the rupiah, in the borrower's favour.
    { principal: 7_777_777, interest: 466_666, regular: [216_049, 12_962, 229_011], last: [216_062, 12_996, 229_058] },
  ];

  for (const c of cases) {
    it(`Rp${c.principal.toLocaleString('en-US')}`, () => {
      const schedule = flatSchedule(c.principal, day('2023-03-15'));
      expect(schedule.totalInterest).toBe(c.interest);
      expect(schedule.totalRepayable).toBe(c.principal + c.interest);
      expect(schedule.instalments).toHaveLength(36);
      for (const instalment of schedule.instalments.slice(0, 35)) {
        expect([instalment.principal, instalment.interest, instalment.amount]).toEqual(c.regular);
      }
      const last = schedule.instalments[35];
      expect([last.principal, last.interest, last.amount]).toEqual(c.last);
      const sum = (key: 'principal' | 'interest' | 'amount') => schedule.instalments.reduce((s, i) => s + i[key], 0);
      expect(sum('principal')).toBe(c.principal);
      expect(sum('interest')).toBe(c.interest);
      expect(sum('amount')).toBe(c.principal + c.interest);
    });
  }

  it('numbers instalments 1 to 36 and dues them monthly on the disbursal day', () => {
    const schedule = flatSchedule(5_000_000, new Date('2023-03-15T10:45:00Z'));
    expect(schedule.instalments.map((i) => i.number)).toEqual(Array.from({ length: 36 }, (_, k) => k + 1));
    expect(schedule.instalments[0].dueDate.toISOString()).toBe('2023-04-15T00:00:00.000Z');
    expect(schedule.instalments[9].dueDate.toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(schedule.instalments[35].dueDate.toISOString()).toBe('2026-03-15T00:00:00.000Z');
  });

  it('falls back to the last day of shorter months', () => {
    expect(addMonths(day('2023-01-31'), 1).toISOString()).toBe('2023-02-28T00:00:00.000Z');
    expect(addMonths(day('2023-01-31'), 13).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(addMonths(day('2023-01-31'), 2).toISOString()).toBe('2023-03-31T00:00:00.000Z');
    const schedule = flatSchedule(5_000_000, day('2023-01-31'));
    expect(schedule.instalments.slice(0, 3).map((i) => i.dueDate.toISOString().slice(0, 10))).toEqual([
      '2023-02-28',
      '2023-03-31',
      '2023-04-30',
    ]);
  });

  it('handles rates other than whole percents exactly, in basis points', () => {
    expect(flatInterest(10_000_000, 1.5, 36)).toBe(450_000);
    expect(flatInterest(10_000_001, 2, 36)).toBe(600_000);
  });
});

describe('tier ceilings and the licence rule', () => {
  it('accepts amounts inside each tier band', () => {
    expect(() => checkAmountForTier('micro_small_under_10m', 9_999_999, false, 'amount')).not.toThrow();
    expect(() => checkAmountForTier('micro_small_10_25m', 10_000_000, true, 'amount')).not.toThrow();
    expect(() => checkAmountForTier('micro_small_10_25m', 25_000_000, true, 'amount')).not.toThrow();
    expect(() => checkAmountForTier('cooperative', 100_000_000, true, 'amount')).not.toThrow();
    expect(() => checkAmountForTier('cooperative', 8_000_000, false, 'amount')).not.toThrow();
  });

  it('refuses amounts outside the band, naming the field', () => {
    expect(codeOf(() => checkAmountForTier('micro_small_under_10m', 10_000_000, true, 'approvedAmount'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'approvedAmount',
    });
    expect(codeOf(() => checkAmountForTier('micro_small_10_25m', 9_999_999, true, 'amount')).field).toBe('amount');
    expect(codeOf(() => checkAmountForTier('micro_small_10_25m', 25_000_001, true, 'amount')).field).toBe('amount');
    expect(codeOf(() => checkAmountForTier('cooperative', 100_000_001, true, 'amount')).field).toBe('amount');
  });

  it('requires a business licence from Rp10 million up', () => {
    expect(codeOf(() => checkAmountForTier('micro_small_10_25m', 10_000_000, false, 'amount'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'hasBusinessLicence',
    });
    expect(codeOf(() => checkAmountForTier('cooperative', 50_000_000, false, 'amount')).field).toBe('hasBusinessLicence');
  });
});

describe('borrower age', () => {
  it('allows 60 on the application day and refuses 61', () => {
    expect(checkBorrowerAge(day('1963-05-17'), day('2023-05-16'))).toBe(59);
    expect(checkBorrowerAge(day('1963-05-17'), day('2024-05-16'))).toBe(60);
    expect(codeOf(() => checkBorrowerAge(day('1963-05-17'), day('2024-05-17')))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'birthDate',
    });
  });

  it('refuses residents below KTP age', () => {
    expect(codeOf(() => checkBorrowerAge(day('2010-01-01'), day('2024-01-01'))).field).toBe('birthDate');
  });
});

describe('application status transitions', () => {
  it('follows submitted → verified → approved | rejected → disbursed', () => {
    expect(canTransition('submitted', 'verified')).toBe(true);
    expect(canTransition('submitted', 'rejected')).toBe(true);
    expect(canTransition('verified', 'approved')).toBe(true);
    expect(canTransition('verified', 'rejected')).toBe(true);
    expect(canTransition('approved', 'disbursed')).toBe(true);
    expect(canTransition('submitted', 'approved')).toBe(false);
    expect(canTransition('rejected', 'approved')).toBe(false);
    expect(canTransition('disbursed', 'rejected')).toBe(false);
  });

  it('answers a forbidden change with CONFLICT', () => {
    expect(codeOf(() => requireTransition('submitted', 'approved')).code).toBe('CONFLICT');
  });
});

describe('collectibility (OJK-style)', () => {
  const schedule = flatSchedule(5_000_000, day('2023-01-10'));
  const paid = (count: number) =>
    schedule.instalments.slice(0, count).map((i) => ({ amount: i.amount, paidAt: i.dueDate }));

  it('maps days past due to current, late and non-performing', () => {
    expect(collectibilityFor(0)).toBe('current');
    expect(collectibilityFor(1)).toBe('late');
    expect(collectibilityFor(90)).toBe('late');
    expect(collectibilityFor(91)).toBe('non_performing');
  });

  it('is current when every instalment due is paid, and on the due day itself', () => {
    const standing = standingOn(schedule.instalments, paid(3), day('2023-05-10'));
    expect(standing).toMatchObject({ daysPastDue: 0, collectibility: 'current', amountDue: 4 * 147_221 });
    expect(standing.amountRepaid).toBe(3 * 147_221);
    expect(standing.outstanding).toBe(5_300_000 - 3 * 147_221);
  });

  it('counts days from the oldest instalment not fully covered', () => {
    // Three instalments paid, the fourth (due 2023-05-10) partly paid: it is the one overdue.
    const repayments = [...paid(3), { amount: 100_000, paidAt: day('2023-05-10') }];
    expect(standingOn(schedule.instalments, repayments, day('2023-06-09'))).toMatchObject({
      daysPastDue: 30,
      collectibility: 'late',
    });
    expect(standingOn(schedule.instalments, repayments, day('2023-08-08'))).toMatchObject({
      daysPastDue: 90,
      collectibility: 'late',
    });
    expect(standingOn(schedule.instalments, repayments, day('2023-08-09'))).toMatchObject({
      daysPastDue: 91,
      collectibility: 'non_performing',
    });
  });

  it('ignores repayments made after the day asked about, but counts those made during it', () => {
    const repayments = [{ amount: 147_221, paidAt: new Date('2023-02-10T15:00:00Z') }];
    expect(standingOn(schedule.instalments, repayments, day('2023-02-10')).daysPastDue).toBe(0);
    expect(standingOn(schedule.instalments, repayments, day('2023-02-09')).amountRepaid).toBe(0);
  });

  it('is settled once the schedule is repaid', () => {
    const standing = standingOn(schedule.instalments, paid(36), day('2027-01-01'));
    expect(standing).toMatchObject({ settled: true, outstanding: 0, collectibility: 'current' });
  });

  it("refuses a repayment above the outstanding amount: the loan's state forbids it, a CONFLICT", () => {
    expect(() => checkRepaymentAmount(147_221, 147_221)).not.toThrow();
    expect(codeOf(() => checkRepaymentAmount(147_222, 147_221))).toEqual({ code: 'CONFLICT', field: 'amount' });
    expect(codeOf(() => checkRepaymentAmount(1, 0))).toEqual({ code: 'CONFLICT', field: 'amount' });
  });

  it("counts a repayment in the Kediri day it was made, up to 24:00 WIB", () => {
    // 16:59 UTC is 23:59 WIB on 10 February; 17:00 UTC is already 11 February in Kediri.
    const late = [{ amount: 147_221, paidAt: new Date('2023-02-10T16:59:00Z') }];
    const next = [{ amount: 147_221, paidAt: new Date('2023-02-10T17:00:00Z') }];
    expect(standingOn(schedule.instalments, late, day('2023-02-10')).amountRepaid).toBe(147_221);
    expect(standingOn(schedule.instalments, next, day('2023-02-10')).amountRepaid).toBe(0);
    expect(standingOn(schedule.instalments, next, day('2023-02-11')).amountRepaid).toBe(147_221);
  });
});

describe('the days staff give', () => {
  it('takes a calendar date, refusing impossible days, timestamps and other formats', () => {
    const now = new Date('2024-06-01T05:00:00Z');
    expect(recordedDay('2023-05-17', 'paidAt', now).toISOString()).toBe('2023-05-17T00:00:00.000Z');
    expect(codeOf(() => recordedDay('2023-02-30', 'paidAt', now))).toEqual({ code: 'BAD_USER_INPUT', field: 'paidAt' });
    expect(codeOf(() => recordedDay('2023-05-17T09:30:00Z', 'paidAt', now))).toEqual({ code: 'BAD_USER_INPUT', field: 'paidAt' });
    expect(codeOf(() => recordedDay('17/05/2023', 'paidAt', now)).field).toBe('paidAt');
  });

  it('refuses a step dated before the step it follows, by the Kediri day of that step', () => {
    // Submitted at 20:00 UTC on 4 March, which is 5 March 03:00 WIB: verifying on 4 March is too early.
    const submittedAt = new Date('2024-03-04T20:00:00Z');
    expect(() => requireNotBefore(day('2024-03-05'), 'verifiedAt', submittedAt, 'the submission', '2024-03-05')).not.toThrow();
    expect(codeOf(() => requireNotBefore(day('2024-03-04'), 'verifiedAt', submittedAt, 'the submission', '2024-03-04'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'verifiedAt',
    });
  });

  it('weights the rate by principal', () => {
    expect(weightedRate(0, 0)).toBeNull();
    expect(weightedRate(30_000_000, 10_000_000 * 2 + 20_000_000 * 3)).toBe(2.67);
  });
});

describe("Kediri's clock (WIB) decides what today is", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** 17:30 UTC on 1 March is 00:30 WIB on 2 March. */
  function halfPastMidnightInKediri() {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
  }

  it("accepts today's Kediri date and refuses tomorrow's at 00:30 WIB, and defaults to Kediri's today", () => {
    halfPastMidnightInKediri();
    expect(isoDay(recordedDay('2025-03-02', 'decidedAt'))).toBe('2025-03-02');
    expect(isoDay(recordedDay(undefined, 'decidedAt'))).toBe('2025-03-02');
    expect(isoDay(recordedDay(null, 'decidedAt'))).toBe('2025-03-02');
    expect(codeOf(() => recordedDay('2025-03-03', 'decidedAt'))).toEqual({ code: 'BAD_USER_INPUT', field: 'decidedAt' });
  });

  it('applies the same rule in the mutations, before any write unit starts', async () => {
    halfPastMidnightInKediri();
    const units: string[] = [];
    const ctx = {
      agency: 'economy',
      identity: { subject: 'test-staff', role: 'agency:economy' },
      secrets: { residentIdSecret: 'test-resident-secret-0123456789abcdef' },
      // No database: the unit below stands in for the write, so only the checks before it run.
      models: {},
      transaction: async () => {
        units.push('unit started');
        return 'reached the write unit';
      },
    } as unknown as EconomyContext;
    const repayment = { loanId: '0123456789abcdef01234567', amount: 147_221, reference: 'BJTM-WIB-0001' };
    await expect(recordKurniaRepayment({ ...repayment, paidAt: '2025-03-02' }, ctx)).resolves.toBe('reached the write unit');
    await expect(recordKurniaRepayment({ ...repayment, paidAt: '2025-03-03' }, ctx)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'paidAt' },
    });
    const application = {
      nik: '3571025506880007',
      name: 'Sri Wulandari',
      birthDate: '1988-06-15',
      kelurahanCode: '35.71.02.1006',
      businessName: 'Warung Pecel Sri',
      businessSector: 'culinary',
      hasBusinessLicence: false,
      tier: 'micro_small_under_10m',
      amountRequested: 5_000_000,
      idempotencyKey: 'wib-submit-0001',
    };
    await expect(submitKurniaApplication({ ...application, submittedAt: '2025-03-03' }, ctx)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'submittedAt' },
    });
    await expect(submitKurniaApplication({ ...application, submittedAt: '2025-03-02' }, ctx)).resolves.toBe('reached the write unit');
    expect(units).toEqual(['unit started', 'unit started']);
  });
});
