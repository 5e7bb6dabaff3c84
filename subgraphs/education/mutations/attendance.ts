import { Types } from 'mongoose';
import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay, kediriDay } from '../../kit/calendar';
import { requireObjectId, requirePastDate } from '../../kit/validate';
import type { EducationContext } from '../loaders';
import type { ClassDoc, EnrolmentDoc } from '../models';
import { attendedBeforeEnrolment, sessionRefusal, statusOn, type Level } from '../rules';
import { classWithSpot } from './classes';

/**
 * Recording who attended one session of a class. All or nothing for the list: when any participant is not
 * enrolled in the class, or not yet on that day, nothing is written. Its natural key is (class, session,
 * participant): a participant already recorded for the session is not recorded twice, so a retry writes nothing
 * more; of two recordings racing, the loser's unit runs again and finds the winner's rows.
 */
export interface RecordAttendanceInput {
  classId: string;
  sessionDate: string;
  participantIds: string[];
}

export interface AttendanceResult {
  class: ClassDoc;
  sessionDate: Date;
  recorded: number;
  alreadyRecorded: number;
}

const MAX_ATTENDANCE_LIST = 100;

export async function recordAttendance(input: RecordAttendanceInput, ctx: EducationContext): Promise<AttendanceResult> {
  requireStaff(ctx, 'Recording EMAS attendance');
  const classId = requireObjectId(input.classId, 'classId', 'an EMAS class');
  // A calendar day, and not after today in Kediri: at 00:30 WIB today's session is already today's.
  const sessionDate = requirePastDate(input.sessionDate, 'sessionDate');
  if (!Array.isArray(input.participantIds) || input.participantIds.length < 1 || input.participantIds.length > MAX_ATTENDANCE_LIST) {
    throw badUserInput('participantIds', `a list of 1 to ${MAX_ATTENDANCE_LIST} participant ids`, input.participantIds);
  }
  const participantIds = input.participantIds.map((id, index) => requireObjectId(id, `participantIds[${index}]`, 'an EMAS participant'));
  const unique = [...new Map(participantIds.map((id) => [id.toHexString(), id])).values()];
  const { Attendance, Enrolment, Participant } = ctx.models;

  return ctx.transaction(
    async () => {
      const { klass, spot } = await classWithSpot(ctx.models, classId, input.classId);
      const refusal = sessionRefusal(sessionDate, { year: klass.year, level: klass.level as Level, schedule: spot.schedule });
      if (refusal) throw badUserInput('sessionDate', `a day on which the class meets (${refusal})`, input.sessionDate);
      const spotStatus = statusOn(spot.statusHistory, sessionDate);
      if (spotStatus !== 'active') {
        throw conflict(
          `Spot ${spot.code} was ${spotStatus ?? 'not yet open'} on ${input.sessionDate}: attendance is recorded only for days on which the spot was active.`,
          'sessionDate',
        );
      }

      const enrolments = await Enrolment.find({ classId: klass._id, participantId: { $in: unique } }).lean<EnrolmentDoc[]>();
      const enrolledAt = new Map(enrolments.map((enrolment) => [String(enrolment.participantId), enrolment.enrolledAt]));
      const strangers = unique.filter((id) => !enrolledAt.has(id.toHexString()));
      // Only when some are not enrolled: which of them are no participant at all (NOT_FOUND) rather than the
      // wrong one for this class (BAD_USER_INPUT).
      const known = strangers.length
        ? new Set((await Participant.find({ _id: { $in: strangers } }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>()).map((p) => String(p._id)))
        : new Set<string>();
      participantIds.forEach((id, index) => {
        const field = `participantIds[${index}]`;
        const since = enrolledAt.get(id.toHexString());
        if (!since) {
          if (!known.has(id.toHexString())) throw notFound('EMAS participant', `id ${input.participantIds[index]}`);
          throw badUserInput(field, `a participant enrolled in class ${input.classId}`, input.participantIds[index]);
        }
        if (attendedBeforeEnrolment(since, sessionDate)) {
          throw badUserInput(field, `a participant enrolled on or before ${isoDay(sessionDate)}`, `enrolled on ${isoDay(kediriDay(since))}`);
        }
      });

      const already = await Attendance.find({ classId: klass._id, sessionDate, participantId: { $in: unique } }, { participantId: 1 }).lean<
        { participantId: Types.ObjectId }[]
      >();
      const present = new Set(already.map((row) => String(row.participantId)));
      const recordedAt = new Date();
      const rows = unique
        .filter((id) => !present.has(id.toHexString()))
        .map((participantId) => ({ classId: klass._id, participantId, sessionDate, kelurahanCode: klass.kelurahanCode, recordedAt }));
      if (rows.length > 0) await Attendance.insertMany(rows);
      // No figure of the scorecard counts attendance, so no kelurahan-year's figures change.
      return { class: klass, sessionDate, recorded: rows.length, alreadyRecorded: unique.length - rows.length };
    },
    // Attendance is read only by the agency and caseworkers, whose answers the gateway never caches.
    { changesPublicData: false },
  );
}
