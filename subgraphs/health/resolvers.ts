import type { FilterQuery } from 'mongoose';
import { requireOwningAgency, requireRole } from '../kit/access';
import { mutation } from '../kit/agency';
import { yearRange } from '../kit/calendar';
import { paginate, type PageArgs } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireKelurahanCode, requireObjectId, requireOneOf, requireYear } from '../kit/validate';
import type { HealthContext } from './loaders';
import type { PatientRecord, ReferralRecord, RequestRecord, VisitRecord } from './models';
import { receiveHomecareRequest, recordHomecareVisit } from './mutations';
import { living } from './pillar';
import { firstResponseHours, PRIORITIES, REQUEST_STATUSES } from './rules';
import { idOf } from '../kit/output';

/**
 * The health subgraph's resolvers: thin. Health data is specific personal data under the PDP law, so every
 * way into a patient, request, visit or referral starts with the owning-agency check (and, through
 * Resident, the caseworker's role, under the gateway's grant the kit checks); the Smart Living figures are
 * the pillar's (pillar.ts), public with small counts withheld.
 */

const iso = (date: Date) => date.toISOString();

/** One helper behind both `Query.homecareRequest` and `HomecareRequest.__resolveReference`. */
function homecareRequestById(id: unknown, context: HealthContext): Promise<RequestRecord | null> {
  requireOwningAgency(context.identity, context.agency, 'A homecare request');
  return context.loaders.requestById.load(requireObjectId(id, 'id', 'a homecare request').toHexString());
}

export const resolvers = {
  Query: {
    homecareRequests(
      _: unknown,
      args: PageArgs & { status?: string | null; priority?: string | null; kelurahanCode?: string | null; year?: number | null },
      context: HealthContext,
    ) {
      requireOwningAgency(context.identity, context.agency, 'Homecare requests');
      const filter: FilterQuery<RequestRecord> = {};
      if (args.status != null) filter.status = requireOneOf(args.status, 'status', REQUEST_STATUSES);
      if (args.priority != null) filter.priority = requireOneOf(args.priority, 'priority', PRIORITIES);
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.year != null) {
        const { start, end } = yearRange(requireYear(args.year, 'year'));
        filter.receivedAt = { $gte: start, $lt: end };
      }
      return paginate<RequestRecord>(context.models.HomecareRequest, filter, args);
    },
    homecareRequest: (_: unknown, args: { id: string }, context: HealthContext) => homecareRequestById(args.id, context),
  },

  Mutation: {
    receiveHomecareRequest: mutation(receiveHomecareRequest),
    recordHomecareVisit: mutation(recordHomecareVisit),
  },

  HomecareRequest: {
    __resolveReference: (reference: { id: string }, context: HealthContext) => homecareRequestById(reference.id, context),
    id: idOf,
    receivedAt: (request: RequestRecord) => iso(request.receivedAt),
    async responseHours(request: RequestRecord, _: unknown, context: HealthContext) {
      const visits = await context.loaders.visitsByRequestId.load(idOf(request));
      return firstResponseHours(request.receivedAt, visits.map((visit) => visit.visitedAt));
    },
    patient: (request: RequestRecord, _: unknown, context: HealthContext) =>
      context.loaders.patientByResidentId.load(request.patientResidentId),
    visits: (request: RequestRecord, _: unknown, context: HealthContext) => context.loaders.visitsByRequestId.load(idOf(request)),
    referrals: (request: RequestRecord, _: unknown, context: HealthContext) =>
      context.loaders.referralsByRequestId.load(idOf(request)),
  },

  HomecarePatient: {
    birthDate: (patient: PatientRecord) => iso(patient.birthDate).slice(0, 10),
    registeredAt: (patient: PatientRecord) => iso(patient.registeredAt),
  },

  HomecareVisit: {
    id: idOf,
    requestId: (visit: VisitRecord) => visit.requestId.toHexString(),
    visitedAt: (visit: VisitRecord) => iso(visit.visitedAt),
  },

  HomecareReferral: {
    id: idOf,
    requestId: (referral: ReferralRecord) => referral.requestId.toHexString(),
    referredAt: (referral: ReferralRecord) => iso(referral.referredAt),
  },

  Resident: {
    async homecare(resident: { id: string }, _: unknown, context: HealthContext) {
      requireRole(context.identity, ['caseworker', `agency:${context.agency}`], "A resident's homecare record");
      // An id that is not a resident id cannot belong to anyone the agency knows: no record, not an error.
      if (!isResidentId(resident.id)) return null;
      const patient = await context.loaders.patientByResidentId.load(resident.id);
      return patient ? { residentId: resident.id, patient } : null;
    },
  },

  ResidentHomecare: {
    requests: (record: { residentId: string }, _: unknown, context: HealthContext) =>
      context.loaders.requestsByResidentId.load(record.residentId),
    visits: (record: { residentId: string }, _: unknown, context: HealthContext) =>
      context.loaders.visitsByResidentId.load(record.residentId),
    referrals: (record: { residentId: string }, _: unknown, context: HealthContext) =>
      context.loaders.referralsByResidentId.load(record.residentId),
  },

  /** The kelurahan's living pillar, under the name the health agency gave it first. */
  Kelurahan: {
    homecare: (kelurahan: { code: string }, args: { year: number }, context: HealthContext) =>
      living.figuresOf(context, kelurahan.code, requireYear(args.year, 'year')),
  },
};
