import type { FilterQuery } from 'mongoose';
import { requireRole } from '../kit/access';
import { compositeKey } from '../kit/loaders';
import { paginate } from '../kit/pagination';
import { isKelurahanCode, requireKelurahanCode } from '../kit/reference/kelurahan';
import { isResidentId } from '../kit/residents';
import { requireYear, scorecardKey, type CityScorecardRef, type KelurahanScorecardRef } from '../kit/scorecard';
import type { AgencyContext } from '../kit/agency';
import { isoDate, requireObjectId, requireRt } from './inputs';
import type { BrandingLoaders } from './loaders';
import type { BrandingModels, ProdamasRoleDoc, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import {
  approveProposal,
  disburseProposal,
  rejectProposal,
  reportProposal,
  submitProposal,
  type ReportProposalInput,
  type SubmitProposalInput,
} from './proposals';
import { APPROVED_STATUSES, PRODAMAS_FIELDS, approvalRoom, emptyApproved, fieldCap, fieldCapShare, type ProdamasField, type ProposalStatus } from './rules';

type Context = AgencyContext<BrandingModels, BrandingLoaders>;

/** Who may read residents' Prodamas roles: Bappeda itself and caseworkers serving the resident. */
const ROLE_READERS = ['agency:branding', 'caseworker'] as const;

/** One helper for `Query.prodamasProposal` and the entity reference: by id, through the per-request loader. */
function proposalById(id: unknown, context: Context): Promise<ProposalDoc | null> {
  return context.loaders.proposalById.load(String(requireObjectId(id, 'id')));
}

/** What an RT has approved so far, summed from its proposals (never from stored totals). */
async function approvedOf(budget: RtBudgetDoc, context: Context) {
  const proposals = await context.loaders.proposalsByBudget.load(String(budget._id));
  const approved = emptyApproved();
  for (const proposal of proposals) {
    if (!APPROVED_STATUSES.includes(proposal.status as ProposalStatus)) continue;
    approved.total += proposal.amount;
    approved.byField[proposal.field as ProdamasField] += proposal.amount;
  }
  return approved;
}

export const resolvers = {
  Query: {
    prodamasProposals(
      _: unknown,
      args: { kelurahanCode?: string | null; year?: number | null; field?: string | null; status?: string | null; first?: number | null; after?: string | null },
      context: Context,
    ) {
      const filter: FilterQuery<ProposalDoc> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.year != null) filter.year = requireYear(args.year, 'year');
      if (args.field != null) filter.field = args.field;
      if (args.status != null) filter.status = args.status;
      return paginate<ProposalDoc>(context.models.Proposal, filter, { first: args.first, after: args.after });
    },
    prodamasProposal: (_: unknown, args: { id: string }, context: Context) => proposalById(args.id, context),
    rtBudget(_: unknown, args: { kelurahanCode: string; rt: number; year: number }, context: Context) {
      const code = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      const rt = requireRt(args.rt, code, 'rt');
      return context.loaders.budgetByNaturalKey.load(compositeKey(code, rt, requireYear(args.year, 'year')));
    },
  },

  Mutation: {
    submitProdamasProposal: (_: unknown, args: { input: SubmitProposalInput }, context: Context) =>
      submitProposal(context.models, context.identity, args.input),
    approveProdamasProposal: (_: unknown, args: { id: string }, context: Context) =>
      approveProposal(context.models, context.identity, args.id),
    rejectProdamasProposal: (_: unknown, args: { id: string; reason: string }, context: Context) =>
      rejectProposal(context.models, context.identity, args.id, args.reason),
    disburseProdamasProposal: (_: unknown, args: { id: string; disbursedAt: string }, context: Context) =>
      disburseProposal(context.models, context.identity, args.id, args.disbursedAt),
    reportProdamasProposal: (_: unknown, args: { input: ReportProposalInput }, context: Context) =>
      reportProposal(context.models, context.identity, args.input),
  },

  ProdamasProposal: {
    __resolveReference: (reference: { id: string }, context: Context) => proposalById(reference.id, context),
    id: (proposal: ProposalDoc) => String(proposal._id),
    submittedAt: (proposal: ProposalDoc) => isoDate(proposal.submittedAt),
    rejectionReason: (proposal: ProposalDoc) => proposal.rejectionReason ?? null,
    realization: (proposal: ProposalDoc, _: unknown, context: Context) =>
      context.loaders.realizationByProposal.load(String(proposal._id)),
    budget: (proposal: ProposalDoc, _: unknown, context: Context) => context.loaders.budgetById.load(String(proposal.budgetId)),
    kelurahan: (proposal: ProposalDoc) => ({ code: proposal.kelurahanCode }),
  },

  ProdamasStatusChange: {
    at: (change: { at: Date }) => isoDate(change.at),
  },

  ProdamasRealization: {
    id: (realization: RealizationDoc) => String(realization._id),
    proposalId: (realization: RealizationDoc) => String(realization.proposalId),
    reportedAt: (realization: RealizationDoc) => isoDate(realization.reportedAt),
  },

  RtBudget: {
    id: (budget: RtBudgetDoc) => String(budget._id),
    approvedAmount: async (budget: RtBudgetDoc, _: unknown, context: Context) => (await approvedOf(budget, context)).total,
    remainingAmount: async (budget: RtBudgetDoc, _: unknown, context: Context) =>
      Math.max(0, budget.ceiling - (await approvedOf(budget, context)).total),
    fields: async (budget: RtBudgetDoc, _: unknown, context: Context) => {
      const approved = await approvedOf(budget, context);
      return PRODAMAS_FIELDS.map((field) => ({
        field,
        capShare: fieldCapShare(field, budget.year),
        cap: fieldCap(field, budget.year, budget.ceiling),
        approvedAmount: approved.byField[field],
        remainingAmount: approvalRoom(field, budget.year, budget.ceiling, approved).remaining,
      }));
    },
    proposals: (budget: RtBudgetDoc, _: unknown, context: Context) => context.loaders.proposalsByBudget.load(String(budget._id)),
    kelurahan: (budget: RtBudgetDoc) => ({ code: budget.kelurahanCode }),
  },

  Kelurahan: {
    __resolveReference: (reference: { code: string }) => (isKelurahanCode(reference.code) ? { code: reference.code } : null),
    prodamasBudgets: (kelurahan: { code: string }, args: { year: number }, context: Context) =>
      context.loaders.budgetsByKelurahanYear.load(compositeKey(kelurahan.code, requireYear(args.year, 'year'))),
    prodamas: (kelurahan: { code: string }, args: { year: number }, context: Context) =>
      context.loaders.kelurahanIndicators.load(scorecardKey({ kelurahanCode: kelurahan.code, year: args.year })),
  },

  CityScorecard: {
    branding: (scorecard: CityScorecardRef, _: unknown, context: Context) =>
      context.loaders.cityIndicators.load(requireYear(scorecard.year, 'year')),
  },

  KelurahanScorecard: {
    branding: (scorecard: KelurahanScorecardRef, _: unknown, context: Context) =>
      context.loaders.kelurahanIndicators.load(scorecardKey(scorecard)),
  },

  Resident: {
    async prodamasRoles(resident: { id: string }, _: unknown, context: Context) {
      requireRole(context.identity, ROLE_READERS, "A resident's Prodamas roles (personal data held by Bappeda)");
      // An id that cannot be a resident id is simply a resident this agency does not know.
      if (!isResidentId(resident.id)) return [];
      const roles = await context.loaders.rolesByResident.load(resident.id);
      return roles.map((role: ProdamasRoleDoc) => ({
        role: role.role,
        kelurahanCode: role.kelurahanCode,
        rw: role.rw,
        rt: role.rt,
        year: role.year,
      }));
    },
  },

  ProdamasField: { INFRASTRUCTURE: 'infrastructure', HEALTH: 'health', SOCIAL: 'social', ECONOMY: 'economy' },
  ProdamasImplementingGroup: { POKMAS: 'pokmas', PKK: 'pkk', KARANG_TARUNA: 'karang_taruna', LPMK: 'lpmk' },
  ProdamasProposalStatus: {
    PROPOSED: 'proposed',
    APPROVED: 'approved',
    DISBURSED: 'disbursed',
    IN_PROGRESS: 'in_progress',
    REPORTED: 'reported',
    COMPLETED: 'completed',
    REJECTED: 'rejected',
  },
  ProdamasRoleKind: {
    RT_CHAIR: 'rt_chair',
    POKMAS_MEMBER: 'pokmas_member',
    PKK_MEMBER: 'pkk_member',
    KARANG_TARUNA_MEMBER: 'karang_taruna_member',
    LPMK_MEMBER: 'lpmk_member',
  },
};
