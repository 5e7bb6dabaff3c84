import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoDay, parseIsoDay, todayInKediri } from '../kit/calendar';
import { requirePastDate } from '../kit/validate';
import {
  ageBand,
  attendedBeforeEnrolment,
  eligibleLevels,
  enrolmentRefusal,
  isEligibleForLevel,
  meetingDays,
  plannableClassYears,
  sessionDates,
  sessionRefusal,
  spotActiveAtEndOf,
  spotExistedIn,
  statusOn,
  weekdayOf,
  type ScheduleSlot,
  type StatusChange,
} from './rules';

const day = (iso: string) => parseIsoDay(iso)!;

describe('level eligibility by age on the enrolment date', () => {
  const enrolOn = day('2024-01-15');
  const bornAged = (age: number) => day(`${2024 - age}-01-15`);

  it('takes young learners from 5 to 12 inclusive', () => {
    expect(isEligibleForLevel('young_learners', bornAged(4), enrolOn)).toBe(false);
    expect(isEligibleForLevel('young_learners', bornAged(5), enrolOn)).toBe(true);
    expect(isEligibleForLevel('young_learners', bornAged(12), enrolOn)).toBe(true);
    expect(isEligibleForLevel('young_learners', bornAged(13), enrolOn)).toBe(false);
  });

  it('overlaps the levels at 12, 15 and 18 so a child may stay with their group or move up', () => {
    expect(eligibleLevels(bornAged(12), enrolOn)).toEqual(['young_learners', 'young_adult_junior']);
    expect(eligibleLevels(bornAged(14), enrolOn)).toEqual(['young_adult_junior']);
    expect(eligibleLevels(bornAged(15), enrolOn)).toEqual(['young_adult_junior', 'young_adult_senior']);
    expect(eligibleLevels(bornAged(18), enrolOn)).toEqual(['young_adult_senior', 'adult']);
    expect(eligibleLevels(bornAged(19), enrolOn)).toEqual(['adult']);
    expect(eligibleLevels(bornAged(80), enrolOn)).toEqual(['adult']);
  });

  it('counts the age in whole years, turning a year older on the birthday itself', () => {
    expect(isEligibleForLevel('adult', day('2006-01-16'), enrolOn)).toBe(false);
    expect(isEligibleForLevel('adult', day('2006-01-15'), enrolOn)).toBe(true);
  });
});

describe('age bands', () => {
  it('splits at 13 and 18', () => {
    const on = day('2024-06-01');
    expect(ageBand(day('2011-06-02'), on)).toBe('child');
    expect(ageBand(day('2011-06-01'), on)).toBe('teen');
    expect(ageBand(day('2006-06-02'), on)).toBe('teen');
    expect(ageBand(day('2006-06-01'), on)).toBe('adult');
  });
});

describe('spot status over time', () => {
  const history: StatusChange[] = [
    { status: 'active', since: day('2019-03-01') },
    { status: 'paused', since: day('2022-08-01') },
    { status: 'active', since: day('2023-01-05') },
    { status: 'closed', since: day('2023-09-30') },
  ];

  it('reads the status in force on a day, undefined before opening', () => {
    expect(statusOn(history, day('2019-02-28'))).toBeUndefined();
    expect(statusOn(history, day('2019-03-01'))).toBe('active');
    expect(statusOn(history, day('2022-12-31'))).toBe('paused');
    expect(statusOn(history, day('2023-01-05'))).toBe('active');
    expect(statusOn(history, day('2024-01-01'))).toBe('closed');
  });

  it('counts a spot in a year from its opening until the year it closed, inclusive', () => {
    expect(spotExistedIn(history, 2018)).toBe(false);
    expect(spotExistedIn(history, 2019)).toBe(true);
    expect(spotExistedIn(history, 2023)).toBe(true);
    expect(spotExistedIn(history, 2024)).toBe(false);
  });

  it('counts a spot as active in a year only when active at the end of that year', () => {
    expect(spotActiveAtEndOf(history, 2021)).toBe(true);
    expect(spotActiveAtEndOf(history, 2022)).toBe(false);
    expect(spotActiveAtEndOf(history, 2023)).toBe(false);
  });

  it('counts a spot opened on 31 December in that year', () => {
    const late: StatusChange[] = [{ status: 'active', since: day('2023-12-31') }];
    expect(spotExistedIn(late, 2023)).toBe(true);
    expect(spotActiveAtEndOf(late, 2023)).toBe(true);
  });
});

describe('enrolment refusals', () => {
  const today = day('2024-03-10');
  it('refuses paused and closed spots and years that are over, and takes the rest', () => {
    expect(enrolmentRefusal('paused', 2024, today)).toMatch(/spot is paused/);
    expect(enrolmentRefusal('closed', 2024, today)).toMatch(/spot is closed/);
    expect(enrolmentRefusal('active', 2023, today)).toMatch(/ran in 2023/);
    expect(enrolmentRefusal('active', 2024, today)).toBeNull();
    expect(enrolmentRefusal('active', 2025, today)).toBeNull();
  });
});

describe('session dates', () => {
  const schedule: ScheduleSlot[] = [
    { day: 'saturday', startTime: '15:00', level: 'young_learners' },
    { day: 'sunday', startTime: '09:00', level: 'adult' },
    { day: 'wednesday', startTime: '16:00', level: 'young_learners' },
  ];
  const klass = { year: 2024, level: 'young_learners' as const, schedule };
  /** 20 June 2024, 10:00 WIB. */
  const now = new Date('2024-06-20T03:00:00Z');

  it('knows the weekday of a date', () => {
    expect(weekdayOf(day('2024-06-15'))).toBe('saturday');
    expect(meetingDays(schedule, 'young_learners')).toEqual(['saturday', 'wednesday']);
  });

  it('takes a scheduled day of the class year that is not in the future', () => {
    expect(sessionRefusal(day('2024-06-15'), klass)).toBeNull();
    expect(sessionRefusal(day('2024-06-19'), klass)).toBeNull();
    expect(isoDay(requirePastDate('2024-06-19', 'sessionDate', now))).toBe('2024-06-19');
  });

  it('refuses another weekday, another year and the future', () => {
    expect(sessionRefusal(day('2024-06-16'), klass)).toMatch(/not on a sunday/);
    expect(sessionRefusal(day('2023-06-17'), klass)).toMatch(/runs in 2024, not in 2023/);
    // The future is the kit's rule for every calendar date, on Kediri's calendar.
    expect(() => requirePastDate('2024-06-22', 'sessionDate', now)).toThrow(/not after today in Kediri \(2024-06-20\)/);
  });

  it('lists every meeting date in a range, both ends included', () => {
    const dates = sessionDates(schedule, 'young_learners', day('2024-06-01'), day('2024-06-15'));
    expect(dates.map((d) => d.toISOString().slice(0, 10))).toEqual([
      '2024-06-01',
      '2024-06-05',
      '2024-06-08',
      '2024-06-12',
      '2024-06-15',
    ]);
  });

  it('refuses attendance before the day of enrolment but takes the day itself', () => {
    expect(attendedBeforeEnrolment(new Date('2024-06-15T10:30:00Z'), day('2024-06-15'))).toBe(false);
    expect(attendedBeforeEnrolment(new Date('2024-06-16T08:00:00Z'), day('2024-06-15'))).toBe(true);
  });

  it("takes the day of enrolment in Kediri: an enrolment at 00:30 WIB is on the new day, whatever the UTC date", () => {
    // 17:30 UTC on 1 March is 00:30 WIB on 2 March.
    expect(attendedBeforeEnrolment(new Date('2025-03-01T17:30:00Z'), day('2025-03-02'))).toBe(false);
    expect(attendedBeforeEnrolment(new Date('2025-03-01T17:30:00Z'), day('2025-03-01'))).toBe(true);
  });
});

describe("the rules on Kediri's clock (WIB, UTC+7)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("at 00:30 WIB takes today's Kediri date as a session or birth date and refuses tomorrow's", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
    const sundayClass = { year: 2025, level: 'adult' as const, schedule: [{ day: 'sunday', startTime: '09:00', level: 'adult' }] };
    // 2 March 2025 is a Sunday: the class meets today in Kediri, though it is still Saturday in UTC.
    const session = requirePastDate('2025-03-02', 'sessionDate');
    expect(isoDay(session)).toBe('2025-03-02');
    expect(sessionRefusal(session, sundayClass)).toBeNull();
    expect(() => requirePastDate('2025-03-03', 'sessionDate')).toThrow(/not after today in Kediri \(2025-03-02\)/);
    expect(isoDay(requirePastDate('2025-03-02', 'participant.birthDate'))).toBe('2025-03-02');
  });

  it('at 00:30 WIB on 1 January plans classes for the new year and the next, and closes the old year to enrolments', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-12-31T17:30:00Z'));
    expect(plannableClassYears(todayInKediri())).toEqual([2026, 2027]);
    expect(enrolmentRefusal('active', 2025, todayInKediri())).toMatch(/ran in 2025, a year that is over/);
    expect(enrolmentRefusal('active', 2026, todayInKediri())).toBeNull();
  });
});

describe('planning classes', () => {
  it('plans classes for the running year and the next one only', () => {
    expect(plannableClassYears(day('2026-01-01'))).toEqual([2026, 2027]);
    expect(plannableClassYears(day('2026-12-31'))).toEqual([2026, 2027]);
  });
});
