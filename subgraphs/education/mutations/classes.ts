import type { Types } from 'mongoose';
import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { todayInKediri } from '../../kit/calendar';
import { FIRST_YEAR, requireIdempotencyKey, requireInteger, requireObjectId, requireOneOf } from '../../kit/validate';
import { earlierResult } from '../../kit/writes';
import type { EducationContext } from '../loaders';
import type { ClassDoc, EducationModels, SpotDoc } from '../models';
import { LEVELS, plannableClassYears } from '../rules';

/**
 * Planning a class: one level at one spot for one year. The class carries the caller's idempotency key, so a
 * retry answers with the class the first call wrote; the unique (spot, year, level) index makes a second class
 * of a level impossible even when two plans race: the loser's unit runs again, finds the winner and is refused.
 * The unit writes the class and, when the year is new to the tutor, the tutor's active years: both or neither.
 */
export interface CreateEmasClassInput {
  spotId: string;
  level: string;
  year: number;
  tutorId?: string | null;
  idempotencyKey: string;
}

/** A level as the caller writes it (the GraphQL enum value), for messages. */
export const levelName = (level: string) => level.toUpperCase();

/** A class and its spot, read inside a write unit; a class that does not exist is NOT_FOUND. */
export async function classWithSpot(models: EducationModels, classId: Types.ObjectId, given: string): Promise<{ klass: ClassDoc; spot: SpotDoc }> {
  const klass = await models.EmasClass.findById(classId).lean<ClassDoc>();
  if (!klass) throw notFound('EMAS class', `id ${given}`);
  const spot = await models.Spot.findById(klass.spotId).lean<SpotDoc>();
  if (!spot) throw new Error(`EMAS class ${given} refers to spot ${String(klass.spotId)}, which does not exist.`);
  return { klass, spot };
}

export async function createEmasClass(input: CreateEmasClassInput, ctx: EducationContext): Promise<ClassDoc> {
  requireStaff(ctx, 'Creating an EMAS class');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const spotId = requireObjectId(input.spotId, 'spotId', 'an EMAS spot');
  const level = requireOneOf(input.level, 'level', LEVELS);
  const year = requireInteger(input.year, 'year', { min: FIRST_YEAR, max: 2100 });
  const tutorId = input.tutorId == null ? null : requireObjectId(input.tutorId, 'tutorId', 'an EMAS tutor');
  const { EmasClass, Spot, Tutor } = ctx.models;

  return ctx.transaction(async (unit) => {
    // A retry answers with the class of the first call, even when the spot has been paused or the year has
    // turned since (which is why the planning window is checked after this), so the caller always sees the
    // first result. A key reused for another spot, level, year or tutor is a client bug: CONFLICT.
    const earlier = await earlierResult<ClassDoc>(
      EmasClass,
      idempotencyKey,
      (first) =>
        String(first.spotId) === spotId.toHexString() &&
        first.level === level &&
        first.year === year &&
        (first.tutorId ? String(first.tutorId) : null) === (tutorId ? tutorId.toHexString() : null),
    );
    if (earlier) return earlier;

    const years = plannableClassYears(todayInKediri());
    if (!years.includes(year)) {
      throw badUserInput('year', `${years[0]} or ${years[1]}: classes are planned for the running or the next year, not backdated`, year);
    }
    const spot = await Spot.findById(spotId).lean<SpotDoc>();
    if (!spot) throw notFound('EMAS spot', `id ${input.spotId}`);
    const tutor = tutorId ? await Tutor.findById(tutorId).lean() : null;
    if (tutorId && !tutor) throw notFound('EMAS tutor', `id ${input.tutorId}`);
    // The spot's weekly slot for a level is when its class meets; without one, no session could ever be recorded.
    const scheduled = [...new Set(spot.schedule.map((slot) => slot.level))];
    if (!scheduled.includes(level)) {
      throw badUserInput('level', `a level with a weekly slot at spot ${spot.code} (${scheduled.map(levelName).join(', ')})`, levelName(level));
    }
    if (spot.status !== 'active') {
      throw conflict(`Cannot create a class at spot ${spot.code}: the spot is ${spot.status}, and only spots that are active take new classes.`, 'spotId');
    }
    const taken = await EmasClass.findOne({ spotId: spot._id, year, level }).lean<ClassDoc>();
    if (taken) {
      throw conflict(
        `Spot ${spot.code} already has a ${levelName(level)} class in ${year} (class ${String(taken._id)}); ` +
          'a spot holds one class per level and year, so enrol participants in that class instead.',
        'level',
      );
    }

    if (tutor && !tutor.activeYears.includes(year)) await Tutor.updateOne({ _id: tutor._id }, { $addToSet: { activeYears: year } });
    const [created] = await EmasClass.create([
      { spotId: spot._id, kelurahanCode: spot.kelurahanCode, level, year, ...(tutor ? { tutorId: tutor._id } : {}), idempotencyKey },
    ]);
    // A class counts among its year's classes (and its tutor among the year's tutors) where its spot is.
    unit.figuresChanged(spot.kelurahanCode, year);
    return created.toObject() as ClassDoc;
  });
}
