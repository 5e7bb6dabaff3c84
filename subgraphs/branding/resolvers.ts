import type { FilterQuery } from 'mongoose';
import { requireRole } from '../kit/access';
import { mutation } from '../kit/agency';
import { compositeKey } from '../kit/loaders';
import { paginate } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireInteger, requireKelurahanCode, requireObjectId, requireOneOf, requireYear } from '../kit/validate';
import type { BrandingContext } from './loaders';
import type { ProdamasRoleDoc, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import { approveProposal, disburseProposal, rejectProposal, reportProposal, submitProposal } from './mutations/proposals';
import { prodamas } from './pillar';
import { PRODAMAS_FIELDS, PROPOSAL_STATUSES, approvalRoom, fieldCap, fieldCapShare, rtCount, sumApproved } from './rules';
import { isoOrNull as iso } from '../kit/output';

/**
 * The branding subgraph's resolvers: thin. They check access and arguments, then hand over to the loaders,
 * the pillar and the mutations. Budgets and proposals are public data of the city; who holds a Prodamas
 * role is personal data, read only by Bappeda and caseworkers. The scorecard's branding pillar is the
 * kit's (see pillar.ts); `Kelurahan.prodamas` shows the same figures.
 */

/** One helper for `Query.prodamasProposal` and the entity reference: by id, through the per-request loader. */
function proposalById(id: unknown, context: BrandingContext): Promise<ProposalDoc | null> {
  return context.loaders.proposalById.load(requireObjectId(id, 'id', 'a Prodamas proposal').toHexString());
}

/** What an RT has approved so far, summed from its proposals (never from stored totals). */
async function approvedOf(budget: RtBudgetDoc, context: BrandingContext) {
  return sumApproved(await context.loaders.proposalsByBudget.load(String(budget._id)));
}

export interface ProposalListArgs {
  kelurahanCode?: string | null;
  year?: number | null;
  field?: string | null;
  status?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * The filter of the public list of proposals, from its arguments. Every combination of them is paged in
 * `_id` order through an index (see models.ts), which the tests check with explain.
 */
export function proposalListFilter(args: ProposalListArgs): FilterQuery<ProposalDoc> {
  const filter: FilterQuery<ProposalDoc> = {};
  if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
  if (args.year != null) filter.year = requireYear(args.year, 'year');
  if (args.field != null) filter.field = requireOneOf(args.field, 'field', PRODAMAS_FIELDS);
  if (args.status != null) filter.status = requireOneOf(args.status, 'status', PROPOSAL_STATUSES);
  return filter;
}

export const resolvers = {
  Query: {
    prodamasProposals: (_: unknown, args: ProposalListArgs, context: BrandingContext) =>
      paginate<ProposalDoc>(context.models.Proposal, proposalListFilter(args), { first: args.first, after: args.after }),
    prodamasProposal: (_: unknown, args: { id: string }, context: BrandingContext) => proposalById(args.id, context),
    rtBudget(_: unknown, args: { kelurahanCode: string; rt: number; year: number }, context: BrandingContext) {
      const code = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      const rt = requireInteger(args.rt, 'rt', { min: 1, max: rtCount(code) });
      return context.loaders.budgetByNaturalKey.load(compositeKey(code, rt, requireYear(args.year, 'year')));
    },
  },

  Mutation: {
    submitProdamasProposal: mutation(submitProposal),
    approveProdamasProposal: mutation(approveProposal),
    rejectProdamasProposal: mutation(rejectProposal),
    disburseProdamasProposal: mutation(disburseProposal),
    reportProdamasProposal: mutation(reportProposal),
  },

  ProdamasProposal: {
    __resolveReference: (reference: { id: string }, context: BrandingContext) => proposalById(reference.id, context),
    id: (proposal: ProposalDoc) => String(proposal._id),
    submittedAt: (proposal: ProposalDoc) => iso(proposal.submittedAt),
    rejectionReason: (proposal: ProposalDoc) => proposal.rejectionReason ?? null,
    realization: (proposal: ProposalDoc, _: unknown, context: BrandingContext) =>
      context.loaders.realizationByProposal.load(String(proposal._id)),
    budget: (proposal: ProposalDoc, _: unknown, context: BrandingContext) => context.loaders.budgetById.load(String(proposal.budgetId)),
    kelurahan: (proposal: ProposalDoc) => ({ code: proposal.kelurahanCode }),
  },

  ProdamasStatusChange: {
    at: (change: { at: Date }) => iso(change.at),
  },

  ProdamasRealization: {
    id: (realization: RealizationDoc) => String(realization._id),
    proposalId: (realization: RealizationDoc) => String(realization.proposalId),
    reportedAt: (realization: RealizationDoc) => iso(realization.reportedAt),
  },

  RtBudget: {
    id: (budget: RtBudgetDoc) => String(budget._id),
    approvedAmount: async (budget: RtBudgetDoc, _: unknown, context: BrandingContext) => (await approvedOf(budget, context)).total,
    remainingAmount: async (budget: RtBudgetDoc, _: unknown, context: BrandingContext) =>
      Math.max(0, budget.ceiling - (await approvedOf(budget, context)).total),
    fields: async (budget: RtBudgetDoc, _: unknown, context: BrandingContext) => {
      const approved = await approvedOf(budget, context);
      return PRODAMAS_FIELDS.map((field) => ({
        field,
        capShare: fieldCapShare(field, budget.year),
        cap: fieldCap(field, budget.year, budget.ceiling),
        approvedAmount: approved.byField[field],
        remainingAmount: approvalRoom(field, budget.year, budget.ceiling, approved).remaining,
      }));
    },
    proposals: (budget: RtBudgetDoc, _: unknown, context: BrandingContext) => context.loaders.proposalsByBudget.load(String(budget._id)),
    kelurahan: (budget: RtBudgetDoc) => ({ code: budget.kelurahanCode }),
  },

  Kelurahan: {
    prodamasBudgets: (kelurahan: { code: string }, args: { year: number }, context: BrandingContext) =>
      context.loaders.budgetsByKelurahanYear.load(compositeKey(kelurahan.code, requireYear(args.year, 'year'))),
    /** The kelurahan's branding pillar, from the read model: the same parent object as its scorecard's. */
    prodamas: (kelurahan: { code: string }, args: { year: number }, context: BrandingContext) =>
      prodamas.figuresOf(context, kelurahan.code, requireYear(args.year, 'year')),
  },

  Resident: {
    async prodamasRoles(resident: { id: string }, _: unknown, context: BrandingContext) {
      requireRole(context.identity, ['caseworker', `agency:${context.agency}`], "A resident's Prodamas roles (personal data held by Bappeda)");
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
