import { requireRole } from '../kit/access';
import { badUserInput, forbidden } from '../../platform/errors';
import { paginate, type PageArgs } from '../kit/pagination';
import { requireResidentId } from '../kit/residents';
import {
  KECAMATAN,
  KELURAHAN,
  kecamatanByCode,
  kelurahanByCode,
  kelurahanByName,
  requireKelurahanCode,
} from '../kit/reference/kelurahan';
import { requireYear } from '../kit/scorecard';
import type { SubgraphContext } from '../kit/subgraph';
import type { CityModels, ResidentAccess } from './models';

type Context = SubgraphContext<CityModels>;

const KELURAHAN_CODE_SHAPE = /^\d\d\.\d\d\.\d\d\.\d{4}$/;

/** Roles that may open one resident's record, each seeing what its rules allow. */
function mayReadResident(role: string): boolean {
  return role === 'caseworker' || role.startsWith('agency:');
}

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
      const id = requireResidentId(args.id, 'id');
      if (args.purpose.trim().length < 5) {
        throw badUserInput('purpose', 'a stated purpose of at least 5 characters (what service this read is for)', args.purpose);
      }
      return { id };
    },
    residentAccessLog(_: unknown, args: PageArgs & { residentId?: string | null; subject?: string | null }, context: Context) {
      requireRole(context.identity, ['auditor'], 'The resident-access audit log');
      const filter: Record<string, string> = {};
      if (args.residentId) filter.residentId = requireResidentId(args.residentId, 'residentId');
      if (args.subject) filter.subject = args.subject;
      return paginate<ResidentAccess>(context.models.ResidentAccess, filter, args);
    },
  },
  ResidentAccessRecord: {
    id: (record: ResidentAccess) => String(record._id),
    at: (record: ResidentAccess) => record.at.toISOString(),
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
