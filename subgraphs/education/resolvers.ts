import type { FilterQuery } from 'mongoose';
import { peopleCount, requireOwningAgency, requireRole } from '../kit/access';
import { compositeKey } from '../kit/loaders';
import { paginate, type PageArgs } from '../kit/pagination';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireYear, scorecardKey, type KelurahanScorecardRef } from '../kit/scorecard';
import type { AgencyContext } from '../kit/agency';
import { isRecordId, requireRecordId } from './ids';
import type { EducationLoaders } from './loaders';
import type { AttendanceDoc, ClassDoc, EducationModels, EnrolmentDoc, ParticipantDoc, SpotDoc, TutorDoc } from './models';
import {
  AGENCY,
  createEmasClass,
  enrolParticipant,
  recordAttendance,
  type AttendanceResult,
  type CreateEmasClassInput,
  type EnrolParticipantInput,
  type RecordAttendanceInput,
} from './mutations';
import { AGE_BANDS, ageBand, HOST_TYPES, isoDate, LEVELS, SPOT_STATUSES, WEEKDAYS } from './rules';
import type { SocietyFigures } from './society';

type Context = AgencyContext<EducationModels, EducationLoaders>;
type WithId = { _id: unknown };

/** GraphQL enum values are the stored values in capitals. */
function enumOf(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => [value.toUpperCase(), value]));
}

const id = (doc: WithId) => String(doc._id);

/** Personal data of participants and tutors is the agency's alone. */
function requireAgency(context: Context, what: string): void {
  requireOwningAgency(context.identity, AGENCY, what);
}

/** One lookup for both `Query.emasSpot` and `EmasSpot.__resolveReference`; an unknown id resolves to null. */
function spotById(spotId: unknown, context: Context) {
  return isRecordId(spotId) ? context.loaders.spot.load(spotId.toLowerCase()) : null;
}

function classById(classId: string, context: Context) {
  return context.loaders.emasClass.load(classId);
}

/** A pillar value and where it was computed, so people counts can be suppressed at kelurahan level only. */
interface SocietyValue {
  figures: SocietyFigures;
  kelurahanCode?: string;
}

function personCount(value: SocietyValue, count: number, what: string, context: Context): number {
  if (!value.kelurahanCode) return count;
  return peopleCount(context.identity, count, `${what} in kelurahan ${value.kelurahanCode}`);
}

export const resolvers = {
  EmasLevel: enumOf(LEVELS),
  EmasHostType: enumOf(HOST_TYPES),
  EmasSpotStatus: enumOf(SPOT_STATUSES),
  EmasWeekday: enumOf(WEEKDAYS),
  EmasAgeBand: enumOf(AGE_BANDS),

  Query: {
    emasSpots(_: unknown, args: PageArgs & { kelurahanCode?: string | null; status?: string | null }, context: Context) {
      const filter: FilterQuery<SpotDoc> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.status != null) filter.status = args.status;
      return paginate(context.models.Spot, filter, args);
    },
    emasSpot(_: unknown, args: { id: string }, context: Context) {
      return spotById(requireRecordId(args.id, 'id'), context);
    },
    emasClasses(
      _: unknown,
      args: PageArgs & { spotId?: string | null; kelurahanCode?: string | null; year?: number | null; level?: string | null },
      context: Context,
    ) {
      const filter: FilterQuery<ClassDoc> = {};
      if (args.spotId != null) filter.spotId = requireRecordId(args.spotId, 'spotId');
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.year != null) filter.year = requireYear(args.year, 'year');
      if (args.level != null) filter.level = args.level;
      return paginate(context.models.EmasClass, filter, args);
    },
    emasClass(_: unknown, args: { id: string }, context: Context) {
      return classById(requireRecordId(args.id, 'id'), context);
    },
    emasParticipants(_: unknown, args: PageArgs & { kelurahanCode?: string | null }, context: Context) {
      requireAgency(context, 'EMAS participants');
      const filter: FilterQuery<ParticipantDoc> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      return paginate(context.models.Participant, filter, args);
    },
    emasParticipant(_: unknown, args: { id: string }, context: Context) {
      requireAgency(context, 'An EMAS participant');
      return context.loaders.participant.load(requireRecordId(args.id, 'id'));
    },
    emasTutors(_: unknown, args: PageArgs & { year?: number | null }, context: Context) {
      requireAgency(context, 'EMAS tutors');
      const filter: FilterQuery<TutorDoc> = {};
      if (args.year != null) filter.activeYears = requireYear(args.year, 'year');
      return paginate(context.models.Tutor, filter, args);
    },
  },

  Mutation: {
    createEmasClass: (_: unknown, args: { input: CreateEmasClassInput }, context: Context) => createEmasClass(args.input, context),
    enrolParticipant: (_: unknown, args: { input: EnrolParticipantInput }, context: Context) => enrolParticipant(args.input, context),
    recordAttendance: (_: unknown, args: { input: RecordAttendanceInput }, context: Context) => recordAttendance(args.input, context),
  },

  EmasSpot: {
    __resolveReference: (reference: { id: string }, context: Context) => spotById(reference.id, context),
    id,
    kelurahan: (spot: SpotDoc) => ({ code: spot.kelurahanCode }),
    openedOn: (spot: SpotDoc) => isoDate(spot.openedOn),
    statusHistory: (spot: SpotDoc) => spot.statusHistory.map((change) => ({ status: change.status, since: isoDate(change.since) })),
    classes(spot: SpotDoc, args: { year?: number | null }, context: Context) {
      const year = args.year == null ? null : requireYear(args.year, 'year');
      return context.loaders.classesBySpot(year).load(id(spot));
    },
  },

  EmasClass: {
    id,
    spot: (klass: ClassDoc, _: unknown, context: Context) => context.loaders.spot.load(String(klass.spotId)),
    tutor(klass: ClassDoc, _: unknown, context: Context) {
      requireAgency(context, "An EMAS class's tutor");
      // A planned class may have no tutor yet.
      return klass.tutorId ? context.loaders.tutor.load(String(klass.tutorId)) : null;
    },
    enrolments(klass: ClassDoc, args: PageArgs, context: Context) {
      requireAgency(context, "An EMAS class's enrolments");
      return paginate(context.models.Enrolment, { classId: klass._id }, args);
    },
  },

  EmasTutor: {
    id,
    activeYears: (tutor: TutorDoc) => [...tutor.activeYears].sort((a, b) => a - b),
    classes(tutor: TutorDoc, args: { year?: number | null }, context: Context) {
      const year = args.year == null ? null : requireYear(args.year, 'year');
      return context.loaders.classesByTutor(year).load(id(tutor));
    },
  },

  EmasParticipant: {
    id,
    ageBand: (participant: ParticipantDoc) => ageBand(participant.birthDate, new Date()),
    resident: (participant: ParticipantDoc) => ({ id: participant.residentId }),
    enrolments: (participant: ParticipantDoc, _: unknown, context: Context) =>
      context.loaders.enrolmentsByParticipant.load(id(participant)),
  },

  EmasEnrolment: {
    id,
    class: (enrolment: EnrolmentDoc, _: unknown, context: Context) => classById(String(enrolment.classId), context),
    enrolledAt: (enrolment: EnrolmentDoc) => enrolment.enrolledAt.toISOString(),
    participant(enrolment: EnrolmentDoc, _: unknown, context: Context) {
      requireAgency(context, "An EMAS enrolment's participant");
      return context.loaders.participant.load(String(enrolment.participantId));
    },
    sessionsAttended: (enrolment: EnrolmentDoc, _: unknown, context: Context) =>
      context.loaders.sessionsAttended.load(compositeKey(String(enrolment.classId), String(enrolment.participantId))),
  },

  EmasAttendanceResult: {
    sessionDate: (result: AttendanceResult) => isoDate(result.sessionDate),
    attendance: (result: AttendanceResult, _: unknown, context: Context) =>
      context.models.Attendance.find({ classId: result.class._id, sessionDate: result.sessionDate }).sort({ _id: 1 }).lean<AttendanceDoc[]>().exec(),
  },

  EmasAttendance: {
    id,
    sessionDate: (row: AttendanceDoc) => isoDate(row.sessionDate),
    recordedAt: (row: AttendanceDoc) => row.recordedAt.toISOString(),
    participant: (row: AttendanceDoc, _: unknown, context: Context) => context.loaders.participant.load(String(row.participantId)),
  },

  SocietyIndicators: {
    emasSpots: (value: SocietyValue) => value.figures.emasSpots,
    activeEmasSpots: (value: SocietyValue) => value.figures.activeEmasSpots,
    classes: (value: SocietyValue) => value.figures.classes,
    participants: (value: SocietyValue, _: unknown, context: Context) =>
      personCount(value, value.figures.participants, 'The number of EMAS participants', context),
    tutors: (value: SocietyValue, _: unknown, context: Context) =>
      personCount(value, value.figures.tutors, 'The number of EMAS tutors', context),
    // Enrolments are counted from the same few people as participants, so they are withheld together.
    enrolments(value: SocietyValue, _: unknown, context: Context) {
      personCount(value, value.figures.participants, 'The number of EMAS enrolments (from few participants)', context);
      return value.figures.enrolments;
    },
  },

  Kelurahan: {
    __resolveReference: (reference: { code: string }) => reference,
    emasSpots(kelurahan: { code: string }, args: { status?: string | null }, context: Context) {
      return context.loaders.spotsByKelurahan(args.status).load(requireKelurahanCode(kelurahan.code, 'code'));
    },
  },

  CityScorecard: {
    __resolveReference: (reference: { year: number }) => reference,
    async society(scorecard: { year: number }, _: unknown, context: Context): Promise<SocietyValue> {
      return { figures: await context.loaders.citySociety.load(requireYear(scorecard.year, 'year')) };
    },
  },

  KelurahanScorecard: {
    __resolveReference: (reference: KelurahanScorecardRef) => reference,
    async society(scorecard: KelurahanScorecardRef, _: unknown, context: Context): Promise<SocietyValue> {
      const figures = await context.loaders.kelurahanSociety.load(scorecardKey(scorecard));
      return { figures, kelurahanCode: scorecard.kelurahanCode };
    },
  },

  Resident: {
    __resolveReference: (reference: { id: string }) => reference,
    emasEnrolments(resident: { id: string }, _: unknown, context: Context) {
      requireRole(context.identity, ['caseworker', `agency:${AGENCY}`], "A resident's EMAS enrolments");
      return context.loaders.enrolmentsByResident.load(resident.id);
    },
  },
};
