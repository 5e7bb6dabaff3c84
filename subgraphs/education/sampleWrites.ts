import { randomUUID } from 'node:crypto';
import { isoDay, kediriDay, todayInKediri, yearDays } from '../kit/calendar';
import type { Random } from '../kit/random';
import { samplePopulation } from '../kit/residents';
import { accepted, pickRecord, type RandomWrite, type WriteTarget } from '../kit/testing';
import type { ClassDoc, EducationModels, EnrolmentDoc, SpotDoc } from './models';
import { isEligibleForLevel, LEVELS, meetingDays, sessionDates, statusOn, type Level } from './rules';

/**
 * One random valid write of the education agency, chosen among the sample's real records: plan a class at an
 * active spot for a level it schedules (this year or next), enrol a resident of the spot's kelurahan whose age
 * fits the level in a class that takes enrolments, or record a session's attendance of participants enrolled
 * by then, on a day the class met while its spot was active. A write whose records do not exist yet falls back
 * to the write that makes them (no class to enrol in: plan one), so it works on a freshly seeded database,
 * where every class is of a year that is over.
 */
const CREATE = 'mutation($input: CreateEmasClassInput!) { createEmasClass(input: $input) { id } }';
const ENROL = 'mutation($input: EnrolParticipantInput!) { enrolParticipant(input: $input) { id } }';
const ATTEND = 'mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { recorded } }';

type Target = WriteTarget<EducationModels>;

/** The spots that take classes and enrolments now, by id. */
async function activeSpots(models: EducationModels): Promise<Map<string, SpotDoc>> {
  const spots = await models.Spot.find({ status: 'active' }).sort({ _id: 1 }).lean<SpotDoc[]>();
  return new Map(spots.map((spot) => [String(spot._id), spot]));
}

async function planClass(random: Random, { query, models }: Target): Promise<string> {
  const today = todayInKediri();
  const years = [today.getUTCFullYear(), today.getUTCFullYear() + 1];
  const spots = await activeSpots(models);
  const planned = await models.EmasClass.find({ year: { $in: years } }, { spotId: 1, year: 1, level: 1 }).lean<ClassDoc[]>();
  const taken = new Set(planned.map((klass) => `${String(klass.spotId)}|${klass.year}|${klass.level}`));
  const open = [...spots.values()].flatMap((spot) =>
    years.flatMap((year) =>
      LEVELS.filter((level) => meetingDays(spot.schedule, level).length > 0 && !taken.has(`${String(spot._id)}|${year}|${level}`)).map(
        (level) => ({ spot, year, level }),
      ),
    ),
  );
  if (open.length === 0) throw new Error('every active spot already has a class of each of its levels this year and next');
  const { spot, year, level } = random.pick(open);
  const tutors = await models.Tutor.find({}, { _id: 1 }).sort({ _id: 1 }).lean();
  const tutorId = random.chance(0.8) ? String(random.pick(tutors)._id) : null;
  // A new request, so a new key: a key only repeats on a retry of the same request.
  const input = { spotId: String(spot._id), level: level.toUpperCase(), year, tutorId, idempotencyKey: `sample-class-${randomUUID()}` };
  return accepted(await query(CREATE, { input }), `planned a ${level} class of ${year} at ${spot.code} in ${spot.kelurahanCode}`);
}

async function enrol(random: Random, target: Target): Promise<string> {
  const { query, models } = target;
  const today = todayInKediri();
  const spots = await activeSpots(models);
  const classes = await models.EmasClass.find({ year: { $gte: today.getUTCFullYear() } }).sort({ _id: 1 }).lean<ClassDoc[]>();
  const open = classes.filter((klass) => spots.has(String(klass.spotId)));
  if (open.length === 0) return planClass(random, target);
  const klass = random.pick(open);
  const level = klass.level as Level;
  const fits = (person: { birthDate: Date }) => isEligibleForLevel(level, person.birthDate, today);
  // A resident of the spot's kelurahan, as EMAS enrols them; the whole city when no one there fits the level.
  const near = samplePopulation().filter((person) => person.kelurahanCode === klass.kelurahanCode && fits(person));
  const person = random.pick(near.length > 0 ? near : samplePopulation().filter(fits));
  const participant = { nik: person.nik, name: person.name, birthDate: isoDay(person.birthDate), kelurahanCode: person.kelurahanCode };
  return accepted(
    await query(ENROL, { input: { classId: String(klass._id), participant } }),
    `enrolled a resident in the ${level} class of ${klass.year} in ${klass.kelurahanCode}`,
  );
}

/** The days a class met, not after today, on which the spot was active and the participant already enrolled. */
function sessionsOf(spot: SpotDoc, klass: ClassDoc, enrolledAt: Date, today: Date): Date[] {
  const { first, last } = yearDays(klass.year);
  const from = new Date(Math.max(first.getTime(), kediriDay(enrolledAt).getTime()));
  const to = new Date(Math.min(last.getTime(), today.getTime()));
  return sessionDates(spot.schedule, klass.level as Level, from, to).filter((day) => statusOn(spot.statusHistory, day) === 'active');
}

async function attend(random: Random, target: Target): Promise<string> {
  const { query, models } = target;
  const today = todayInKediri();
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const enrolment = await pickRecord<EnrolmentDoc>(models.Enrolment, {}, random.int(0, 1_000_000));
    if (!enrolment) break;
    const klass = (await models.EmasClass.findById(enrolment.classId).lean<ClassDoc>())!;
    const spot = (await models.Spot.findById(klass.spotId).lean<SpotDoc>())!;
    const days = sessionsOf(spot, klass, enrolment.enrolledAt, today);
    if (days.length === 0) continue;
    const sessionDate = random.pick(days);
    // Some classmates enrolled by then came too.
    const classmates = await models.Enrolment.find({ classId: klass._id }).sort({ _id: 1 }).lean<EnrolmentDoc[]>();
    const present = random
      .shuffle(classmates.filter((other) => kediriDay(other.enrolledAt).getTime() <= sessionDate.getTime() && !other._id.equals(enrolment._id)))
      .slice(0, random.int(0, 4));
    const participantIds = [enrolment, ...present].map((row) => String(row.participantId));
    const input = { classId: String(klass._id), sessionDate: isoDay(sessionDate), participantIds };
    return accepted(await query(ATTEND, { input }), `recorded attendance of ${participantIds.length} at ${spot.code} on ${isoDay(sessionDate)}`);
  }
  return enrol(random, target);
}

export const randomWrites: RandomWrite<EducationModels> = async (random, target) => {
  const choice = random.int(0, 2);
  if (choice === 0) return planClass(random, target);
  if (choice === 1) return enrol(random, target);
  return attend(random, target);
};
