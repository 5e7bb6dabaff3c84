import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  isActiveAtYearEnd,
  isActiveOn,
  isMemberDuring,
  lineValue,
  parseIsoInstant,
  priceDeposit,
  priceOn,
  requireGrams,
  requireIdempotencyKey,
  requireNotFuture,
  requireWithdrawalAmount,
  statusFromPeriods,
  tonnesFromKg,
  type DatedPrice,
} from './rules';

const day = (text: string) => new Date(`${text}T00:00:00Z`);

/** Expects a BAD_USER_INPUT naming `field`. */
function expectBadInput(run: () => unknown, field: string, message?: RegExp) {
  try {
    run();
  } catch (error: any) {
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    if (message) expect(error.message).toMatch(message);
    return;
  }
  throw new Error(`expected BAD_USER_INPUT on ${field}, but nothing was thrown`);
}

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
    const priced = priceDeposit(
      [
        { category: 'pet_bottle', kg: 2.345 },
        { category: 'cardboard', kg: 10.1 },
      ],
      PRICES,
      new Date('2023-07-01T01:30:00Z'),
    );
    expect(priced.lines).toEqual([
      { category: 'pet_bottle', kg: 2.345, pricePerKg: 4300, value: 10084 }, // 10,083.5
      { category: 'cardboard', kg: 10.1, pricePerKg: 1400, value: 14140 },
    ]);
    expect(priced.totalKg).toBe(12.445);
    expect(priced.totalValue).toBe(24224);
  });

  it('uses the earlier price the day before a change', () => {
    const priced = priceDeposit([{ category: 'cardboard', kg: 3 }], PRICES, new Date('2023-06-30T23:00:00Z'));
    expect(priced.lines[0]).toMatchObject({ pricePerKg: 1000, value: 3000 });
  });

  it('refuses a category with no price yet on that date, naming the line', () => {
    expectBadInput(
      () => priceDeposit([{ category: 'pet_bottle', kg: 1 }, { category: 'glass', kg: 4 }], PRICES, day('2023-05-01')),
      'lines[1].category',
      /price valid on 2023-05-01/,
    );
  });

  it('refuses an unknown or repeated category, naming the line', () => {
    expectBadInput(() => priceDeposit([{ category: 'tyres', kg: 1 }], PRICES, day('2023-05-01')), 'lines[0].category', /tyres/);
    expectBadInput(
      () => priceDeposit([{ category: 'pet_bottle', kg: 1 }, { category: 'pet_bottle', kg: 2 }], PRICES, day('2023-05-01')),
      'lines[1].category',
    );
  });

  it('refuses an empty deposit or more than 20 lines', () => {
    expectBadInput(() => priceDeposit([], PRICES, day('2023-05-01')), 'lines');
    const many = Array.from({ length: 21 }, () => ({ category: 'pet_bottle', kg: 1 }));
    expectBadInput(() => priceDeposit(many, PRICES, day('2023-05-01')), 'lines');
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
  it('is deposits minus withdrawals', () => {
    expect(balanceOf(125_400, 100_000)).toBe(25_400);
    expect(balanceOf(0, 0)).toBe(0);
  });

  it('allows up to the whole balance', () => {
    expect(requireWithdrawalAmount(25_400, 25_400)).toBe(25_400);
    expect(requireWithdrawalAmount(1, 25_400)).toBe(1);
  });

  it('refuses beyond the balance, stating the balance', () => {
    expectBadInput(() => requireWithdrawalAmount(25_401, 25_400), 'amount', /balance of Rp25400/);
  });

  it('refuses fractions of a rupiah, zero, negatives and absurd amounts', () => {
    expectBadInput(() => requireWithdrawalAmount(100.5, 1000), 'amount');
    expectBadInput(() => requireWithdrawalAmount(0, 1000), 'amount');
    expectBadInput(() => requireWithdrawalAmount(-5, 1000), 'amount');
    expectBadInput(() => requireWithdrawalAmount(200_000_000, 500_000_000), 'amount');
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

describe('membership in a year', () => {
  it('counts memberships that overlap the calendar year', () => {
    expect(isMemberDuring(day('2023-12-31'), null, 2023)).toBe(true);
    expect(isMemberDuring(day('2024-01-01'), null, 2023)).toBe(false);
    expect(isMemberDuring(day('2020-01-01'), day('2023-01-01'), 2023)).toBe(true);
    expect(isMemberDuring(day('2020-01-01'), day('2022-12-31'), 2023)).toBe(false);
  });
});

describe('dates, keys and tonnes', () => {
  it('reads days as 00:00 UTC and date-times with their zone', () => {
    expect(parseIsoInstant('2023-03-05', 'd').toISOString()).toBe('2023-03-05T00:00:00.000Z');
    expect(parseIsoInstant('2023-03-05T08:30:00+07:00', 'd').toISOString()).toBe('2023-03-05T01:30:00.000Z');
    expect(parseIsoInstant('2023-03-05T01:30Z', 'd').toISOString()).toBe('2023-03-05T01:30:00.000Z');
  });

  it('refuses impossible days, zone-less times and non-dates', () => {
    expectBadInput(() => parseIsoInstant('2023-02-30', 'depositedAt'), 'depositedAt');
    expectBadInput(() => parseIsoInstant('2023-03-05T08:30:00', 'depositedAt'), 'depositedAt', /time zone/);
    expectBadInput(() => parseIsoInstant('05/03/2023', 'depositedAt'), 'depositedAt');
    expectBadInput(() => parseIsoInstant('2023-03-05T08:30:00Z', 'joinedOn', false), 'joinedOn');
  });

  it('refuses the future beyond a minute of clock drift', () => {
    const now = new Date('2024-05-01T00:00:00Z');
    expect(requireNotFuture(new Date('2024-05-01T00:00:30Z'), 'd', now)).toBeInstanceOf(Date);
    expectBadInput(() => requireNotFuture(new Date('2024-05-01T00:02:00Z'), 'depositedAt', now), 'depositedAt');
  });

  it('accepts idempotency keys of 8 to 100 printable characters', () => {
    expect(requireIdempotencyKey('weigh-2024-0001')).toBe('weigh-2024-0001');
    expectBadInput(() => requireIdempotencyKey('short'), 'idempotencyKey');
    expectBadInput(() => requireIdempotencyKey('has a space in it'), 'idempotencyKey');
  });

  it('gives tonnes to the kilogram', () => {
    expect(tonnesFromKg(199_876.499)).toBe(199.876);
    expect(tonnesFromKg(199_876.5)).toBe(199.877);
    // A double-precision sum of gram-exact weights that fell just short of the half.
    expect(tonnesFromKg(199_876.49999999997)).toBe(199.877);
  });
});
