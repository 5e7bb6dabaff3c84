import { yearRange } from '../kit/calendar';
import { definePillar, figuresByPlace, type Places } from '../kit/pillar';
import type { EducationModels } from './models';

/**
 * Smart Society: English Massive (EMAS), per kelurahan (where the spots are) and for the city, for one
 * calendar year on Kediri's clock:
 * - spots: spots that existed during the year, opened by its end and not closed before it began;
 * - active spots: spots whose status at the end of the year (today, for the running year) is active;
 * - classes: the year's classes;
 * - tutors: distinct tutors teaching a class of the year (a planned class without a tutor adds none);
 * - enrolments: enrolments in the year's classes (a participant in two classes counts twice);
 * - participants: distinct participants enrolled in a class of the year.
 * The city counts each person once, even one who joined classes in two kelurahan. Participants and tutors are
 * people, so at kelurahan level public callers get neither below 5 of them, nor the enrolments that come from
 * the same few participants; spots and classes are facilities and are never withheld.
 *
 * What a write changes: a class, an enrolment (and attendance, which no figure counts) belongs to its class's
 * year; a spot's status change counts in the year it takes effect and in every later year, since "active at
 * the end of the year" and "existed during the year" read the whole history up to the year's end.
 */
export interface SocietyFigures {
  emasSpots: number;
  activeEmasSpots: number;
  participants: number;
  tutors: number;
  classes: number;
  enrolments: number;
}

export function noSocietyFigures(): SocietyFigures {
  return { emasSpots: 0, activeEmasSpots: 0, participants: 0, tutors: 0, classes: 0, enrolments: 0 };
}

/**
 * The figures of one year from the raw records, in three aggregations (spots, classes, enrolments) whatever the
 * number of kelurahan: per kelurahan of `places` (a kelurahan without records is absent from the map), or for
 * the whole city under CITY. The three run one after the other: inside a write's transaction MongoDB allows no
 * parallel operations.
 */
export async function societyFigures(models: EducationModels, year: number, places: Places): Promise<Map<string, SocietyFigures>> {
  const { start, end } = yearRange(year);
  const place = places ? { kelurahanCode: { $in: [...places] } } : {};
  const groupKey = places ? '$kelurahanCode' : null;

  const spots = await models.Spot.aggregate<{ _id: string | null; existing: number; active: number }>([
    { $match: { ...place, openedOn: { $lt: end } } },
    { $unwind: '$statusHistory' },
    // A status change dated after the year does not alter the year's figures.
    { $match: { 'statusHistory.since': { $lt: end } } },
    { $sort: { _id: 1, 'statusHistory.since': 1 } },
    {
      $group: {
        _id: '$_id',
        kelurahanCode: { $first: '$kelurahanCode' },
        status: { $last: '$statusHistory.status' },
        since: { $last: '$statusHistory.since' },
      },
    },
    {
      $group: {
        _id: groupKey,
        // A spot closed during the year still served part of it; one closed before the year did not.
        existing: {
          $sum: { $cond: [{ $or: [{ $ne: ['$status', 'closed'] }, { $gte: ['$since', start] }] }, 1, 0] },
        },
        active: { $sum: { $cond: [{ $eq: ['$status', 'active'] }, 1, 0] } },
      },
    },
  ]);
  const classes = await models.EmasClass.aggregate<{ _id: string | null; classes: number; tutors: number }>([
    { $match: { ...place, year } },
    { $group: { _id: groupKey, classes: { $sum: 1 }, tutorIds: { $addToSet: '$tutorId' } } },
    { $project: { classes: 1, tutors: { $size: '$tutorIds' } } },
  ]);
  const enrolments = await models.Enrolment.aggregate<{ _id: string | null; enrolments: number; participants: number }>([
    { $match: { ...place, year } },
    { $group: { _id: groupKey, enrolments: { $sum: 1 }, participantIds: { $addToSet: '$participantId' } } },
    { $project: { enrolments: 1, participants: { $size: '$participantIds' } } },
  ]);

  const { at: entry, figures: figures } = figuresByPlace(noSocietyFigures);
  for (const row of spots) Object.assign(entry(row._id), { emasSpots: row.existing, activeEmasSpots: row.active });
  for (const row of classes) Object.assign(entry(row._id), { classes: row.classes, tutors: row.tutors });
  for (const row of enrolments) Object.assign(entry(row._id), { enrolments: row.enrolments, participants: row.participants });
  return figures;
}

export const society = definePillar({
  field: 'society',
  typeName: 'SocietyIndicators',
  version: 1,
  people: { participants: 'participants', tutors: 'tutors' },
  empty: noSocietyFigures,
  aggregate: societyFigures,
  fields: {
    emasSpots: {},
    activeEmasSpots: {},
    classes: {},
    participants: { gatedBy: 'participants' },
    tutors: { gatedBy: 'tutors' },
    // Enrolments are counted from the same few people as participants, so they are withheld together.
    enrolments: { gatedBy: 'participants' },
  },
});
