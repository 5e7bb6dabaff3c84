import type { FilterQuery } from 'mongoose';
import { requireOwningAgency, requireRole } from '../kit/access';
import { mutation } from '../kit/agency';
import { isoDay, todayInKediri } from '../kit/calendar';
import { compositeKey } from '../kit/loaders';
import { paginate, type PageArgs } from '../kit/pagination';
import { requireKelurahanCode, requireObjectId, requireYear } from '../kit/validate';
import type { EducationContext } from './loaders';
import type { AttendanceDoc, ClassDoc, EnrolmentDoc, ParticipantDoc, SpotDoc, TutorDoc } from './models';
import { recordAttendance, type AttendanceResult } from './mutations/attendance';
import { createEmasClass } from './mutations/classes';
import { enrolParticipant } from './mutations/enrolment';
import { AGE_BANDS, ageBand, HOST_TYPES, LEVELS, SPOT_STATUSES, WEEKDAYS } from './rules';
import { enumOf, idOf as id } from '../kit/output';

/**
 * The education subgraph's resolvers: thin. They check access and arguments, then hand over to the loaders
 * and the mutations. Spots and classes are public facility data; participants, tutors, enrolments and
 * attendance are personal data (often a child's) that only the agency reads. The scorecard's `society`
 * figures are the kit's, from the read model (see pillar.ts).
 */


/** Personal data of participants and tutors is the agency's alone. */
function requireAgency(context: EducationContext, what: string): void {
  requireOwningAgency(context.identity, context.agency, what);
}

/** One lookup for both `Query.emasSpot` and `EmasSpot.__resolveReference`. */
function spotById(spotId: string, context: EducationContext) {
  return context.loaders.spot.load(spotId);
}

function classById(classId: string, context: EducationContext) {
  return context.loaders.emasClass.load(classId);
}

/** A year argument that may be left out. */
function optionalYear(year: number | null | undefined): number | null {
  return year == null ? null : requireYear(year, 'year');
}

export const resolvers = {
  EmasLevel: enumOf(LEVELS),
  EmasHostType: enumOf(HOST_TYPES),
  EmasSpotStatus: enumOf(SPOT_STATUSES),
  EmasWeekday: enumOf(WEEKDAYS),
  EmasAgeBand: enumOf(AGE_BANDS),

  Query: {
    emasSpots(_: unknown, args: PageArgs & { kelurahanCode?: string | null; status?: string | null }, context: EducationContext) {
      const filter: FilterQuery<SpotDoc> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.status != null) filter.status = args.status;
      return paginate(context.models.Spot, filter, args);
    },
    emasSpot(_: unknown, args: { id: string }, context: EducationContext) {
      return spotById(requireObjectId(args.id, 'id', 'an EMAS spot').toHexString(), context);
    },
    emasClasses(
      _: unknown,
      args: PageArgs & { spotId?: string | null; kelurahanCode?: string | null; year?: number | null; level?: string | null },
      context: EducationContext,
    ) {
      const filter: FilterQuery<ClassDoc> = {};
      if (args.spotId != null) filter.spotId = requireObjectId(args.spotId, 'spotId', 'an EMAS spot');
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.year != null) filter.year = requireYear(args.year, 'year');
      if (args.level != null) filter.level = args.level;
      return paginate(context.models.EmasClass, filter, args);
    },
    emasClass(_: unknown, args: { id: string }, context: EducationContext) {
      return classById(requireObjectId(args.id, 'id', 'an EMAS class').toHexString(), context);
    },
    emasParticipants(_: unknown, args: PageArgs & { kelurahanCode?: string | null }, context: EducationContext) {
      requireAgency(context, 'EMAS participants');
      const filter: FilterQuery<ParticipantDoc> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      return paginate(context.models.Participant, filter, args);
    },
    emasParticipant(_: unknown, args: { id: string }, context: EducationContext) {
      requireAgency(context, 'An EMAS participant');
      return context.loaders.participant.load(requireObjectId(args.id, 'id', 'an EMAS participant').toHexString());
    },
    emasTutors(_: unknown, args: PageArgs & { year?: number | null }, context: EducationContext) {
      requireAgency(context, 'EMAS tutors');
      const filter: FilterQuery<TutorDoc> = {};
      if (args.year != null) filter.activeYears = requireYear(args.year, 'year');
      return paginate(context.models.Tutor, filter, args);
    },
  },

  Mutation: {
    createEmasClass: mutation(createEmasClass),
    enrolParticipant: mutation(enrolParticipant),
    recordAttendance: mutation(recordAttendance),
  },

  EmasSpot: {
    __resolveReference(reference: { id?: unknown }, context: EducationContext) {
      // A representation whose id is no record id cannot name a spot: it resolves to nothing, not an error.
      try {
        return spotById(requireObjectId(reference.id, 'id').toHexString(), context);
      } catch {
        return null;
      }
    },
    id,
    kelurahan: (spot: SpotDoc) => ({ code: spot.kelurahanCode }),
    openedOn: (spot: SpotDoc) => isoDay(spot.openedOn),
    statusHistory: (spot: SpotDoc) => spot.statusHistory.map((change) => ({ status: change.status, since: isoDay(change.since) })),
    classes: (spot: SpotDoc, args: { year?: number | null }, context: EducationContext) =>
      context.loaders.classesBySpot(optionalYear(args.year)).load(id(spot)),
  },

  EmasClass: {
    id,
    spot: (klass: ClassDoc, _: unknown, context: EducationContext) => context.loaders.spot.load(String(klass.spotId)),
    tutor(klass: ClassDoc, _: unknown, context: EducationContext) {
      requireAgency(context, "An EMAS class's tutor");
      // A planned class may have no tutor yet.
      return klass.tutorId ? context.loaders.tutor.load(String(klass.tutorId)) : null;
    },
    enrolments(klass: ClassDoc, args: PageArgs, context: EducationContext) {
      requireAgency(context, "An EMAS class's enrolments");
      return paginate(context.models.Enrolment, { classId: klass._id }, args);
    },
  },

  EmasTutor: {
    id,
    activeYears: (tutor: TutorDoc) => [...tutor.activeYears].sort((a, b) => a - b),
    classes: (tutor: TutorDoc, args: { year?: number | null }, context: EducationContext) =>
      context.loaders.classesByTutor(optionalYear(args.year)).load(id(tutor)),
  },

  EmasParticipant: {
    id,
    ageBand: (participant: ParticipantDoc) => ageBand(participant.birthDate, todayInKediri()),
    resident: (participant: ParticipantDoc) => ({ id: participant.residentId }),
    enrolments: (participant: ParticipantDoc, _: unknown, context: EducationContext) =>
      context.loaders.enrolmentsByParticipant.load(id(participant)),
  },

  EmasEnrolment: {
    id,
    class: (enrolment: EnrolmentDoc, _: unknown, context: EducationContext) => classById(String(enrolment.classId), context),
    enrolledAt: (enrolment: EnrolmentDoc) => enrolment.enrolledAt.toISOString(),
    participant(enrolment: EnrolmentDoc, _: unknown, context: EducationContext) {
      requireAgency(context, "An EMAS enrolment's participant");
      return context.loaders.participant.load(String(enrolment.participantId));
    },
    sessionsAttended: (enrolment: EnrolmentDoc, _: unknown, context: EducationContext) =>
      context.loaders.sessionsAttended.load(compositeKey(String(enrolment.classId), String(enrolment.participantId))),
  },

  EmasAttendanceResult: {
    sessionDate: (result: AttendanceResult) => isoDay(result.sessionDate),
    attendance: (result: AttendanceResult, _: unknown, context: EducationContext) =>
      context.models.Attendance.find({ classId: result.class._id, sessionDate: result.sessionDate }).sort({ _id: 1 }).lean<AttendanceDoc[]>().exec(),
  },

  EmasAttendance: {
    id,
    sessionDate: (row: AttendanceDoc) => isoDay(row.sessionDate),
    recordedAt: (row: AttendanceDoc) => row.recordedAt.toISOString(),
    participant: (row: AttendanceDoc, _: unknown, context: EducationContext) => context.loaders.participant.load(String(row.participantId)),
  },

  Kelurahan: {
    // The kit resolves the reference (null for a code that names no kelurahan), so the code here is a real one.
    emasSpots: (kelurahan: { code: string }, args: { status?: string | null }, context: EducationContext) =>
      context.loaders.spotsByKelurahan(args.status).load(kelurahan.code),
  },

  Resident: {
    emasEnrolments(resident: { id: string }, _: unknown, context: EducationContext) {
      requireRole(context.identity, ['caseworker', `agency:${context.agency}`], "A resident's EMAS enrolments");
      return context.loaders.enrolmentsByResident.load(resident.id);
    },
  },
};
