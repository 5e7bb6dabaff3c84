import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { manyByField, oneByField } from '../kit/loaders';
import type { HealthModels, PatientRecord, ReferralRecord, RequestRecord, VisitRecord } from './models';

/**
 * The health subgraph's DataLoaders, built fresh for every request. Every entity and nested list goes
 * through one of them, so a query over many requests or residents costs one `$in` query per collection,
 * not one per key. (The Smart Living figures are the kit's: see pillar.ts.)
 */
export function createHealthLoaders(models: HealthModels, _identity: Identity) {
  return {
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

/** What every health resolver and mutation receives. */
export type HealthContext = AgencyContext<HealthModels, HealthLoaders>;
