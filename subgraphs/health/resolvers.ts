import type { FilterQuery } from 'mongoose';
import { peopleCount, requireOwningAgency, requireRole } from '../kit/access';
import { badUserInput } from '../../platform/errors';
import { compositeKey } from '../kit/loaders';
import { paginate, type PageArgs } from '../kit/pagination';
import { isKelurahanCode, requireKelurahanCode } from '../kit/reference/kelurahan';
import { isResidentId } from '../kit/residents';
import { requireYear, scorecardKey, yearRange } from '../kit/scorecard';
import type { AgencyContext } from '../kit/agency';
import type { HealthLoaders, LivingFigures } from './loaders';
import type { HealthModels, PatientRecord, ReferralRecord, RequestRecord, VisitRecord } from './models';
import { receiveHomecareRequest, recordHomecareVisit, type ReceiveRequestInput, type RecordVisitInput } from './mutations';
import { firstResponseHours, type RequestStatus } from './rules';

type Context = AgencyContext<HealthModels, HealthLoaders>;

const AGENCY = 'health';

/** Who may read one resident's homecare record: the health agency itself and cross-agency caseworkers. */
const RESIDENT_READERS = ['caseworker', 'agency:health'] as const;

/** Where a LivingIndicators object comes from; its fields load the figures through the request's loaders. */
type LivingScope = { kelurahanCode?: string; year: number };

/** One helper behind both `Query.homecareRequest` and `HomecareRequest.__resolveReference`. */
async function homecareRequestById(id: string, context: Context): Promise<RequestRecord | null> {
  requireOwningAgency(context.identity, AGENCY, 'A homecare request');
  if (!/^[0-9a-f]{24}$/.test(id)) throw badUserInput('id', 'a homecare request id (24 hex digits)', id);
  return context.loaders.requestById.load(id);
}

/**
 * The figures of a LivingIndicators object. At kelurahan level a public caller is refused every figure when
 * fewer than 5 patients were visited, with the same error on each field: the visit count or the median
 * response time of two or three people would describe those people.
 */
async function livingFigures(scope: LivingScope, context: Context): Promise<LivingFigures> {
  if (scope.kelurahanCode === undefined) return context.loaders.cityLiving.load(scope.year);
  const figures = await context.loaders.kelurahanLiving.load(compositeKey(scope.kelurahanCode, scope.year));
  peopleCount(
    context.identity,
    figures.homecarePatients,
    `Homecare figures of kelurahan ${scope.kelurahanCode} in ${scope.year}`,
  );
  return figures;
}

const iso = (date: Date) => date.toISOString();

export const resolvers = {
  Query: {
    homecareRequests(
      _: unknown,
      args: PageArgs & { status?: RequestStatus | null; priority?: string | null; kelurahanCode?: string | null; year?: number | null },
      context: Context,
    ) {
      requireOwningAgency(context.identity, AGENCY, 'Homecare requests');
      const filter: FilterQuery<RequestRecord> = {};
      if (args.status) filter.status = args.status;
      if (args.priority) filter.priority = args.priority;
      if (args.kelurahanCode !== undefined && args.kelurahanCode !== null) {
        filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      }
      if (args.year !== undefined && args.year !== null) {
        const { start, end } = yearRange(requireYear(args.year, 'year'));
        filter.receivedAt = { $gte: start, $lt: end };
      }
      return paginate<RequestRecord>(context.models.HomecareRequest, filter, args);
    },
    homecareRequest: (_: unknown, args: { id: string }, context: Context) => homecareRequestById(args.id, context),
  },

  Mutation: {
    receiveHomecareRequest: (_: unknown, args: { input: ReceiveRequestInput }, context: Context) =>
      receiveHomecareRequest(context.models, context.identity, context.secrets, args.input),
    recordHomecareVisit: (_: unknown, args: { input: RecordVisitInput }, context: Context) =>
      recordHomecareVisit(context.models, context.identity, args.input),
  },

  HomecareRequest: {
    __resolveReference: (reference: { id: string }, context: Context) => homecareRequestById(reference.id, context),
    id: (request: RequestRecord) => request._id.toHexString(),
    receivedAt: (request: RequestRecord) => iso(request.receivedAt),
    async responseHours(request: RequestRecord, _: unknown, context: Context) {
      const visits = await context.loaders.visitsByRequestId.load(request._id.toHexString());
      return firstResponseHours(request.receivedAt, visits.map((visit) => visit.visitedAt));
    },
    patient: (request: RequestRecord, _: unknown, context: Context) =>
      context.loaders.patientByResidentId.load(request.patientResidentId),
    visits: (request: RequestRecord, _: unknown, context: Context) =>
      context.loaders.visitsByRequestId.load(request._id.toHexString()),
    referrals: (request: RequestRecord, _: unknown, context: Context) =>
      context.loaders.referralsByRequestId.load(request._id.toHexString()),
  },

  HomecarePatient: {
    birthDate: (patient: PatientRecord) => iso(patient.birthDate).slice(0, 10),
    registeredAt: (patient: PatientRecord) => iso(patient.registeredAt),
  },

  HomecareVisit: {
    id: (visit: VisitRecord) => visit._id.toHexString(),
    requestId: (visit: VisitRecord) => visit.requestId.toHexString(),
    visitedAt: (visit: VisitRecord) => iso(visit.visitedAt),
  },

  HomecareReferral: {
    id: (referral: ReferralRecord) => referral._id.toHexString(),
    requestId: (referral: ReferralRecord) => referral.requestId.toHexString(),
    referredAt: (referral: ReferralRecord) => iso(referral.referredAt),
  },

  Resident: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    async homecare(resident: { id: string }, _: unknown, context: Context) {
      requireRole(context.identity, RESIDENT_READERS, "A resident's homecare record");
      if (!isResidentId(resident.id)) return null;
      const patient = await context.loaders.patientByResidentId.load(resident.id);
      return patient ? { residentId: resident.id, patient } : null;
    },
  },

  ResidentHomecare: {
    requests: (record: { residentId: string }, _: unknown, context: Context) =>
      context.loaders.requestsByResidentId.load(record.residentId),
    visits: (record: { residentId: string }, _: unknown, context: Context) =>
      context.loaders.visitsByResidentId.load(record.residentId),
    referrals: (record: { residentId: string }, _: unknown, context: Context) =>
      context.loaders.referralsByResidentId.load(record.residentId),
  },

  Kelurahan: {
    __resolveReference: (reference: { code: string }) => (isKelurahanCode(reference.code) ? { code: reference.code } : null),
    homecare: (kelurahan: { code: string }, args: { year: number }): LivingScope => ({
      kelurahanCode: kelurahan.code,
      year: requireYear(args.year, 'year'),
    }),
  },

  CityScorecard: {
    living: (scorecard: { year: number }): LivingScope => ({ year: requireYear(scorecard.year, 'year') }),
  },

  KelurahanScorecard: {
    living(scorecard: { kelurahanCode: string; year: number }): LivingScope {
      scorecardKey(scorecard); // validates both parts of the key
      return { kelurahanCode: scorecard.kelurahanCode, year: scorecard.year };
    },
  },

  LivingIndicators: {
    homecarePatients: async (scope: LivingScope, _: unknown, context: Context) =>
      (await livingFigures(scope, context)).homecarePatients,
    homecareVisits: async (scope: LivingScope, _: unknown, context: Context) =>
      (await livingFigures(scope, context)).homecareVisits,
    medianResponseHours: async (scope: LivingScope, _: unknown, context: Context) =>
      (await livingFigures(scope, context)).medianResponseHours,
    homecareRequests: async (scope: LivingScope, _: unknown, context: Context) =>
      (await livingFigures(scope, context)).homecareRequests,
  },
};
