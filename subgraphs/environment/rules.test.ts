import { afterEach, describe, expect, it, vi } from 'vitest';
import { kediriDay } from '../kit/calendar';
import { readRegistration } from './mutations/membership';
import { readDeposit, readWithdrawal } from './mutations/savings';
import {
  balanceAfterPayout,
  isActiveAtYearEnd,
  isActiveOn,
  isMemberDuring,
  isMemberOn,
  lineValue,
  priceDeposit,
  priceOn,
  requireDepositLines,
  requireGrams,
  statusFromPeriods,
  tonnesFromGrams,
  tonnesFromKg,
  type DatedPrice,
} from './rules';

const day = (text: string) => new Date(`${text}T00:00:00Z`);

/** Expects an error with this code naming `field`. */
function expectError(code: 'BAD_USER_INPUT' | 'CONFLICT', run: () => unknown, field: string, message?: RegExp) {
  try {
    run();
  } catch (error: any) {
    expect(error.extensions, error.message).toMatchObject({ code, field });
    if (message) expect(error.message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code} on ${field}, but nothing was thrown`);
}

const expectBadInput = (run: () => unknown, field: string, message?: RegExp) => expectError('BAD_USER_INPUT', run, field, message);

/** The lines of a weigh-in as a staff member enters them, checked into whole grams. */
const weighed = (...lines: { category: string; kg: number }[]) => requireDepositLines(lines);

const PET: DatedPrice[] = [
  { validFrom: day('2022-01-01'), pricePerKg: 3900 },
  { validFrom: day('2021-01-01'), pricePerKg: 3500 },
  { validFrom: day('2023-01-01'), pricePerKg: 4300 },
];
const PRICES = new Map<string, DatedPrice[]>([
  ['pet_bottle', PET],
  ['cardboard', [{ validFrom: day('2021-01-01'), pricePerKg: 1000 }, { validFrom: day('2023-07-01'), pricePerKg: 1400 }]],
  ['glass', [{ validFrom: day('2024-01-01'), pricePerKg: 450 }]],
]);

describe('the price valid on a date', () => {
  it('takes the latest validFrom on or before the date, whatever the list order', () => {
    expect(priceOn(PET, day('2021-06-30'))).toBe(3500);
    expect(priceOn(PET, day('2022-12-31'))).toBe(3900);
    expect(priceOn(PET, new Date('2023-01-01T00:00:00Z'))).toBe(4300);
    expect(priceOn(PET, new Date('2022-12-31T23:59:59Z'))).toBe(3900);
  });

  it('has no price before the list starts', () => {
    expect(priceOn(PET, day('2020-12-31'))).toBeUndefined();
    expect(priceOn([], day('2023-01-01'))).toBeUndefined();
  });
});

describe('the value of a deposit line: kg × price, rounded to the rupiah', () => {
  it('rounds halves up, computed in whole grams', () => {
    // 2.345 kg × Rp3,500 = Rp8,207.5 exactly, which a double would give as 8207.499…
    expect(lineValue(requireGrams(2.345, 'kg'), 3500)).toBe(8208);
    expect(lineValue(requireGrams(1.001, 'kg'), 1700)).toBe(1702); // 1,701.7
    expect(lineValue(requireGrams(0.001, 'kg'), 300)).toBe(0); // 0.3
    expect(lineValue(requireGrams(12.5, 'kg'), 4300)).toBe(53750);
  });

  it('prices each line at the date and sums weight and value', () => {
    const priced = priceDeposit(weighed({ category: 'pet_bottle', kg: 2.345 }, { category: 'cardboard', kg: 10.1 }), PRICES, day('2023-07-01'));
    expect(priced.lines).toEqual([
      { category: 'pet_bottle', kg: 2.345, pricePerKg: 4300, value: 10084 }, // 10,083.5
      { category: 'cardboard', kg: 10.1, pricePerKg: 1400, value: 14140 },
    ]);
    expect(priced.totalKg).toBe(12.445);
    expect(priced.totalValue).toBe(24224);
  });

  it('uses the earlier price the day before a change', () => {
    const priced = priceDeposit(weighed({ category: 'cardboard', kg: 3 }), PRICES, day('2023-06-30'));
    expect(priced.lines[0]).toMatchObject({ pricePerKg: 1000, value: 3000 });
  });

  it('prices a weigh-in on its day in Kediri: 06:00 WIB on 1 July is 23:00 UTC on 30 June', () => {
    const priced = priceDeposit(weighed({ category: 'cardboard', kg: 3 }), PRICES, kediriDay(new Date('2023-06-30T23:00:00Z')));
    expect(priced.lines[0]).toMatchObject({ pricePerKg: 1400, value: 4200 });
  });

  it('refuses a category with no price yet on that date, naming the line', () => {
    expectBadInput(
      () => priceDeposit(weighed({ category: 'pet_bottle', kg: 1 }, { category: 'glass', kg: 4 }), PRICES, day('2023-05-01')),
      'lines[1].category',
      /price valid on 2023-05-01/,
    );
  });

  it('refuses an unknown or repeated category, naming the line', () => {
    expectBadInput(() => priceDeposit(weighed({ category: 'tyres', kg: 1 }), PRICES, day('2023-05-01')), 'lines[0].category', /tyres/);
    expectBadInput(() => weighed({ category: 'pet_bottle', kg: 1 }, { category: 'pet_bottle', kg: 2 }), 'lines[1].category');
    expectBadInput(() => weighed({ category: 'pet_bottle', kg: 1 }, { category: 'Not A Code', kg: 2 }), 'lines[1].category');
    expectBadInput(() => weighed({ category: 'pet_bottle', kg: 1.2345 }), 'lines[0].kg');
  });

  it('refuses an empty deposit or more than 20 lines', () => {
    expectBadInput(() => requireDepositLines([]), 'lines');
    expectBadInput(() => requireDepositLines(null), 'lines');
    const many = Array.from({ length: 21 }, (_, i) => ({ category: `cat_${String.fromCharCode(97 + i)}`, kg: 1 }));
    expectBadInput(() => requireDepositLines(many), 'lines');
  });
});

describe('weights', () => {
  it('accepts more than 0 kg with at most 3 decimals', () => {
    expect(requireGrams(0.001, 'kg')).toBe(1);
    expect(requireGrams(4.1, 'kg')).toBe(4100);
    expect(requireGrams(1000, 'kg')).toBe(1_000_000);
  });

  it('refuses zero, negative, too many decimals and absurd weights', () => {
    expectBadInput(() => requireGrams(0, 'lines[0].kg'), 'lines[0].kg');
    expectBadInput(() => requireGrams(-2, 'lines[0].kg'), 'lines[0].kg');
    expectBadInput(() => requireGrams(1.2345, 'lines[2].kg'), 'lines[2].kg', /3 decimals/);
    expectBadInput(() => requireGrams(0.0004, 'kg'), 'kg');
    expectBadInput(() => requireGrams(1000.001, 'kg'), 'kg');
    expectBadInput(() => requireGrams(Number.NaN, 'kg'), 'kg');
  });
});

describe('balances and withdrawals', () => {
  const payout = (amount: unknown) =>
    readWithdrawal({ memberId: '0123456789abcdef01234567', amount: amount as number, kind: 'cash', idempotencyKey: 'payout-0001' });

  it('leaves the savings minus the payout', () => {
    expect(balanceAfterPayout(125_400, 100_000)).toBe(25_400);
    expect(balanceAfterPayout(0, 0)).toBe(0);
  });

  it('allows up to the whole balance', () => {
    expect(balanceAfterPayout(25_400, 25_400)).toBe(0);
    expect(balanceAfterPayout(25_400, 1)).toBe(25_399);
    expect(payout(25_400).amount).toBe(25_400);
  });

  it('refuses beyond the balance with CONFLICT, stating the balance', () => {
    expectError('CONFLICT', () => balanceAfterPayout(25_400, 25_401), 'amount', /balance of Rp25400/);
  });

  it('refuses fractions of a rupiah, zero, negatives and absurd amounts', () => {
    expectBadInput(() => payout(100.5), 'amount');
    expectBadInput(() => payout(0), 'amount');
    expectBadInput(() => payout(-5), 'amount');
    expectBadInput(() => payout(200_000_000), 'amount');
    expectBadInput(() => readWithdrawal({ memberId: 'nobody', amount: 1000, kind: 'cash', idempotencyKey: 'payout-0001' }), 'memberId');
    expectBadInput(() => readWithdrawal({ memberId: '0123456789abcdef01234567', amount: 1000, kind: 'gold' as never, idempotencyKey: 'payout-0001' }), 'kind');
  });
});

describe('waste bank status over time', () => {
  const periods = [
    { from: day('2019-03-01'), until: day('2021-06-01') },
    { from: day('2022-02-01'), until: null },
  ];

  it('is active on days inside a period, not on the day a period ends', () => {
    expect(isActiveOn(periods, day('2019-03-01'))).toBe(true);
    expect(isActiveOn(periods, day('2021-05-31'))).toBe(true);
    expect(isActiveOn(periods, day('2021-06-01'))).toBe(false);
    expect(isActiveOn(periods, day('2022-01-31'))).toBe(false);
    expect(isActiveOn(periods, day('2030-01-01'))).toBe(true);
  });

  it('counts a year as active when the bank is active at its end', () => {
    expect(isActiveAtYearEnd(periods, 2020)).toBe(true);
    expect(isActiveAtYearEnd(periods, 2021)).toBe(false);
    expect(isActiveAtYearEnd(periods, 2022)).toBe(true);
    expect(isActiveAtYearEnd([{ from: day('2023-03-01'), until: day('2024-01-01') }], 2023)).toBe(true);
    expect(isActiveAtYearEnd([{ from: day('2023-03-01'), until: day('2023-12-31') }], 2023)).toBe(false);
  });

  it('takes today’s status from the last period', () => {
    expect(statusFromPeriods(periods)).toBe('active');
    expect(statusFromPeriods(periods.slice(0, 1))).toBe('inactive');
    expect(statusFromPeriods([])).toBe('inactive');
  });
});

describe('membership in a year and on a day', () => {
  it('counts memberships that overlap the calendar year', () => {
    expect(isMemberDuring(day('2023-12-31'), null, 2023)).toBe(true);
    expect(isMemberDuring(day('2024-01-01'), null, 2023)).toBe(false);
    expect(isMemberDuring(day('2020-01-01'), day('2023-01-01'), 2023)).toBe(true);
    expect(isMemberDuring(day('2020-01-01'), day('2022-12-31'), 2023)).toBe(false);
  });

  it('covers the days from joining to the day before leaving', () => {
    expect(isMemberOn(day('2023-03-01'), null, day('2023-03-01'))).toBe(true);
    expect(isMemberOn(day('2023-03-01'), null, day('2023-02-28'))).toBe(false);
    expect(isMemberOn(day('2023-03-01'), day('2023-09-01'), day('2023-08-31'))).toBe(true);
    expect(isMemberOn(day('2023-03-01'), day('2023-09-01'), day('2023-09-01'))).toBe(false);
  });
});

describe('dates and keys of a weigh-in and a registration', () => {
  const deposit = (change: Record<string, unknown>, now?: Date) =>
    readDeposit(
      { memberId: '0123456789abcdef01234567', depositedAt: '2023-03-05T08:30:00+07:00', lines: [{ category: 'paper', kg: 1 }], idempotencyKey: 'weigh-2024-0001', ...change },
      now,
    );
  const registration = (change: Record<string, unknown>) =>
    readRegistration({ nik: '3571010101900001', name: '  Siti   Rahayu ', wasteBankCode: 'BS-0105-002', joinedOn: '2023-03-05', ...change });

  it('reads a weigh-in as an instant with its zone, counted on its day in Kediri', () => {
    expect(deposit({}).depositedAt.toISOString()).toBe('2023-03-05T01:30:00.000Z');
    const late = deposit({ depositedAt: '2023-03-05T18:30Z' });
    expect(late.depositedAt.toISOString()).toBe('2023-03-05T18:30:00.000Z');
    expect(late.day.toISOString()).toBe('2023-03-06T00:00:00.000Z');
  });

  it('reads the day a member joined as a calendar day, and the name without stray spaces', () => {
    expect(registration({})).toMatchObject({ joinedAt: day('2023-03-05'), name: 'Siti Rahayu', wasteBankCode: 'BS-0105-002' });
  });

  it('refuses impossible days, zone-less times, bare days and non-dates for a weigh-in', () => {
    expectBadInput(() => deposit({ depositedAt: '2023-02-30T08:30:00+07:00' }), 'depositedAt');
    expectBadInput(() => deposit({ depositedAt: '2023-03-05T08:30:00' }), 'depositedAt', /offset/);
    expectBadInput(() => deposit({ depositedAt: '2023-03-05' }), 'depositedAt');
    expectBadInput(() => deposit({ depositedAt: '05/03/2023' }), 'depositedAt');
  });

  it('refuses a time with the joining day, and malformed codes and NIKs', () => {
    expectBadInput(() => registration({ joinedOn: '2023-03-05T08:30:00Z' }), 'joinedOn');
    expectBadInput(() => registration({ wasteBankCode: 'bank one' }), 'wasteBankCode');
    expectBadInput(() => registration({ nik: '12345' }), 'nik');
    expectBadInput(() => registration({ name: ' ' }), 'name');
  });

  it('refuses a weigh-in in the future beyond the five minutes a clock may run ahead', () => {
    const now = new Date('2024-05-01T00:00:00Z');
    expect(deposit({ depositedAt: '2024-05-01T00:04:00Z' }, now).depositedAt).toBeInstanceOf(Date);
    expectBadInput(() => deposit({ depositedAt: '2024-05-01T00:06:00Z' }, now), 'depositedAt');
  });

  it('accepts idempotency keys of 8 to 100 printable characters', () => {
    expect(deposit({ idempotencyKey: 'weigh-2024-0001' }).idempotencyKey).toBe('weigh-2024-0001');
    expectBadInput(() => deposit({ idempotencyKey: 'short' }), 'idempotencyKey');
    expectBadInput(() => deposit({ idempotencyKey: 'has a space in it' }), 'idempotencyKey');
  });
});

describe("Kediri's clock (WIB, UTC+7): at 00:30 WIB on 2 March it is already 2 March", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const at0030Wib = () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
  };

  it("accepts today's Kediri date as the day a member joined, and refuses tomorrow's", () => {
    at0030Wib();
    const registration = (joinedOn: string) =>
      readRegistration({ nik: '3571010101900001', name: 'Siti Rahayu', wasteBankCode: 'BS-0105-002', joinedOn });
    expect(registration('2025-03-02').joinedAt).toEqual(day('2025-03-02'));
    expectBadInput(() => registration('2025-03-03'), 'joinedOn', /2025-03-02/);
  });

  it("counts a weigh-in at 00:20 WIB on today's Kediri day, not on UTC's yesterday", () => {
    at0030Wib();
    const weighIn = readDeposit({
      memberId: '0123456789abcdef01234567',
      depositedAt: '2025-03-02T00:20:00+07:00',
      lines: [{ category: 'paper', kg: 1 }],
      idempotencyKey: 'weigh-2025-0302',
    });
    expect(weighIn.day).toEqual(day('2025-03-02'));
    expect(weighIn.depositedAt.getUTCDate()).toBe(1);
  });
});

describe('tonnes', () => {
  it('gives tonnes to the kilogram', () => {
    expect(tonnesFromKg(199_876.499)).toBe(199.876);
    expect(tonnesFromKg(199_876.5)).toBe(199.877);
    // A double-precision sum of gram-exact weights that fell just short of the half.
    expect(tonnesFromKg(199_876.49999999997)).toBe(199.877);
  });

  it('gives tonnes from whole grams to the kilogram, halves up', () => {
    expect(tonnesFromGrams(199_876_499)).toBe(199.876);
    expect(tonnesFromGrams(199_876_500)).toBe(199.877);
    expect(tonnesFromGrams(0)).toBe(0);
  });
});
