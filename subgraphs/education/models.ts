import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import { isResidentId } from '../kit/residents';
import { AGE_BANDS, HOST_TYPES, LEVELS, SPOT_STATUSES, WEEKDAYS } from './rules';

/**
 * The education agency's records for English Massive (EMAS). Every record with a place carries the Kemendagri
 * kelurahan code; every record about a person carries the pseudonymous resident id beside the NIK, so the graph
 * links people by the id and the NIK never has to leave this database. Class, enrolment and attendance records
 * repeat the spot's kelurahan and the class's year so that the scorecard aggregations need no joins.
 */

const kelurahanCode = {
  type: String,
  required: true,
  validate: { validator: isKelurahanCode, message: 'kelurahanCode must be a Kota Kediri Kemendagri code' },
} as const;

const residentIdField = {
  type: String,
  required: true,
  validate: { validator: isResidentId, message: 'residentId must be "R" and 32 hex digits' },
} as const;

/** The NIK is kept for the agency's own matching; `select: false` keeps it out of every read unless asked for. */
const nikField = { type: String, required: true, match: /^35710[1-3]\d{10}$/, select: false } as const;

const scheduleSlotSchema = new Schema(
  {
    day: { type: String, required: true, enum: WEEKDAYS },
    startTime: { type: String, required: true, match: /^([01]\d|2[0-3]):[0-5]\d$/ },
    level: { type: String, required: true, enum: LEVELS },
  },
  { _id: false },
);

const statusChangeSchema = new Schema(
  {
    status: { type: String, required: true, enum: SPOT_STATUSES },
    since: { type: Date, required: true },
  },
  { _id: false },
);

export const spotSchema = new Schema(
  {
    code: { type: String, required: true, match: /^EMAS-\d{3,4}$/ },
    name: { type: String, required: true, minlength: 3, maxlength: 120 },
    kelurahanCode,
    hostType: { type: String, required: true, enum: HOST_TYPES },
    schedule: {
      type: [scheduleSlotSchema],
      validate: { validator: (slots: unknown[]) => slots.length > 0, message: 'a spot needs at least one weekly slot' },
    },
    /** The current status; always equal to the last entry of statusHistory. */
    status: { type: String, required: true, enum: SPOT_STATUSES },
    openedOn: { type: Date, required: true },
    /**
     * Every status change, oldest first, starting with "active" on the opening date. A year's figures are read
     * from it (the status in force at the end of the year), which a single current status could not give.
     */
    statusHistory: {
      type: [statusChangeSchema],
      validate: {
        validator: (changes: { status: string }[]) => changes.length > 0 && changes[0].status === 'active',
        message: 'statusHistory must start with the opening ("active")',
      },
    },
  },
  { collection: 'spots' },
);
spotSchema.index({ code: 1 }, { unique: true });
spotSchema.index({ kelurahanCode: 1, status: 1 });
// The list of spots filters by status alone too.
spotSchema.index({ status: 1, _id: 1 });

export const tutorSchema = new Schema(
  {
    name: { type: String, required: true, minlength: 2, maxlength: 100 },
    nik: nikField,
    residentId: residentIdField,
    kelurahanCode,
    activeYears: { type: [{ type: Number, min: 2016, max: 2100 }], default: [] },
  },
  { collection: 'tutors' },
);
tutorSchema.index({ residentId: 1 }, { unique: true });
tutorSchema.index({ activeYears: 1 });

export const classSchema = new Schema(
  {
    spotId: { type: Schema.Types.ObjectId, required: true },
    kelurahanCode,
    level: { type: String, required: true, enum: LEVELS },
    /**
     * Absent (never null) while a planned class has no tutor yet: the scorecard counts distinct tutor ids, and
     * an aggregation skips a missing field where it would count a null as one more tutor.
     */
    tutorId: { type: Schema.Types.ObjectId },
    year: { type: Number, required: true, min: 2016, max: 2100 },
    /** The caller's key of the createEmasClass call that wrote the class; seeded classes have none. */
    idempotencyKey: { type: String, minlength: 8, maxlength: 100 },
  },
  { collection: 'classes' },
);
/**
 * One class per level per spot per year: the spot's slot for that level is the class. createEmasClass refuses a
 * second one with CONFLICT rather than returning the first, because a new idempotency key means a new request.
 */
classSchema.index({ spotId: 1, year: 1, level: 1 }, { unique: true });
/**
 * What makes createEmasClass safe to retry: unique where present (the seeded classes have no key), so of two
 * concurrent retries only one can write the class and the other's write unit runs again and finds it.
 */
classSchema.index({ idempotencyKey: 1 }, { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } });
classSchema.index({ year: 1, kelurahanCode: 1 });
classSchema.index({ tutorId: 1, year: 1 });
// The list of classes filters by kelurahan or by level alone too.
classSchema.index({ kelurahanCode: 1, _id: 1 });
classSchema.index({ level: 1, _id: 1 });

export const participantSchema = new Schema(
  {
    nik: nikField,
    residentId: residentIdField,
    name: { type: String, required: true, minlength: 2, maxlength: 100 },
    birthDate: { type: Date, required: true },
    kelurahanCode,
    registeredAt: { type: Date, required: true },
  },
  { collection: 'participants' },
);
participantSchema.index({ residentId: 1 }, { unique: true });
participantSchema.index({ kelurahanCode: 1 });

export const enrolmentSchema = new Schema(
  {
    participantId: { type: Schema.Types.ObjectId, required: true },
    classId: { type: Schema.Types.ObjectId, required: true },
    residentId: residentIdField,
    /** The class's spot's kelurahan and the class's year and level, repeated for aggregation without joins. */
    kelurahanCode,
    year: { type: Number, required: true, min: 2016, max: 2100 },
    level: { type: String, required: true, enum: LEVELS },
    /** The participant's age band on the enrolment date, kept for reporting on children's participation. */
    ageBand: { type: String, required: true, enum: AGE_BANDS },
    enrolledAt: { type: Date, required: true },
  },
  { collection: 'enrolments' },
);
/** The natural key that makes enrolParticipant safe to retry. */
enrolmentSchema.index({ participantId: 1, classId: 1 }, { unique: true });
enrolmentSchema.index({ classId: 1 });
enrolmentSchema.index({ residentId: 1 });
enrolmentSchema.index({ year: 1, kelurahanCode: 1 });

export const attendanceSchema = new Schema(
  {
    classId: { type: Schema.Types.ObjectId, required: true },
    participantId: { type: Schema.Types.ObjectId, required: true },
    /** The session's day at 00:00 UTC. */
    sessionDate: { type: Date, required: true },
    kelurahanCode,
    recordedAt: { type: Date, required: true },
  },
  { collection: 'attendance' },
);
/** The natural key that makes recordAttendance safe to retry. */
attendanceSchema.index({ classId: 1, sessionDate: 1, participantId: 1 }, { unique: true });
attendanceSchema.index({ classId: 1, participantId: 1 });

export type SpotDoc = Stored<typeof spotSchema>;
export type TutorDoc = Stored<typeof tutorSchema>;
export type ClassDoc = Stored<typeof classSchema>;
export type ParticipantDoc = Stored<typeof participantSchema>;
export type EnrolmentDoc = Stored<typeof enrolmentSchema>;
export type AttendanceDoc = Stored<typeof attendanceSchema>;

const MODELS = {
  Spot: ['Spot', spotSchema],
  Tutor: ['Tutor', tutorSchema],
  EmasClass: ['EmasClass', classSchema],
  Participant: ['Participant', participantSchema],
  Enrolment: ['Enrolment', enrolmentSchema],
  Attendance: ['Attendance', attendanceSchema],
} as const;

export type EducationModels = CompiledModels<typeof MODELS>;

export function createEducationModels(connection: Connection): EducationModels {
  return compileModels(connection, MODELS);
}
