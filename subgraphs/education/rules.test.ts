import { describe, expect, it } from 'vitest';
import {
  ageBand,
  attendedBeforeEnrolment,
  eligibleLevels,
  enrolmentRefusal,
  isEligibleForLevel,
  meetingDays,
  parseIsoDate,
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

const day = (iso: string) => parseIsoDate(iso)!;

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
  const today = day('2024-06-20');

  it('knows the weekday of a date', () => {
    expect(weekdayOf(day('2024-06-15'))).toBe('saturday');
    expect(meetingDays(schedule, 'young_learners')).toEqual(['saturday', 'wednesday']);
  });

  it('takes a scheduled day of the class year that is not in the future', () => {
    expect(sessionRefusal({ date: day('2024-06-15'), today }, klass)).toBeNull();
    expect(sessionRefusal({ date: day('2024-06-19'), today }, klass)).toBeNull();
  });

  it('refuses another weekday, another year and the future', () => {
    expect(sessionRefusal({ date: day('2024-06-16'), today }, klass)).toMatch(/not on a sunday/);
    expect(sessionRefusal({ date: day('2023-06-17'), today }, klass)).toMatch(/runs in 2024, not in 2023/);
    expect(sessionRefusal({ date: day('2024-06-22'), today }, klass)).toMatch(/future/);
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
});

describe('ISO dates', () => {
  it('parses real calendar dates only', () => {
    expect(parseIsoDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseIsoDate('2023-02-29')).toBeNull();
    expect(parseIsoDate('2024-2-9')).toBeNull();
    expect(parseIsoDate('2024-06-15T00:00:00Z')).toBeNull();
    expect(parseIsoDate(20240615)).toBeNull();
  });
});

describe('planning classes', () => {
  it('plans classes for the running year and the next one only', () => {
    expect(plannableClassYears(day('2026-01-01'))).toEqual([2026, 2027]);
    expect(plannableClassYears(day('2026-12-31'))).toEqual([2026, 2027]);
  });
});
