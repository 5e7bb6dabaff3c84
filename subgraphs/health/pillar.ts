import type { PipelineStage } from 'mongoose';
import { yearRange } from '../kit/calendar';
import { definePillar, figuresByPlace, type Places } from '../kit/pillar';
import type { HealthModels } from './models';
import { median } from './rules';

/**
 * Smart Living: Homecare, per kelurahan (where the patients live) and for the city, for one calendar year
 * on Kediri's clock:
 * - homecare patients: distinct patients visited in the year;
 * - homecare visits: visits made in the year;
 * - median response hours: the median of the first-visit response times of the requests RECEIVED in the
 *   year that got a visit (a median is not additive: the kit recomputes it from the raw records);
 * - homecare requests: requests received in the year.
 * Every figure of a kelurahan describes its patients, so all are withheld from the public below 5 patients.
 */
export interface LivingFigures {
  homecarePatients: number;
  homecareVisits: number;
  medianResponseHours: number | null;
  homecareRequests: number;
}

export function noLivingFigures(): LivingFigures {
  return { homecarePatients: 0, homecareVisits: 0, medianResponseHours: null, homecareRequests: 0 };
}

/**
 * The living figures of one year for the whole city (`kelurahanCodes` undefined, under the key CITY) or for
 * each of the given kelurahan, in three aggregations whatever the number of kelurahan:
 * - visits made in the year, grouped per patient and then per place (distinct patients and visit count);
 * - the first visit of each request received in the year (its response time), gathered per place;
 * - requests received in the year, counted per place.
 * They run one after the other: inside a write's transaction MongoDB allows no parallel operations.
 */
export async function livingFigures(
  models: HealthModels,
  year: number,
  kelurahanCodes?: readonly string[],
): Promise<Map<string, LivingFigures>> {
  const { start, end } = yearRange(year);
  const scope = kelurahanCodes ? { kelurahanCode: { $in: [...kelurahanCodes] } } : {};
  const place = kelurahanCodes ? '$kelurahanCode' : null;

  const visitStages: PipelineStage[] = [
    { $match: { ...scope, visitedAt: { $gte: start, $lt: end } } },
    { $group: { _id: { place, patient: '$patientResidentId' }, visits: { $sum: 1 } } },
    { $group: { _id: '$_id.place', patients: { $sum: 1 }, visits: { $sum: '$visits' } } },
  ];
  const responseStages: PipelineStage[] = [
    { $match: { ...scope, requestReceivedAt: { $gte: start, $lt: end } } },
    { $group: { _id: '$requestId', place: { $first: place }, hours: { $min: '$responseHours' } } },
    { $group: { _id: '$place', hours: { $push: '$hours' } } },
  ];
  const requestStages: PipelineStage[] = [
    { $match: { ...scope, receivedAt: { $gte: start, $lt: end } } },
    { $group: { _id: place, requests: { $sum: 1 } } },
  ];
  const visitRows = await models.Visit.aggregate<{ _id: string | null; patients: number; visits: number }>(visitStages);
  const responseRows = await models.Visit.aggregate<{ _id: string | null; hours: number[] }>(responseStages);
  const requestRows = await models.HomecareRequest.aggregate<{ _id: string | null; requests: number }>(requestStages);

  const { at: at, figures: figures } = figuresByPlace(noLivingFigures);
  for (const row of visitRows) Object.assign(at(row._id), { homecarePatients: row.patients, homecareVisits: row.visits });
  for (const row of responseRows) at(row._id).medianResponseHours = median(row.hours);
  for (const row of requestRows) at(row._id).homecareRequests = row.requests;
  return figures;
}

const byPatients = { gatedBy: 'homecarePatients' } as const;

export const living = definePillar({
  field: 'living',
  typeName: 'LivingIndicators',
  version: 1,
  people: { homecarePatients: 'patients' },
  empty: noLivingFigures,
  aggregate: (models: HealthModels, year: number, places: Places) => livingFigures(models, year, places ?? undefined),
  fields: {
    homecarePatients: byPatients,
    homecareVisits: byPatients,
    medianResponseHours: byPatients,
    homecareRequests: byPatients,
  },
});
