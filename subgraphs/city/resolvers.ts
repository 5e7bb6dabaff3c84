import { mayReadResident } from '../../platform/audit';
import { badUserInput, forbidden } from '../../platform/errors';
import { requireRole } from '../kit/access';
import type { AgencyContext } from '../kit/agency';
import { paginate, type PageArgs } from '../kit/pagination';
import { requireResidentId } from '../kit/residents';
import { KECAMATAN, KELURAHAN, kecamatanByCode, kelurahanByCode, kelurahanByName, requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireYear } from '../kit/validate';
import { verifyChain } from './auditLog';
import type { CityLoaders } from './loaders';
import type { AuditEntryRecord, CityModels } from './models';

type Context = AgencyContext<CityModels, CityLoaders>;

const KELURAHAN_CODE_SHAPE = /^\d\d\.\d\d\.\d\d\.\d{4}$/;

export const resolvers = {
  Query: {
    kelurahanList(_: unknown, args: { kecamatan?: string | null }) {
      if (args.kecamatan === undefined || args.kecamatan === null) return KELURAHAN;
      if (!kecamatanByCode(args.kecamatan)) {
        throw badUserInput('kecamatan', 'a Kota Kediri kecamatan code: 35.71.01, 35.71.02 or 35.71.03', args.kecamatan);
      }
      return KELURAHAN.filter((k) => k.kecamatan.code === args.kecamatan);
    },
    kelurahan(_: unknown, args: { code?: string | null; name?: string | null }) {
      const hasCode = typeof args.code === 'string';
      const hasName = typeof args.name === 'string';
      if (hasCode === hasName) throw badUserInput('code', 'exactly one of code or name', hasCode ? 'both' : 'neither');
      if (hasCode) {
        if (!KELURAHAN_CODE_SHAPE.test(args.code!)) {
          throw badUserInput('code', 'a Kemendagri kelurahan code such as "35.71.01.1005"', args.code);
        }
        return kelurahanByCode(args.code!) ?? null;
      }
      return kelurahanByName(args.name!) ?? null;
    },
    kecamatanList: () => KECAMATAN,
    cityScorecard(_: unknown, args: { year: number }) {
      return { year: requireYear(args.year, 'year') };
    },
    resident(_: unknown, args: { id: string; purpose: string }, context: Context) {
      if (!mayReadResident(context.identity.role)) {
        throw forbidden(
          `Reading a resident across agencies requires the "caseworker" role or an agency role (caller has role "${context.identity.role}").`,
        );
      }
      // The gateway checked and recorded the purpose before asking; the id is checked here, where it is used.
      return { id: requireResidentId(args.id, 'id') };
    },
    residentAccessLog(_: unknown, args: PageArgs & { residentId?: string | null; subject?: string | null }, context: Context) {
      requireRole(context.identity, ['auditor'], 'The resident-access audit log');
      const filter: Record<string, string> = { kind: 'read' };
      if (args.residentId) filter.residentId = requireResidentId(args.residentId, 'residentId');
      if (args.subject) filter.subject = args.subject;
      return paginate<AuditEntryRecord>(context.models.AuditEntry, filter, args);
    },
    residentAccessChain(_: unknown, _args: unknown, context: Context) {
      requireRole(context.identity, ['auditor'], "The audit log's chain check");
      return verifyChain(context);
    },
  },
  ResidentAccessRecord: {
    id: (entry: AuditEntryRecord) => String(entry._id),
    at: (entry: AuditEntryRecord) => entry.at.toISOString(),
    agenciesAsked: async (entry: AuditEntryRecord, _: unknown, context: Context) =>
      (await context.loaders.outcomeOfRead.load(String(entry._id)))?.agenciesAsked ?? [],
    agenciesAnswered: async (entry: AuditEntryRecord, _: unknown, context: Context) =>
      (await context.loaders.outcomeOfRead.load(String(entry._id)))?.agenciesAnswered ?? [],
    outcome: async (entry: AuditEntryRecord, _: unknown, context: Context) =>
      (await context.loaders.outcomeOfRead.load(String(entry._id)))?.outcome ?? 'incomplete',
  },
  Kelurahan: {
    __resolveReference(reference: { code: string }) {
      return kelurahanByCode(reference.code) ?? null;
    },
    scorecard(kelurahan: { code: string }, args: { year: number }) {
      return { kelurahanCode: kelurahan.code, year: requireYear(args.year, 'year') };
    },
  },
  KelurahanScorecard: {
    kelurahan(scorecard: { kelurahanCode: string }) {
      return kelurahanByCode(requireKelurahanCode(scorecard.kelurahanCode, 'kelurahanCode'));
    },
  },
};
