import { notFound } from '../../platform/errors';
import { requireRole } from '../kit/access';
import { mutation, requireStaff } from '../kit/agency';
import { isoDay, kediriYear, todayInKediri } from '../kit/calendar';
import { paginate } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireKelurahanCode, requireObjectId, requireYear } from '../kit/validate';
import type { EnvironmentContext } from './loaders';
import type { DepositDoc, MemberDoc, WasteBankDoc, WasteCategoryDoc, WithdrawalDoc } from './models';
import { registerWasteBankMember } from './mutations/membership';
import { recordWasteDeposit, recordWithdrawal } from './mutations/savings';
import { priceOn, requireWasteBankCode, type DatedPrice } from './rules';

/**
 * The environment subgraph's resolvers: thin. Waste banks and prices are public; a member's data is personal
 * financial data, read by the agency's staff and, through Resident, by caseworkers. The scorecard's
 * environment figures are the kit's, from the read model (see pillar.ts).
 */

/** One helper for `Query.wasteBank` and `WasteBank.__resolveReference`. */
function wasteBankByCode(code: unknown, ctx: EnvironmentContext) {
  if (typeof code !== 'string') return null;
  return ctx.loaders.wasteBankByCode.load(code);
}

/**
 * A member by id. The door to member data is checked where a caller enters it (the member queries for the
 * agency, Resident.wasteBankSavings for caseworkers); references inside data already opened follow freely.
 */
function memberById(id: unknown, ctx: EnvironmentContext) {
  return ctx.loaders.memberById.load(requireObjectId(id, 'id', 'a waste bank member').toHexString());
}

/** A member's deposits or withdrawals, all of them or those of one year on Kediri's calendar. */
function onlyYear<T>(items: T[], year: number | null | undefined, at: (item: T) => Date): T[] {
  if (year === undefined || year === null) return items;
  const wanted = requireYear(year, 'year');
  return items.filter((item) => kediriYear(at(item)) === wanted);
}

export const resolvers = {
  Query: {
    wasteBanks(
      _: unknown,
      args: { kelurahanCode?: string | null; status?: string | null; first?: number | null; after?: string | null },
      ctx: EnvironmentContext,
    ) {
      const filter: Record<string, unknown> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.status) filter.status = args.status;
      return paginate<WasteBankDoc>(ctx.models.WasteBank, filter, args);
    },
    wasteBank: (_: unknown, args: { code: string }, ctx: EnvironmentContext) => wasteBankByCode(args.code, ctx),
    wasteCategories: (_: unknown, __: unknown, ctx: EnvironmentContext) =>
      ctx.models.WasteCategory.find({}).sort({ code: 1 }).lean<WasteCategoryDoc[]>().exec(),
    wasteBankMember(_: unknown, args: { id: string }, ctx: EnvironmentContext) {
      requireStaff(ctx, 'A waste bank member');
      return memberById(args.id, ctx);
    },
    async wasteBankMembers(_: unknown, args: { wasteBankCode: string; first?: number | null; after?: string | null }, ctx: EnvironmentContext) {
      requireStaff(ctx, 'The members of a waste bank');
      const code = requireWasteBankCode(args.wasteBankCode, 'wasteBankCode');
      if (!(await ctx.loaders.wasteBankByCode.load(code))) throw notFound('waste bank', `code ${code}`);
      return paginate<MemberDoc>(ctx.models.Member, { wasteBankCode: code }, args);
    },
  },

  Mutation: {
    registerWasteBankMember: mutation(registerWasteBankMember),
    recordWasteDeposit: mutation(recordWasteDeposit),
    recordWithdrawal: mutation(recordWithdrawal),
  },

  WasteBankStatus: { ACTIVE: 'active', INACTIVE: 'inactive' },
  WithdrawalKind: { CASH: 'cash', LEBARAN: 'lebaran', GROCERIES: 'groceries' },

  WasteBank: {
    __resolveReference: (reference: { code: string }, ctx: EnvironmentContext) => wasteBankByCode(reference.code, ctx),
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
    currentPricePerKg: (category: WasteCategoryDoc) => priceOn(category.prices as DatedPrice[], todayInKediri()) ?? null,
  },

  WasteBankMember: {
    id: (member: MemberDoc) => String(member._id),
    resident: (member: MemberDoc) => ({ id: member.residentId }),
    wasteBank: (member: MemberDoc, _: unknown, ctx: EnvironmentContext) => ctx.loaders.wasteBankByCode.load(member.wasteBankCode),
    joinedOn: (member: MemberDoc) => isoDay(member.joinedAt),
    leftOn: (member: MemberDoc) => (member.leftAt ? isoDay(member.leftAt) : null),
    deposits: async (member: MemberDoc, args: { year?: number | null }, ctx: EnvironmentContext) =>
      onlyYear(await ctx.loaders.depositsByMember.load(String(member._id)), args.year, (d) => d.depositedAt),
    withdrawals: async (member: MemberDoc, args: { year?: number | null }, ctx: EnvironmentContext) =>
      onlyYear(await ctx.loaders.withdrawalsByMember.load(String(member._id)), args.year, (w) => w.withdrawnAt),
  },

  WasteDeposit: {
    id: (deposit: DepositDoc) => String(deposit._id),
    member: (deposit: DepositDoc, _: unknown, ctx: EnvironmentContext) => memberById(String(deposit.memberId), ctx),
    depositedAt: (deposit: DepositDoc) => deposit.depositedAt.toISOString(),
  },

  WasteWithdrawal: {
    id: (withdrawal: WithdrawalDoc) => String(withdrawal._id),
    member: (withdrawal: WithdrawalDoc, _: unknown, ctx: EnvironmentContext) => memberById(String(withdrawal.memberId), ctx),
    withdrawnAt: (withdrawal: WithdrawalDoc) => withdrawal.withdrawnAt.toISOString(),
  },

  Kelurahan: {
    // The kit resolves the reference (null for a code that names no kelurahan), so the code here is known.
    wasteBanks: (kelurahan: { code: string }, _: unknown, ctx: EnvironmentContext) => ctx.loaders.wasteBanksByKelurahan.load(kelurahan.code),
  },

  Resident: {
    wasteBankSavings(resident: { id: string }, _: unknown, ctx: EnvironmentContext) {
      requireRole(ctx.identity, ['caseworker', `agency:${ctx.agency}`], 'Resident.wasteBankSavings (waste bank savings)');
      // A resident unknown to the waste banks simply has no savings here.
      return isResidentId(resident.id) ? ctx.loaders.membershipsByResident.load(resident.id) : [];
    },
  },
};
