import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoDay, kediriDay, kediriYear, parseIsoDay, startOfKediriDay, todayInKediri, yearRange } from './calendar';
import { CLOCK_SKEW_MS, requireIsoDate, requireIsoDateTime, requirePastDate, requirePastInstant, requireYear } from './validate';

/** 00:30 WIB on 1 January 2025 is 17:30 UTC on 31 December 2024: the hour in which UTC and Kediri disagree. */
const HALF_PAST_MIDNIGHT_WIB = new Date('2024-12-31T17:30:00Z');

afterEach(() => {
  vi.useRealTimers();
});

describe("Kediri's calendar (WIB, UTC+7)", () => {
  it('puts an instant on the Kediri day and year it falls in, not the UTC one', () => {
    expect(isoDay(kediriDay(HALF_PAST_MIDNIGHT_WIB))).toBe('2025-01-01');
    expect(kediriYear(HALF_PAST_MIDNIGHT_WIB)).toBe(2025);
    expect(kediriYear(new Date('2024-12-31T16:59:59Z'))).toBe(2024);
    expect(startOfKediriDay(parseIsoDay('2025-01-01')!).toISOString()).toBe('2024-12-31T17:00:00.000Z');
  });

  it('starts and ends a year at midnight in Kediri', () => {
    expect(yearRange(2023)).toEqual({ start: new Date('2022-12-31T17:00:00Z'), end: new Date('2023-12-31T17:00:00Z') });
  });

  it('parses only calendar dates that exist', () => {
    expect(isoDay(parseIsoDay('2024-02-29')!)).toBe('2024-02-29');
    expect(parseIsoDay('2023-02-29')).toBeUndefined();
    expect(parseIsoDay('2024-2-1')).toBeUndefined();
  });
});

describe('the date rules at 00:30 WIB, when UTC still has yesterday', () => {
  it("accepts today's Kediri date as not in the future, and refuses tomorrow's", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(HALF_PAST_MIDNIGHT_WIB);
    expect(isoDay(todayInKediri())).toBe('2025-01-01');
    expect(isoDay(requirePastDate('2025-01-01', 'visitDate'))).toBe('2025-01-01');
    expect(() => requirePastDate('2025-01-02', 'visitDate')).toThrow(/not after today in Kediri \(2025-01-01\)/);
  });

  it('counts the year the graph reports on by Kediri: at 00:30 WIB on 1 January the new year is this year', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(HALF_PAST_MIDNIGHT_WIB);
    expect(requireYear(2026)).toBe(2026);
    expect(() => requireYear(2027)).toThrow(/from 2016 to 2026/);
  });

  it('allows an instant a little ahead of the clock, the one skew allowance, and no more', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(requirePastInstant(new Date(now.getTime() + CLOCK_SKEW_MS).toISOString(), 'paidAt', now)).toEqual(new Date(now.getTime() + CLOCK_SKEW_MS));
    expect(() => requirePastInstant(new Date(now.getTime() + CLOCK_SKEW_MS + 1_000).toISOString(), 'paidAt', now)).toThrow(/not in the future/);
  });
});

describe('dates and date-times are two named things', () => {
  it('takes a date-time only with its offset, and a date only without a time', () => {
    expect(requireIsoDateTime('2024-04-08T10:15:00+07:00', 'at').toISOString()).toBe('2024-04-08T03:15:00.000Z');
    expect(() => requireIsoDateTime('2024-04-08', 'at')).toThrow(/date-time with its offset/);
    expect(() => requireIsoDateTime('2024-04-08T10:15:00', 'at')).toThrow(/date-time with its offset/);
    expect(() => requireIsoDateTime('2024-02-31T10:00Z', 'at')).toThrow(/date-time/);
    expect(isoDay(requireIsoDate('2024-04-08', 'on'))).toBe('2024-04-08');
    expect(() => requireIsoDate('2024-04-08T00:00:00Z', 'on')).toThrow(/ISO-8601 date such as/);
  });
});
