import DataLoader from 'dataloader';
import type { PipelineStage } from 'mongoose';
import type { Identity } from '../../platform/identity';
import { manyByField, oneByField, figuresByKelurahanYear } from '../kit/loaders';
import { yearRange } from '../kit/scorecard';
import type { HealthModels, PatientRecord, ReferralRecord, RequestRecord, VisitRecord } from './models';
import { median } from './rules';

/**
 * The health subgraph's per-request DataLoaders. Every entity and nested list goes through one of them, so a
 * query over many requests, residents or kelurahan costs a few `$in` queries and aggregations, not one per key.
 */

/** The Smart Living figures of one place (the city or one kelurahan) in one calendar year. */
export interface LivingFigures {
  homecarePatients: number;
  homecareVisits: number;
  medianResponseHours: number | null;
  homecareRequests: number;
}

const NO_ACTIVITY: LivingFigures = { homecarePatients: 0, homecareVisits: 0, medianResponseHours: null, homecareRequests: 0 };

/** Group key of city-wide figures, which are grouped by `null` in the aggregations. */
const CITY = 'city';

/**
 * The living pillar of one year for the whole city (`kelurahanCodes` undefined) or for each of the given
 * kelurahan, in three aggregations whatever the number of kelurahan:
 * - visits made in the year, grouped per patient and then per place (distinct patients and visit count);
 * - the first visit of each request received in the year (its response time), gathered per place;
 * - requests received in the year, counted per place.
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
  const [visitRows, responseRows, requestRows] = await Promise.all([
    models.Visit.aggregate<{ _id: string | null; patients: number; visits: number }>(visitStages),
    models.Visit.aggregate<{ _id: string | null; hours: number[] }>(responseStages),
    models.HomecareRequest.aggregate<{ _id: string | null; requests: number }>(requestStages),
  ]);

  const figures = new Map<string, LivingFigures>();
  const at = (id: string | null) => {
    const key = id ?? CITY;
    if (!figures.has(key)) figures.set(key, { ...NO_ACTIVITY });
    return figures.get(key)!;
  };
  for (const row of visitRows) Object.assign(at(row._id), { homecarePatients: row.patients, homecareVisits: row.visits });
  for (const row of responseRows) at(row._id).medianResponseHours = median(row.hours);
  for (const row of requestRows) at(row._id).homecareRequests = row.requests;
  return figures;
}

export function createHealthLoaders(models: HealthModels, _identity: Identity) {
  return {
    /** City figures by year. */
    cityLiving: new DataLoader<number, LivingFigures>(async (years) =>
      Promise.all(years.map(async (year) => (await livingFigures(models, year)).get(CITY) ?? NO_ACTIVITY)),
    ),

    /** Kelurahan figures by `compositeKey(kelurahanCode, year)`: one set of aggregations per year asked. */
    kelurahanLiving: figuresByKelurahanYear((year, codes) => livingFigures(models, year, codes), () => NO_ACTIVITY),

    patientByResidentId: oneByField<PatientRecord>(models.Patient, 'residentId'),
    requestById: oneByField<RequestRecord>(models.HomecareRequest, '_id'),
    requestsByResidentId: manyByField<RequestRecord>(models.HomecareRequest, 'patientResidentId', { sort: { receivedAt: 1 } }),
    visitsByResidentId: manyByField<VisitRecord>(models.Visit, 'patientResidentId', { sort: { visitedAt: 1 } }),
    visitsByRequestId: manyByField<VisitRecord>(models.Visit, 'requestId', { sort: { visitedAt: 1 } }),
    referralsByResidentId: manyByField<ReferralRecord>(models.Referral, 'patientResidentId', { sort: { referredAt: 1 } }),
    referralsByRequestId: manyByField<ReferralRecord>(models.Referral, 'requestId', { sort: { referredAt: 1 } }),
  };
}

export type HealthLoaders = ReturnType<typeof createHealthLoaders>;
