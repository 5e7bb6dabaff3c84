import { Types } from 'mongoose';
import { requireOwningAgency, requireRole } from '../kit/access';
import { badUserInput, conflict } from '../../platform/errors';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { ageOn, requireNik, residentId } from '../kit/residents';
import type { AgencyContext } from '../kit/agency';
import { objectId, requireRecordId } from './ids';
import type { EducationLoaders } from './loaders';
import type { ClassDoc, EducationModels, EnrolmentDoc, ParticipantDoc, SpotDoc, TutorDoc } from './models';
import {
  ageBand,
  attendedBeforeEnrolment,
  describeLevelAges,
  enrolmentRefusal,
  isEligibleForLevel,
  isoDate,
  LEVELS,
  parseIsoDate,
  plannableClassYears,
  sessionRefusal,
  startOfDay,
  statusOn,
  type Level,
} from './rules';
import { isDuplicateKey } from '../kit/inputs';

/**
 * The agency's three staff actions. Each validates everything it was given before its first write, and each is
 * safe to retry: a class by the caller's idempotency key, an enrolment by its natural key (participant, class)
 * and attendance by (class, session date, participant).
 */
type Context = AgencyContext<EducationModels, EducationLoaders>;

export const AGENCY = 'education';
const MAX_ATTENDANCE_LIST = 100;

export interface CreateEmasClassInput {
  spotId: string;
  level: string;
  year: number;
  tutorId?: string | null;
  idempotencyKey: string;
}

export interface EnrolParticipantInput {
  classId: string;
  participant: { nik: string; name: string; birthDate: string; kelurahanCode: string };
}

export interface RecordAttendanceInput {
  classId: string;
  sessionDate: string;
  participantIds: string[];
}

/** Loads a class and its spot, naming `field` when the id matches no class. */
async function loadClass(models: EducationModels, classId: string, field: string) {
  const klass = await models.EmasClass.findById(classId).lean<ClassDoc>();
  if (!klass) throw badUserInput(field, 'the id of an existing EMAS class', classId);
  const spot = await models.Spot.findById(klass.spotId).lean<SpotDoc>();
  if (!spot) throw new Error(`EMAS class ${classId} refers to spot ${String(klass.spotId)}, which does not exist.`);
  return { klass, spot };
}

function requireName(value: unknown, field: string): string {
  const name = typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : '';
  if (name.length < 2 || name.length > 100) throw badUserInput(field, 'a name of 2 to 100 characters', value);
  return name;
}

function requireIdempotencyKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length < 8 || value.length > 100 || !/^[\x21-\x7e]+$/.test(value)) {
    throw badUserInput(field, 'a key of 8 to 100 printable characters without spaces, generated once per request', value);
  }
  return value;
}

/** A level as the caller writes it (the GraphQL enum value), for messages. */
const levelName = (level: string) => level.toUpperCase();

interface ClassRequest {
  spotId: string;
  level: Level;
  year: number;
  tutorId: string | null;
}

/**
 * A retry must be the same request: a key reused for another spot, level, year or tutor is a client bug, and
 * answering it with the first class would hide that.
 */
function sameClassRequest(first: ClassDoc, request: ClassRequest): ClassDoc {
  const firstTutor = first.tutorId ? String(first.tutorId) : null;
  if (String(first.spotId) !== request.spotId || first.level !== request.level || first.year !== request.year || firstTutor !== request.tutorId) {
    throw conflict(
      `The idempotencyKey was already used to create class ${String(first._id)} with other input; ` +
        'generate a new key for a new class and repeat the same key only on retries.',
      'idempotencyKey',
    );
  }
  return first;
}

function classTaken(spot: SpotDoc, existing: ClassDoc): Error {
  return conflict(
    `Spot ${spot.code} already has a ${levelName(existing.level)} class in ${existing.year} (class ${String(existing._id)}); ` +
      'a spot holds one class per level and year, so enrol participants in that class instead.',
  );
}

/**
 * Takes a year off a tutor again after the class that added it could not be written. When a class of theirs
 * in that year exists by now, a concurrent call has relied on the year, and it stays.
 */
async function undoTutorYear(models: EducationModels, tutorId: Types.ObjectId, year: number): Promise<void> {
  if (await models.EmasClass.exists({ tutorId, year })) return;
  await models.Tutor.updateOne({ _id: tutorId }, { $pull: { activeYears: year } });
}

export async function createEmasClass(input: CreateEmasClassInput, context: Context): Promise<ClassDoc> {
  requireRole(context.identity, [`agency:${AGENCY}`], 'Creating an EMAS class');
  const { models } = context;
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
  const spotId = requireRecordId(input.spotId, 'spotId');
  if (!LEVELS.includes(input.level as Level)) throw badUserInput('level', `one of ${LEVELS.map(levelName).join(', ')}`, input.level);
  const level = input.level as Level;
  if (!Number.isInteger(input.year)) throw badUserInput('year', 'a calendar year', input.year);
  const year = input.year;
  const tutorId = input.tutorId == null ? null : requireRecordId(input.tutorId, 'tutorId');
  const request: ClassRequest = { spotId, level, year, tutorId };

  // A retry answers with the class of the first call, even when the spot has been paused or the year has
  // turned since, so that the caller always sees the first result.
  const first = await models.EmasClass.findOne({ idempotencyKey }).lean<ClassDoc>();
  if (first) return sameClassRequest(first, request);

  const years = plannableClassYears(new Date());
  if (!years.includes(year)) {
    throw badUserInput('year', `${years[0]} or ${years[1]}: classes are planned for the running or the next year, not backdated`, year);
  }
  const spot = await models.Spot.findById(spotId).lean<SpotDoc>();
  if (!spot) throw badUserInput('spotId', 'the id of an existing EMAS spot', input.spotId);
  const tutor = tutorId ? await models.Tutor.findById(tutorId).lean<TutorDoc>() : null;
  if (tutorId && !tutor) throw badUserInput('tutorId', 'the id of a registered EMAS tutor', input.tutorId);
  // The spot's weekly slot for a level is when its class meets; without one, no session could ever be recorded.
  const scheduled = [...new Set(spot.schedule.map((slot) => slot.level))];
  if (!scheduled.includes(level)) {
    throw badUserInput('level', `a level with a weekly slot at spot ${spot.code} (${scheduled.map(levelName).join(', ')})`, levelName(level));
  }
  if (spot.status !== 'active') {
    throw conflict(`Cannot create a class at spot ${spot.code}: the spot is ${spot.status}, and only spots that are active take new classes.`, 'spotId');
  }
  const taken = await models.EmasClass.findOne({ spotId: spot._id, year, level }).lean<ClassDoc>();
  if (taken) throw classTaken(spot, taken);

  // Writes: the year on the tutor first (when it is new to them), then the class. If the class cannot be
  // written, the year this call added is taken off again, so a failure leaves nothing behind.
  let addedYear = false;
  if (tutor && !tutor.activeYears.includes(year)) {
    const added = await models.Tutor.updateOne({ _id: tutor._id }, { $addToSet: { activeYears: year } });
    addedYear = added.modifiedCount === 1;
  }
  try {
    const created = await models.EmasClass.create({
      spotId: spot._id,
      kelurahanCode: spot.kelurahanCode,
      level,
      year,
      ...(tutor ? { tutorId: tutor._id } : {}),
      idempotencyKey,
    });
    return created.toObject() as ClassDoc;
  } catch (error) {
    if (addedYear) await undoTutorYear(models, tutor!._id, year);
    if (isDuplicateKey(error)) {
      // A concurrent call wrote first: with the same key it was this request, answered as a retry is;
      // otherwise it took the spot's class of that level and year.
      const winner = await models.EmasClass.findOne({ idempotencyKey }).lean<ClassDoc>();
      if (winner) return sameClassRequest(winner, request);
      const existing = await models.EmasClass.findOne({ spotId: spot._id, year, level }).lean<ClassDoc>();
      if (existing) throw classTaken(spot, existing);
    }
    throw error;
  }
}

export async function enrolParticipant(input: EnrolParticipantInput, context: Context): Promise<EnrolmentDoc> {
  requireOwningAgency(context.identity, AGENCY, 'Enrolling EMAS participants');
  const { models } = context;
  const classId = requireRecordId(input.classId, 'classId');
  const nik = requireNik(input.participant.nik, 'participant.nik');
  const name = requireName(input.participant.name, 'participant.name');
  const now = new Date();
  const birthDate = parseIsoDate(input.participant.birthDate);
  if (!birthDate || birthDate.getTime() > now.getTime()) {
    throw badUserInput('participant.birthDate', 'a past date in ISO-8601 form YYYY-MM-DD', input.participant.birthDate);
  }
  const kelurahanCode = requireKelurahanCode(input.participant.kelurahanCode, 'participant.kelurahanCode');
  const { klass, spot } = await loadClass(models, classId, 'classId');

  const resident = residentId(nik, context.secrets.residentIdSecret);
  const existing = await models.Participant.findOne({ residentId: resident }).lean<ParticipantDoc>();
  if (existing) {
    // A retry (or a second form for the same person) answers with the enrolment already made, whatever has
    // changed since, so that the caller always sees the first result.
    const enrolled = await models.Enrolment.findOne({ participantId: existing._id, classId: klass._id }).lean<EnrolmentDoc>();
    if (enrolled) return enrolled;
    if (existing.birthDate.getTime() !== birthDate.getTime()) {
      throw badUserInput('participant.birthDate', 'the birth date already registered for this NIK', input.participant.birthDate);
    }
  }

  const refusal = enrolmentRefusal(spot.status, klass.year, now);
  if (refusal) throw conflict(`Cannot enrol in class ${classId}: ${refusal}.`, 'classId');
  const level = klass.level as Level;
  if (!isEligibleForLevel(level, birthDate, now)) {
    throw badUserInput(
      'participant.birthDate',
      `a participant ${describeLevelAges(level)} on the enrolment date for a ${level} class`,
      `a birth date making them ${ageOn(birthDate, now)}`,
    );
  }

  // Writes: the participant first (when new), then the enrolment. If the enrolment cannot be written, a
  // participant created by this call is removed again, so a failure leaves nothing behind.
  let participant = existing;
  let createdParticipant: Types.ObjectId | undefined;
  if (!participant) {
    try {
      const created = await models.Participant.create({ nik, residentId: resident, name, birthDate, kelurahanCode, registeredAt: now });
      createdParticipant = created._id;
      participant = created.toObject() as ParticipantDoc;
    } catch (error) {
      // A concurrent call registered the same person a moment ago: use that record.
      if (!isDuplicateKey(error)) throw error;
      participant = await models.Participant.findOne({ residentId: resident }).lean<ParticipantDoc>();
      if (!participant) throw error;
    }
  }
  try {
    const enrolment = await models.Enrolment.create({
      participantId: participant._id,
      classId: klass._id,
      residentId: resident,
      kelurahanCode: klass.kelurahanCode,
      year: klass.year,
      level: klass.level,
      ageBand: ageBand(participant.birthDate, now),
      enrolledAt: now,
    });
    return enrolment.toObject() as EnrolmentDoc;
  } catch (error) {
    if (isDuplicateKey(error)) {
      const enrolled = await models.Enrolment.findOne({ participantId: participant._id, classId: klass._id }).lean<EnrolmentDoc>();
      if (enrolled) return enrolled;
    }
    if (createdParticipant) await models.Participant.deleteOne({ _id: createdParticipant });
    throw error;
  }
}

export interface AttendanceResult {
  class: ClassDoc;
  sessionDate: Date;
  recorded: number;
  alreadyRecorded: number;
}

export async function recordAttendance(input: RecordAttendanceInput, context: Context): Promise<AttendanceResult> {
  requireOwningAgency(context.identity, AGENCY, 'Recording EMAS attendance');
  const { models } = context;
  const classId = requireRecordId(input.classId, 'classId');
  const sessionDate = parseIsoDate(input.sessionDate);
  if (!sessionDate) throw badUserInput('sessionDate', 'an ISO-8601 date YYYY-MM-DD', input.sessionDate);
  if (!Array.isArray(input.participantIds) || input.participantIds.length < 1 || input.participantIds.length > MAX_ATTENDANCE_LIST) {
    throw badUserInput('participantIds', `a list of 1 to ${MAX_ATTENDANCE_LIST} participant ids`, input.participantIds);
  }
  const participantIds = input.participantIds.map((id, index) => requireRecordId(id, `participantIds[${index}]`));
  const { klass, spot } = await loadClass(models, classId, 'classId');

  const today = startOfDay(new Date());
  const refusal = sessionRefusal({ date: sessionDate, today }, { year: klass.year, level: klass.level as Level, schedule: spot.schedule });
  if (refusal) throw badUserInput('sessionDate', `a day on which the class meets (${refusal})`, input.sessionDate);
  const spotStatus = statusOn(spot.statusHistory, sessionDate);
  if (spotStatus !== 'active') {
    throw badUserInput('sessionDate', `a day on which the spot was active (it was ${spotStatus ?? 'not yet open'})`, input.sessionDate);
  }

  const unique = [...new Set(participantIds)];
  const enrolments = await models.Enrolment.find({ classId: klass._id, participantId: { $in: unique.map(objectId) } }).lean<EnrolmentDoc[]>();
  const enrolledAt = new Map(enrolments.map((enrolment) => [String(enrolment.participantId), enrolment.enrolledAt]));
  participantIds.forEach((id, index) => {
    const since = enrolledAt.get(id);
    if (!since) throw badUserInput(`participantIds[${index}]`, `a participant enrolled in class ${classId}`, id);
    if (attendedBeforeEnrolment(since, sessionDate)) {
      throw badUserInput(`participantIds[${index}]`, `a participant enrolled on or before ${isoDate(sessionDate)}`, `enrolled on ${isoDate(since)}`);
    }
  });

  const already = await models.Attendance.find({ classId: klass._id, sessionDate, participantId: { $in: unique.map(objectId) } })
    .select({ participantId: 1 })
    .lean<{ participantId: Types.ObjectId }[]>();
  const present = new Set(already.map((row) => String(row.participantId)));
  const now = new Date();
  const rows = unique
    .filter((id) => !present.has(id))
    .map((id) => ({ _id: new Types.ObjectId(), classId: klass._id, participantId: objectId(id), sessionDate, kelurahanCode: klass.kelurahanCode, recordedAt: now }));

  let recorded = rows.length;
  if (rows.length > 0) {
    try {
      await models.Attendance.insertMany(rows, { ordered: false });
    } catch (error) {
      // Rows another call wrote in the meantime are duplicates and fine; anything else undoes this call's rows.
      const failures = (error as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors;
      const onlyDuplicates = failures?.length ? failures.every((failure) => (failure.code ?? failure.err?.code) === 11000) : isDuplicateKey(error);
      if (!onlyDuplicates) {
        await models.Attendance.deleteMany({ _id: { $in: rows.map((row) => row._id) } });
        throw error;
      }
      recorded -= failures?.length ?? 1;
    }
  }
  return { class: klass, sessionDate, recorded, alreadyRecorded: unique.length - recorded };
}
