import { yearRange } from '../kit/scorecard';
import type { EducationModels } from './models';

/**
 * The Smart Society pillar's figures, by aggregation over the agency's records for one calendar year: three
 * aggregations (spots, classes, enrolments) answer the whole city or any number of kelurahan at once, so a
 * request for all 46 kelurahan costs three database commands.
 */
export interface SocietyFigures {
  emasSpots: number;
  activeEmasSpots: number;
  participants: number;
  tutors: number;
  classes: number;
  enrolments: number;
}

export const NO_ACTIVITY: SocietyFigures = Object.freeze({
  emasSpots: 0,
  activeEmasSpots: 0,
  participants: 0,
  tutors: 0,
  classes: 0,
  enrolments: 0,
});

/** The key under which city-wide figures are returned. */
export const CITY = 'city';

/**
 * Figures for one year, per kelurahan when `kelurahanCodes` is given (a kelurahan without records is absent
 * from the map), or for the whole city under the key CITY. City figures count each person once, even when they
 * joined classes in two kelurahan.
 */
export async function societyFigures(
  models: EducationModels,
  year: number,
  kelurahanCodes: readonly string[] | null,
): Promise<Map<string, SocietyFigures>> {
  const { start, end } = yearRange(year);
  const place = kelurahanCodes ? { kelurahanCode: { $in: [...kelurahanCodes] } } : {};
  const groupKey = kelurahanCodes ? '$kelurahanCode' : null;

  const [spots, classes, enrolments] = await Promise.all([
    models.Spot.aggregate<{ _id: string | null; existing: number; active: number }>([
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
    ]),
    models.EmasClass.aggregate<{ _id: string | null; classes: number; tutors: number }>([
      { $match: { ...place, year } },
      { $group: { _id: groupKey, classes: { $sum: 1 }, tutorIds: { $addToSet: '$tutorId' } } },
      { $project: { classes: 1, tutors: { $size: '$tutorIds' } } },
    ]),
    models.Enrolment.aggregate<{ _id: string | null; enrolments: number; participants: number }>([
      { $match: { ...place, year } },
      { $group: { _id: groupKey, enrolments: { $sum: 1 }, participantIds: { $addToSet: '$participantId' } } },
      { $project: { enrolments: 1, participants: { $size: '$participantIds' } } },
    ]),
  ]);

  const figures = new Map<string, SocietyFigures>();
  const entry = (key: string | null) => {
    const name = key ?? CITY;
    let found = figures.get(name);
    if (!found) {
      found = { ...NO_ACTIVITY };
      figures.set(name, found);
    }
    return found;
  };
  for (const row of spots) Object.assign(entry(row._id), { emasSpots: row.existing, activeEmasSpots: row.active });
  for (const row of classes) Object.assign(entry(row._id), { classes: row.classes, tutors: row.tutors });
  for (const row of enrolments) Object.assign(entry(row._id), { enrolments: row.enrolments, participants: row.participants });
  return figures;
}
