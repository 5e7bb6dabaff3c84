import mongoose from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { kediriDay, kediriYear } from '../kit/calendar';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId } from '../kit/residents';
import { TEST_SECRETS } from '../kit/testing';
import { attendanceSchema, classSchema, enrolmentSchema, participantSchema, spotSchema, tutorSchema } from './models';
import { isEligibleForLevel, meetingDays, statusOn, weekdayOf, type Level } from './rules';
import { buildEducationSeed, SEED_YEARS, type EducationSeed } from './seed';

/**
 * The sample data in memory, before it reaches a database: it must reproduce the published figures, obey the
 * program's rules and fit the schemas, since the seed writes it without casting each document.
 */
let seed: EducationSeed;

beforeAll(() => {
  seed = buildEducationSeed(TEST_SECRETS);
});

describe('published figures at the 2023 level', () => {
  it('has 108 spots in 2023, 100 of them active at the end of the year', () => {
    const existed = seed.spots.filter((spot) => {
      const opened = spot.openedOn < new Date('2024-01-01');
      const closed = spot.statusHistory.find((change) => change.status === 'closed');
      return opened && !(closed && closed.since < new Date('2023-01-01'));
    });
    expect(existed).toHaveLength(108);
    const activeAtEnd = existed.filter((spot) => {
      const changes = spot.statusHistory.filter((change) => change.since < new Date('2024-01-01'));
      return changes[changes.length - 1].status === 'active';
    });
    expect(activeAtEnd).toHaveLength(100);
  });

  it('has 2,313 distinct participants and 42 tutors in 2023', () => {
    const participants = new Set(seed.enrolments.filter((e) => e.year === 2023).map((e) => String(e.participantId)));
    const tutors = new Set(seed.classes.filter((c) => c.year === 2023).map((c) => String(c.tutorId)));
    expect(participants.size).toBe(2313);
    expect(tutors.size).toBe(42);
  });

  it('has a spot in every kelurahan and classes in every year from 2021 to 2024', () => {
    expect(new Set(seed.spots.map((spot) => spot.kelurahanCode)).size).toBe(KELURAHAN.length);
    for (const year of SEED_YEARS) expect(seed.classes.filter((c) => c.year === year).length).toBeGreaterThan(100);
  });

  it('keeps attendance moderate', () => {
    expect(seed.attendance.length).toBeGreaterThan(10_000);
    expect(seed.attendance.length).toBeLessThanOrEqual(60_000);
  });

  it('is the same on every run', () => {
    const again = buildEducationSeed(TEST_SECRETS);
    expect(again.spots.map((s) => [s.code, s.kelurahanCode, s.status])).toEqual(seed.spots.map((s) => [s.code, s.kelurahanCode, s.status]));
    expect(again.enrolments.map((e) => [e.residentId, e.year, e.level])).toEqual(seed.enrolments.map((e) => [e.residentId, e.year, e.level]));
  });
});

describe('the program rules hold in the sample data', () => {
  it('enrols each participant in a level their age allows, at an active spot, in their own kelurahan', () => {
    const participant = new Map(seed.participants.map((p) => [String(p._id), p]));
    const klass = new Map(seed.classes.map((c) => [String(c._id), c]));
    const spot = new Map(seed.spots.map((s) => [String(s._id), s]));
    // Collect the breaches and compare once: one expect per document would dominate the run time.
    const breaches: string[] = [];
    for (const enrolment of seed.enrolments) {
      const person = participant.get(String(enrolment.participantId))!;
      const theClass = klass.get(String(enrolment.classId))!;
      const where = `enrolment ${String(enrolment._id)}`;
      if (!isEligibleForLevel(theClass.level, person.birthDate, kediriDay(enrolment.enrolledAt))) breaches.push(`${where}: age`);
      if (statusOn(spot.get(String(theClass.spotId))!.statusHistory, kediriDay(enrolment.enrolledAt)) !== 'active') breaches.push(`${where}: spot`);
      if (enrolment.kelurahanCode !== person.kelurahanCode) breaches.push(`${where}: kelurahan`);
      if (enrolment.year !== kediriYear(enrolment.enrolledAt)) breaches.push(`${where}: year`);
      if (enrolment.residentId !== residentId(person.nik, TEST_SECRETS.residentIdSecret)) breaches.push(`${where}: resident id`);
    }
    expect(breaches).toEqual([]);
  });

  it('records attendance only on scheduled days, when enrolled, while the spot is active', () => {
    const klass = new Map(seed.classes.map((c) => [String(c._id), c]));
    const spot = new Map(seed.spots.map((s) => [String(s._id), s]));
    const enrolled = new Map(seed.enrolments.map((e) => [`${String(e.classId)}|${String(e.participantId)}`, e.enrolledAt]));
    const breaches: string[] = [];
    for (const row of seed.attendance) {
      const theClass = klass.get(String(row.classId))!;
      const theSpot = spot.get(String(theClass.spotId))!;
      const where = `attendance ${String(row._id)}`;
      if (!meetingDays(theSpot.schedule, theClass.level as Level).includes(weekdayOf(row.sessionDate))) breaches.push(`${where}: day`);
      if (statusOn(theSpot.statusHistory, row.sessionDate) !== 'active') breaches.push(`${where}: spot`);
      // Enrolled on or before the session's day in Kediri, and recorded once the session had been held.
      const since = enrolled.get(`${String(row.classId)}|${String(row.participantId)}`);
      if (!since || kediriDay(since).getTime() > row.sessionDate.getTime()) breaches.push(`${where}: enrolment`);
      if (kediriDay(row.recordedAt).getTime() !== row.sessionDate.getTime()) breaches.push(`${where}: recorded`);
    }
    expect(breaches).toEqual([]);
  });

  it('never enrols the same person twice in one class', () => {
    const keys = seed.enrolments.map((e) => `${String(e.classId)}|${String(e.participantId)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('the sample data fits the schemas', () => {
  it('passes every validator of its model', () => {
    const checks: [mongoose.Schema, object[]][] = [
      [spotSchema, seed.spots],
      [tutorSchema, seed.tutors],
      [classSchema, seed.classes],
      [participantSchema, seed.participants],
      [enrolmentSchema, seed.enrolments],
      [attendanceSchema, seed.attendance.filter((_, index) => index % 10 === 0)],
    ];
    // Models on a connection that is never opened: validation needs no database.
    const connection = mongoose.createConnection();
    checks.forEach(([schema, docs], index) => {
      const Model = connection.model(`SeedCheck${index}`, schema);
      const invalid = docs.flatMap((doc) => {
        const error = new Model(doc).validateSync();
        return error ? [error.message] : [];
      });
      expect(invalid).toEqual([]);
    });
  });
});
