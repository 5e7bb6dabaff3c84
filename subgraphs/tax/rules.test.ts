import { describe, expect, it } from 'vitest';
import {
  amountOwed,
  filedOnTime,
  filingDeadline,
  formatNpwpd,
  lateInterest,
  monthsLate,
  NPWPD_PATTERN,
  parsePeriod,
  paymentDeadline,
  periodEnd,
  planTransition,
  rateFor,
  RATE_TABLE,
  subtypesOf,
  taxDue,
} from './rules';

describe('the rate table of Perda 6/2023', () => {
  it('holds the statutory rates in basis points', () => {
    const rates = Object.fromEntries(RATE_TABLE.map((row) => [`${row.taxType}/${row.subtype}`, row.basisPoints]));
    expect(rates).toEqual({
      'pbjt/food_beverage': 1000,
      'pbjt/hotel': 1000,
      'pbjt/parking': 1000,
      'pbjt/electricity': 300,
      'pbjt/electricity_own_generation': 150,
      'pbjt/arts_entertainment': 1000,
      'pbjt/special_entertainment': 4000,
      'advertising/standard': 2500,
      'groundwater/standard': 2000,
      'pbb_p2/njop_up_to_1_billion': 10,
      'pbb_p2/njop_above_1_billion': 20,
      'bphtb/standard': 500,
    });
  });

  it('keeps PBJT within the HKPD ceiling of 10% except special entertainment, which pays 40% to 75%', () => {
    for (const row of RATE_TABLE.filter((r) => r.taxType === 'pbjt')) {
      if (row.subtype === 'special_entertainment') {
        expect(row.basisPoints).toBeGreaterThanOrEqual(4000);
        expect(row.basisPoints).toBeLessThanOrEqual(7500);
      } else {
        expect(row.basisPoints).toBeLessThanOrEqual(1000);
      }
    }
  });

  it('marks PBB-P2 and BPHTB as not self-assessed, every other tax as filed monthly', () => {
    const notSelfAssessed = [...new Set(RATE_TABLE.filter((r) => !r.selfAssessed).map((r) => r.taxType))];
    expect(notSelfAssessed).toEqual(['pbb_p2', 'bphtb']);
  });

  it('finds a rate by type and subtype and refuses pairs that are not taxes of the city', () => {
    expect(rateFor('advertising', 'standard')?.basisPoints).toBe(2500);
    expect(rateFor('advertising', 'hotel')).toBeUndefined();
    expect(subtypesOf('pbjt')).toHaveLength(7);
  });
});

describe('tax due, to the rupiah', () => {
  it('applies the rate to the gross revenue', () => {
    expect(taxDue(25_000_000, 1000)).toBe(2_500_000);
    expect(taxDue(8_000_000, 2500)).toBe(2_000_000);
    expect(taxDue(12_345_678, 300)).toBe(370_370); // 370,370.34 rounds down
    expect(taxDue(3_000_000, 4000)).toBe(1_200_000);
  });

  it('rounds halves up and other fractions to the nearest rupiah', () => {
    expect(taxDue(15, 1000)).toBe(2); // 1.5 → 2
    expect(taxDue(14, 1000)).toBe(1); // 1.4 → 1
    expect(taxDue(1_234_567, 150)).toBe(18_519); // 18,518.505 → 18,519
    expect(taxDue(12_345, 1000)).toBe(1_235); // 1,234.5 → 1,235
  });

  it('is zero for a nil report and exact at the largest revenue allowed', () => {
    expect(taxDue(0, 1000)).toBe(0);
    expect(taxDue(1_000_000_000_000, 4000)).toBe(400_000_000_000);
  });

  it('refuses revenue that is negative or not whole rupiah', () => {
    expect(() => taxDue(-1, 1000)).toThrow(/non-negative whole number/);
    expect(() => taxDue(10.5, 1000)).toThrow(/non-negative whole number/);
  });
});

describe('periods and deadlines on Kediri time (WIB, UTC+7)', () => {
  const march2024 = parsePeriod('2024-03')!;

  it('parses only real months', () => {
    expect(parsePeriod('2024-03')).toEqual({ year: 2024, month: 3 });
    expect(parsePeriod('2024-13')).toBeUndefined();
    expect(parsePeriod('2024-3')).toBeUndefined();
    expect(parsePeriod(202403)).toBeUndefined();
  });

  it('ends the period at midnight WIB on the first of the next month', () => {
    expect(periodEnd(march2024).toISOString()).toBe('2024-03-31T17:00:00.000Z');
    expect(periodEnd(parsePeriod('2024-12')!).toISOString()).toBe('2024-12-31T17:00:00.000Z');
  });

  it('takes a report as on time up to the end of the 10th of the following month', () => {
    expect(filingDeadline(march2024).toISOString()).toBe('2024-04-10T17:00:00.000Z');
    expect(filedOnTime(march2024, new Date('2024-04-10T16:59:59.999Z'))).toBe(true);
    expect(filedOnTime(march2024, new Date('2024-04-10T17:00:00.000Z'))).toBe(false);
    // December's report is due on 10 January of the next year.
    expect(filingDeadline(parsePeriod('2024-12')!).toISOString()).toBe('2025-01-10T17:00:00.000Z');
  });

  it('sets the payment deadline at the end of the month after the period', () => {
    expect(paymentDeadline(march2024).toISOString()).toBe('2024-04-30T17:00:00.000Z');
    expect(paymentDeadline(parsePeriod('2024-11')!).toISOString()).toBe('2024-12-31T17:00:00.000Z');
  });
});

describe('late-payment interest: 1% a started month, at most 24 months', () => {
  const march2024 = parsePeriod('2024-03')!;

  it('counts each started calendar month after the payment deadline', () => {
    expect(monthsLate(march2024, new Date('2024-04-30T16:59:59Z'))).toBe(0);
    expect(monthsLate(march2024, new Date('2024-04-30T17:00:00Z'))).toBe(1); // 1 May 00:00 WIB
    expect(monthsLate(march2024, new Date('2024-05-31T16:59:59Z'))).toBe(1);
    expect(monthsLate(march2024, new Date('2024-06-01T00:00:00Z'))).toBe(2);
  });

  it('computes the amount owed to the rupiah', () => {
    expect(amountOwed(march2024, 2_500_000, new Date('2024-04-15T03:00:00Z'))).toEqual({
      taxDue: 2_500_000,
      lateInterest: 0,
      monthsLate: 0,
      total: 2_500_000,
    });
    expect(amountOwed(march2024, 2_500_000, new Date('2024-06-20T03:00:00Z'))).toEqual({
      taxDue: 2_500_000,
      lateInterest: 50_000,
      monthsLate: 2,
      total: 2_550_000,
    });
    expect(lateInterest(123_450, 1)).toBe(1_235); // 1,234.5 rounds half up
  });

  it('stops at 24 months', () => {
    const owed = amountOwed(march2024, 1_000_000, new Date('2030-01-15T00:00:00Z'));
    expect(owed.monthsLate).toBe(24);
    expect(owed.lateInterest).toBe(240_000);
    expect(owed.total).toBe(1_240_000);
  });
});

describe('the status flow draft → submitted → verified → paid', () => {
  it('applies each action only from the status before it', () => {
    expect(planTransition('draft', 'submit')).toEqual({ kind: 'apply', from: 'draft', to: 'submitted' });
    expect(planTransition('submitted', 'verify')).toEqual({ kind: 'apply', from: 'submitted', to: 'verified' });
    expect(planTransition('verified', 'pay')).toEqual({ kind: 'apply', from: 'verified', to: 'paid' });
  });

  it('refuses to verify a draft or pay an unverified report, naming the status needed', () => {
    expect(planTransition('draft', 'verify')).toEqual({ kind: 'refused', status: 'draft', expected: 'submitted' });
    expect(planTransition('submitted', 'pay')).toEqual({ kind: 'refused', status: 'submitted', expected: 'verified' });
    expect(planTransition('draft', 'pay')).toEqual({ kind: 'refused', status: 'draft', expected: 'verified' });
  });

  it('treats a repeated submit or verify as already done, so retries are safe', () => {
    expect(planTransition('verified', 'verify')).toEqual({ kind: 'already', status: 'verified' });
    expect(planTransition('paid', 'verify')).toEqual({ kind: 'already', status: 'paid' });
    expect(planTransition('submitted', 'submit')).toEqual({ kind: 'already', status: 'submitted' });
  });

  it('never pays a paid report twice: a repeated payment is recognised by its billing code instead', () => {
    expect(planTransition('paid', 'pay')).toEqual({ kind: 'refused', status: 'paid', expected: 'verified' });
  });
});

describe('identifiers', () => {
  it('formats an NPWPD from the type, a serial and the kelurahan', () => {
    expect(formatNpwpd('business', 123, '35.71.02.1008')).toBe('P.2.0000123.02.08');
    expect(formatNpwpd('individual', 9_876_543, '35.71.03.1015')).toBe('P.1.9876543.03.15');
    expect(NPWPD_PATTERN.test(formatNpwpd('business', 1, '35.71.01.1001'))).toBe(true);
  });
});
