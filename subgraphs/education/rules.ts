import { addDays, kediriDay, yearDays } from '../kit/calendar';
import { ageOn } from '../kit/residents';

/**
 * The rules of English Massive (EMAS) as pure functions, so the mutations, the seed and the tests apply the
 * very same ones. The program's rules are about days, not hours: a date is a calendar day (a Date at 00:00 UTC
 * of that day, see kit/calendar.ts), and "today" is always today in Kediri (`todayInKediri()`), never the UTC
 * date, which lags seven hours behind it.
 */

export const LEVELS = ['young_learners', 'young_adult_junior', 'young_adult_senior', 'adult'] as const;
export type Level = (typeof LEVELS)[number];

export const HOST_TYPES = ['home', 'cafe', 'preschool', 'rt_post', 'mosque', 'school'] as const;
export type HostType = (typeof HOST_TYPES)[number];

export const SPOT_STATUSES = ['active', 'paused', 'closed'] as const;
export type SpotStatus = (typeof SPOT_STATUSES)[number];

/** In the order of `Date.getUTCDay()`, which starts on Sunday. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const AGE_BANDS = ['child', 'teen', 'adult'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/**
 * Who may join each level, by age in whole years on the enrolment date, both ends included. The program's
 * levels follow the school stages (primary, junior high, senior high, adult), and the ranges overlap at 12, 15
 * and 18 on purpose: a child who has just had that birthday may stay with their group or move up. Young
 * Learners start at 5, the age EMAS takes children from; there is no upper age for adults.
 */
export const LEVEL_AGES: Readonly<Record<Level, { min: number; max: number }>> = {
  young_learners: { min: 5, max: 12 },
  young_adult_junior: { min: 12, max: 15 },
  young_adult_senior: { min: 15, max: 18 },
  adult: { min: 18, max: Number.POSITIVE_INFINITY },
};

export function describeLevelAges(level: Level): string {
  const { min, max } = LEVEL_AGES[level];
  return Number.isFinite(max) ? `aged ${min} to ${max}` : `aged ${min} or over`;
}

export function isEligibleForLevel(level: Level, birthDate: Date, on: Date): boolean {
  const age = ageOn(birthDate, on);
  const { min, max } = LEVEL_AGES[level];
  return age >= min && age <= max;
}

export function eligibleLevels(birthDate: Date, on: Date): Level[] {
  return LEVELS.filter((level) => isEligibleForLevel(level, birthDate, on));
}

/**
 * The age band reported for a participant. Children (under 13) and teens (13 to 17) are both children in
 * law, whose data is "specific" personal data; the bands only tell the program whom it reaches.
 */
export function ageBand(birthDate: Date, on: Date): AgeBand {
  const age = ageOn(birthDate, on);
  if (age < 13) return 'child';
  if (age < 18) return 'teen';
  return 'adult';
}

export interface StatusChange {
  status: SpotStatus | string;
  since: Date;
}

/** The status in force on a day: the last change on or before it; undefined before the spot opened. */
export function statusOn(history: readonly StatusChange[], day: Date): SpotStatus | undefined {
  let current: SpotStatus | undefined;
  for (const change of history) {
    if (change.since.getTime() <= day.getTime()) current = change.status as SpotStatus;
  }
  return current;
}

/**
 * Whether a spot counts among a year's spots: it had opened by the end of the year and had not closed before
 * the year began (a spot closed during the year still served part of it).
 */
export function spotExistedIn(history: readonly StatusChange[], year: number): boolean {
  const { first, last } = yearDays(year);
  const atEnd = statusOn(history, last);
  if (atEnd === undefined) return false;
  if (atEnd !== 'closed') return true;
  const closedOn = [...history].reverse().find((change) => change.status === 'closed')!.since;
  return closedOn.getTime() >= first.getTime();
}

/**
 * Whether a spot counts among a year's active spots: its status at the end of the year was "active". A change
 * dated later than the end of the year does not count, so a year's figure never moves once the year is over;
 * for the running year it is today's status, since no change is dated in the future.
 */
export function spotActiveAtEndOf(history: readonly StatusChange[], year: number): boolean {
  return statusOn(history, yearDays(year).last) === 'active';
}

/**
 * Why an enrolment is refused, or null when the class takes new participants. `today` is today in Kediri: on
 * 1 January at 00:30 WIB the old year is already over.
 */
export function enrolmentRefusal(spotStatus: SpotStatus | string, classYear: number, today: Date): string | null {
  if (spotStatus !== 'active') {
    return `the class's spot is ${spotStatus}, and only spots that are active take enrolments`;
  }
  if (classYear < today.getUTCFullYear()) {
    return `the class ran in ${classYear}, a year that is over; enrol in a class of ${today.getUTCFullYear()} or later`;
  }
  return null;
}

/**
 * The years a new class may be planned for: the running one and the next, on Kediri's calendar (`today` is
 * today in Kediri). A class of a year that is over could never take an enrolment, so classes are not
 * backdated; beyond the next year neither the spots' schedules nor the tutors are known.
 */
export function plannableClassYears(today: Date): [number, number] {
  const year = today.getUTCFullYear();
  return [year, year + 1];
}

export function weekdayOf(day: Date): Weekday {
  return WEEKDAYS[day.getUTCDay()];
}

export interface ScheduleSlot {
  day: Weekday | string;
  startTime: string;
  level: Level | string;
}

/** The days of the week on which a level meets at a spot. */
export function meetingDays(schedule: readonly ScheduleSlot[], level: Level): Weekday[] {
  return [...new Set(schedule.filter((slot) => slot.level === level).map((slot) => slot.day as Weekday))];
}

/**
 * Why a session date is refused for a class, or null when the class met (or could have met) that day: the
 * session must fall in the class's year, on one of its meeting days. (That it is not in the future is the
 * kit's `requirePastDate`, on Kediri's calendar.)
 */
export function sessionRefusal(sessionDate: Date, klass: { year: number; level: Level; schedule: readonly ScheduleSlot[] }): string | null {
  if (sessionDate.getUTCFullYear() !== klass.year) {
    return `the class runs in ${klass.year}, not in ${sessionDate.getUTCFullYear()}`;
  }
  const days = meetingDays(klass.schedule, klass.level);
  if (!days.includes(weekdayOf(sessionDate))) {
    return `the class meets on ${days.join(', ') || 'no day'}, not on a ${weekdayOf(sessionDate)}`;
  }
  return null;
}

/**
 * A participant may be marked present only at sessions on or after the day they enrolled, the day in Kediri:
 * an enrolment at 00:30 WIB (17:30 UTC the day before) is on the new day.
 */
export function attendedBeforeEnrolment(enrolledAt: Date, sessionDate: Date): boolean {
  return kediriDay(enrolledAt).getTime() > sessionDate.getTime();
}

/** Every meeting date of a level at a spot from calendar day `from` to `to`, both included, oldest first. */
export function sessionDates(schedule: readonly ScheduleSlot[], level: Level, from: Date, to: Date): Date[] {
  const days = new Set(meetingDays(schedule, level));
  const dates: Date[] = [];
  for (let day = from; day.getTime() <= to.getTime(); day = addDays(day, 1)) {
    if (days.has(weekdayOf(day))) dates.push(day);
  }
  return dates;
}
