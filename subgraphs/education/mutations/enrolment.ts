import { badUserInput, conflict } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { todayInKediri } from '../../kit/calendar';
import { ageOn, residentId } from '../../kit/residents';
import { requireKelurahanCode, requireNik, requireObjectId, requirePastDate, requireText } from '../../kit/validate';
import type { EducationContext } from '../loaders';
import type { EnrolmentDoc, ParticipantDoc } from '../models';
import { ageBand, describeLevelAges, enrolmentRefusal, isEligibleForLevel, type Level } from '../rules';
import { classWithSpot } from './classes';

/**
 * Enrolling a resident in a class. Its natural key is (participant, class): enrolling the same resident in the
 * same class again answers with the enrolment first made, whatever has changed since. The participant is
 * registered on first enrolment and recognised by NIK (as the resident id) afterwards; the registration and the
 * enrolment are written in one unit, so a refused enrolment never leaves a registration behind.
 */
export interface EnrolParticipantInput {
  classId: string;
  participant: { nik: string; name: string; birthDate: string; kelurahanCode: string };
}

export async function enrolParticipant(input: EnrolParticipantInput, ctx: EducationContext): Promise<EnrolmentDoc> {
  requireStaff(ctx, 'Enrolling EMAS participants');
  const classId = requireObjectId(input.classId, 'classId', 'an EMAS class');
  const person = input.participant;
  const nik = requireNik(person.nik, 'participant.nik');
  const name = requireText(person.name, 'participant.name', { min: 2, max: 100 }).replace(/\s+/g, ' ');
  const birthDate = requirePastDate(person.birthDate, 'participant.birthDate');
  const kelurahanCode = requireKelurahanCode(person.kelurahanCode, 'participant.kelurahanCode');
  const resident = residentId(nik, ctx.secrets.residentIdSecret);
  const { Enrolment, Participant } = ctx.models;

  return ctx.transaction(async (unit) => {
    const { klass, spot } = await classWithSpot(ctx.models, classId, input.classId);
    const existing = await Participant.findOne({ residentId: resident }).lean<ParticipantDoc>();
    if (existing) {
      // A retry (or a second form for the same person) answers with the enrolment already made.
      const enrolled = await Enrolment.findOne({ participantId: existing._id, classId: klass._id }).lean<EnrolmentDoc>();
      if (enrolled) return enrolled;
      if (existing.birthDate.getTime() !== birthDate.getTime()) {
        throw conflict(
          `This NIK is already registered with EMAS (participant ${String(existing._id)}) with another birth date; ` +
            'correct the form, or have the registration corrected, before enrolling.',
          'participant.birthDate',
        );
      }
    }

    const now = new Date();
    const today = todayInKediri(now);
    const refusal = enrolmentRefusal(spot.status, klass.year, today);
    if (refusal) throw conflict(`Cannot enrol in class ${input.classId}: ${refusal}.`, 'classId');
    const level = klass.level as Level;
    if (!isEligibleForLevel(level, birthDate, today)) {
      throw badUserInput(
        'participant.birthDate',
        `a participant ${describeLevelAges(level)} on the enrolment date for a ${level} class`,
        `a birth date making them ${ageOn(birthDate, today)}`,
      );
    }

    const participant =
      existing ?? ((await Participant.create([{ nik, residentId: resident, name, birthDate, kelurahanCode, registeredAt: now }]))[0].toObject() as ParticipantDoc);
    const [enrolment] = await Enrolment.create([
      {
        participantId: participant._id,
        classId: klass._id,
        residentId: resident,
        kelurahanCode: klass.kelurahanCode,
        year: klass.year,
        level: klass.level,
        ageBand: ageBand(participant.birthDate, today),
        enrolledAt: now,
      },
    ]);
    // An enrolment counts in its class's year, where the class's spot is (not where the participant lives).
    unit.figuresChanged(klass.kelurahanCode, klass.year);
    return enrolment.toObject() as EnrolmentDoc;
  });
}
