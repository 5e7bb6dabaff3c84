import { peopleCount, requireOwningAgency, requireRole } from '../kit/access';
import { badUserInput } from '../../platform/errors';
import { paginate } from '../kit/pagination';
import { isKelurahanCode, requireKelurahanCode } from '../kit/reference/kelurahan';
import { isResidentId } from '../kit/residents';
import { requireYear, scorecardKey } from '../kit/scorecard';
import type { AgencyContext } from '../kit/agency';
import type { EnvironmentFigures } from './indicators';
import type { EnvironmentLoaders } from './loaders';
import type { DepositDoc, EnvironmentModels, MemberDoc, WasteBankDoc, WasteCategoryDoc, WithdrawalDoc } from './models';
import { AGENCY, recordDeposit, recordWithdrawal, registerMember, requireMemberId, requireWasteBankCode } from './mutations';
import { isoDay, priceOn, tonnesFromKg, type DatedPrice } from './rules';

type Context = AgencyContext<EnvironmentModels, EnvironmentLoaders>;

/** The pillar for one scope; kelurahan-level figures about people are guarded for public callers. */
type Indicators = EnvironmentFigures & { level: 'city' | 'kelurahan'; label: string };

/** One helper for `Query.wasteBank` and `WasteBank.__resolveReference`. */
function wasteBankByCode(code: unknown, context: Context) {
  if (typeof code !== 'string') return null;
  return context.loaders.wasteBankByCode.load(code);
}

/**
 * A member by id. The door to member data is checked where a caller enters it (the member queries for the
 * agency, Resident.wasteBankSavings for caseworkers); references inside data already opened follow freely.
 */
function memberById(id: unknown, context: Context) {
  return context.loaders.memberById.load(requireMemberId(id, 'id'));
}

/** Members of a kelurahan are people: public callers get small counts withheld, and what derives from them. */
function aboutPeople(indicators: Indicators, context: Context, what: string): void {
  if (indicators.level === 'kelurahan') {
    peopleCount(context.identity, indicators.members, `${what} for ${indicators.label}, derived from its waste bank members,`);
  }
}

function onlyYear<T>(items: T[], year: number | null | undefined, date: (item: T) => Date): T[] {
  if (year === undefined || year === null) return items;
  requireYear(year, 'year');
  return items.filter((item) => date(item).getUTCFullYear() === year);
}

export const resolvers = {
  Query: {
    wasteBanks(
      _: unknown,
      args: { kelurahanCode?: string | null; status?: string | null; first?: number | null; after?: string | null },
      context: Context,
    ) {
      const filter: Record<string, unknown> = {};
      if (args.kelurahanCode !== undefined && args.kelurahanCode !== null) {
        filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      }
      if (args.status) filter.status = args.status;
      return paginate<WasteBankDoc>(context.models.WasteBank, filter, args);
    },
    wasteBank: (_: unknown, args: { code: string }, context: Context) => wasteBankByCode(args.code, context),
    wasteCategories: (_: unknown, __: unknown, context: Context) =>
      context.models.WasteCategory.find({}).sort({ code: 1 }).lean<WasteCategoryDoc[]>().exec(),
    wasteBankMember(_: unknown, args: { id: string }, context: Context) {
      requireOwningAgency(context.identity, AGENCY, 'A waste bank member');
      return memberById(args.id, context);
    },
    async wasteBankMembers(
      _: unknown,
      args: { wasteBankCode: string; first?: number | null; after?: string | null },
      context: Context,
    ) {
      requireOwningAgency(context.identity, AGENCY, 'The members of a waste bank');
      const code = requireWasteBankCode(args.wasteBankCode, 'wasteBankCode');
      if (!(await context.loaders.wasteBankByCode.load(code))) {
        throw badUserInput('wasteBankCode', 'the code of a registered waste bank', code);
      }
      return paginate<MemberDoc>(context.models.Member, { wasteBankCode: code }, args);
    },
  },
  Mutation: {
    registerWasteBankMember: (_: unknown, args: { input: any }, context: Context) => registerMember(context, args.input),
    recordWasteDeposit: (_: unknown, args: { input: any }, context: Context) => recordDeposit(context, args.input),
    recordWithdrawal: (_: unknown, args: { input: any }, context: Context) => recordWithdrawal(context, args.input),
  },
  WasteBankStatus: { ACTIVE: 'active', INACTIVE: 'inactive' },
  WithdrawalKind: { CASH: 'cash', LEBARAN: 'lebaran', GROCERIES: 'groceries' },
  WasteBank: {
    __resolveReference: (reference: { code: string }, context: Context) => wasteBankByCode(reference.code, context),
    kelurahan: (bank: WasteBankDoc) => ({ code: bank.kelurahanCode }),
    establishedOn: (bank: WasteBankDoc) => isoDay(bank.establishedAt),
    activePeriods: (bank: WasteBankDoc) =>
      bank.activePeriods.map((p) => ({ from: isoDay(p.from), until: p.until ? isoDay(p.until) : null })),
  },
  WasteCategory: {
    prices: (category: WasteCategoryDoc) =>
      [...category.prices]
        .sort((a, b) => a.validFrom.getTime() - b.validFrom.getTime())
        .map((p) => ({ validFrom: isoDay(p.validFrom), pricePerKg: p.pricePerKg })),
    currentPricePerKg: (category: WasteCategoryDoc) => priceOn(category.prices as DatedPrice[], new Date()) ?? null,
  },
  WasteBankMember: {
    id: (member: MemberDoc) => String(member._id),
    resident: (member: MemberDoc) => ({ id: member.residentId }),
    wasteBank: (member: MemberDoc, _: unknown, context: Context) => context.loaders.wasteBankByCode.load(member.wasteBankCode),
    joinedOn: (member: MemberDoc) => isoDay(member.joinedAt),
    leftOn: (member: MemberDoc) => (member.leftAt ? isoDay(member.leftAt) : null),
    balance: (member: MemberDoc, _: unknown, context: Context) => context.loaders.balanceByMember.load(String(member._id)),
    deposits: async (member: MemberDoc, args: { year?: number | null }, context: Context) =>
      onlyYear(await context.loaders.depositsByMember.load(String(member._id)), args.year, (d) => d.depositedAt),
    withdrawals: async (member: MemberDoc, args: { year?: number | null }, context: Context) =>
      onlyYear(await context.loaders.withdrawalsByMember.load(String(member._id)), args.year, (w) => w.withdrawnAt),
  },
  WasteDeposit: {
    id: (deposit: DepositDoc) => String(deposit._id),
    member: (deposit: DepositDoc, _: unknown, context: Context) => memberById(String(deposit.memberId), context),
    depositedAt: (deposit: DepositDoc) => deposit.depositedAt.toISOString(),
  },
  WasteWithdrawal: {
    id: (withdrawal: WithdrawalDoc) => String(withdrawal._id),
    member: (withdrawal: WithdrawalDoc, _: unknown, context: Context) => memberById(String(withdrawal.memberId), context),
    withdrawnAt: (withdrawal: WithdrawalDoc) => withdrawal.withdrawnAt.toISOString(),
  },
  Kelurahan: {
    __resolveReference: (reference: { code: string }) => ({ code: reference.code }),
    // An unknown code is not an error here: the city subgraph owns the list and answers null for it.
    wasteBanks: (kelurahan: { code: string }, _: unknown, context: Context) =>
      isKelurahanCode(kelurahan.code) ? context.loaders.wasteBanksByKelurahan.load(kelurahan.code) : null,
  },
  CityScorecard: {
    __resolveReference: (reference: { year: number }) => ({ year: reference.year }),
    async environment(scorecard: { year: number }, _: unknown, context: Context): Promise<Indicators> {
      const year = requireYear(scorecard.year, 'year');
      return { ...(await context.loaders.cityFigures.load(year)), level: 'city', label: `the city in ${year}` };
    },
  },
  KelurahanScorecard: {
    __resolveReference: (reference: { kelurahanCode: string; year: number }) => reference,
    async environment(scorecard: { kelurahanCode: string; year: number }, _: unknown, context: Context): Promise<Indicators> {
      const figures = await context.loaders.kelurahanFigures.load(scorecardKey(scorecard));
      return { ...figures, level: 'kelurahan', label: `kelurahan ${scorecard.kelurahanCode} in ${scorecard.year}` };
    },
  },
  EnvironmentIndicators: {
    inactiveWasteBanks: (p: Indicators) => p.wasteBanks - p.activeWasteBanks,
    members(p: Indicators, _: unknown, context: Context) {
      return p.level === 'kelurahan' ? peopleCount(context.identity, p.members, `Waste bank members for ${p.label}`) : p.members;
    },
    tonnesRecovered(p: Indicators, _: unknown, context: Context) {
      aboutPeople(p, context, 'Tonnes recovered');
      return tonnesFromKg(p.kgRecovered);
    },
    deposits(p: Indicators, _: unknown, context: Context) {
      aboutPeople(p, context, 'The number of deposits');
      return p.deposits;
    },
    depositValue(p: Indicators, _: unknown, context: Context) {
      aboutPeople(p, context, 'Deposit value');
      return p.depositValue;
    },
  },
  Resident: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    wasteBankSavings(resident: { id: string }, _: unknown, context: Context) {
      requireRole(context.identity, ['caseworker', `agency:${AGENCY}`], 'Resident.wasteBankSavings (waste bank savings)');
      // A resident unknown to the waste banks simply has no savings here.
      return isResidentId(resident.id) ? context.loaders.membershipsByResident.load(resident.id) : [];
    },
  },
};
