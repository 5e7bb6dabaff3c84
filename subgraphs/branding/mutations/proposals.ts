import type { Types } from 'mongoose';
import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay, kediriDay } from '../../kit/calendar';
import {
  requireIdempotencyKey,
  requireInteger,
  requireKelurahanCode,
  requireObjectId,
  requireOneOf,
  requirePastDate,
  requireText,
  requireWholeRupiah,
  requireYear,
} from '../../kit/validate';
import { earlierResult } from '../../kit/writes';
import type { BrandingContext } from '../loaders';
import type { ProposalDoc, RealizationDoc, RtBudgetDoc } from '../models';
import {
  APPROVED_STATUSES,
  DELIBERATION_REF,
  DISBURSED_STATUSES,
  IMPLEMENTING_GROUPS,
  MAX_RT_CEILING,
  PRODAMAS_FIELDS,
  approvalProblem,
  canTransition,
  fieldCap,
  formatRupiah,
  realizationProblem,
  reportSteps,
  rtCeiling,
  rtCount,
  sumApproved,
  type ApprovedSoFar,
  type ImplementingGroup,
  type ProdamasField,
  type ProposalStatus,
} from '../rules';

/**
 * Bappeda's staff writes on Prodamas proposals, along the lifecycle PROPOSED → APPROVED → DISBURSED →
 * (IN_PROGRESS →) REPORTED, or PROPOSED → REJECTED. Each checks the caller and every argument first, then
 * reads and writes in ONE write unit, so that what it decided on is still true when it commits: a
 * concurrent write to the same records makes one of the two units run again on the new state.
 *
 * Every one is safe to retry: the same request again answers with the record as the first one left it;
 * the same key (idempotency key, proposal id) with other data is a CONFLICT.
 *
 * The scorecard's figures belong to the proposal's budget year. Submitting (a proposal line), approving
 * (the approved amount) and filing an LPJ (the realized amount) change them; rejecting a PROPOSED
 * proposal and disbursing an APPROVED one do not (a proposal line either way, approved either way).
 */

async function findProposal(ctx: BrandingContext, id: Types.ObjectId, field: string): Promise<ProposalDoc> {
  const proposal = await ctx.models.Proposal.findById(id).lean<ProposalDoc>();
  if (!proposal) throw notFound('Prodamas proposal', `${field} ${id.toHexString()}`);
  return proposal;
}

const statusOf = (proposal: ProposalDoc) => proposal.status as ProposalStatus;
const upper = (status: string) => status.toUpperCase();

/** When the proposal entered a status, from its history. */
function enteredAt(proposal: ProposalDoc, status: ProposalStatus): Date | undefined {
  return proposal.statusHistory.find((change) => change.status === status)?.at;
}

function lastChange(proposal: ProposalDoc): Date {
  return proposal.statusHistory[proposal.statusHistory.length - 1].at;
}

export interface SubmitProposalInput {
  kelurahanCode: string;
  rt: number;
  year: number;
  field: ProdamasField;
  title: string;
  amount: number;
  deliberationRef: string;
  implementingGroup: ImplementingGroup;
  idempotencyKey: string;
}

type Submission = Omit<SubmitProposalInput, 'idempotencyKey'>;

/** The parts of a submission that make it the same submission when its idempotency key comes again. */
function sameSubmission(proposal: ProposalDoc, submission: Submission): boolean {
  return (
    proposal.kelurahanCode === submission.kelurahanCode &&
    proposal.rt === submission.rt &&
    proposal.year === submission.year &&
    proposal.field === submission.field &&
    proposal.title === submission.title &&
    proposal.amount === submission.amount &&
    proposal.deliberationRef === submission.deliberationRef &&
    proposal.implementingGroup === submission.implementingGroup
  );
}

/** Records a proposal agreed in a Muskel against an RT's budget, in status PROPOSED. */
export async function submitProposal(input: SubmitProposalInput, ctx: BrandingContext): Promise<ProposalDoc> {
  requireStaff(ctx, 'Submitting a Prodamas proposal');
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const rt = requireInteger(input.rt, 'rt', { min: 1, max: rtCount(kelurahanCode) });
  const year = requireYear(input.year, 'year');
  const field = requireOneOf(input.field, 'field', PRODAMAS_FIELDS);
  const title = requireText(input.title, 'title', { min: 5, max: 200 });
  const amount = requireWholeRupiah(input.amount, 'amount', { min: 1, max: rtCeiling(year) });
  const deliberationRef = requireText(input.deliberationRef, 'deliberationRef', { min: 3, max: 60 });
  if (!DELIBERATION_REF.test(deliberationRef)) {
    throw badUserInput('deliberationRef', 'a Muskel minutes number of letters, digits, ".", "/", "-" and spaces', input.deliberationRef);
  }
  const implementingGroup = requireOneOf(input.implementingGroup, 'implementingGroup', IMPLEMENTING_GROUPS);
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const submission: Submission = { kelurahanCode, rt, year, field, title, amount, deliberationRef, implementingGroup };
  const { Proposal, RtBudget } = ctx.models;

  return ctx.transaction(async (unit) => {
    const earlier = await earlierResult<ProposalDoc>(Proposal, idempotencyKey, (proposal) => sameSubmission(proposal, submission));
    if (earlier) return earlier;

    const budget = await RtBudget.findOne({ kelurahanCode, rt, year }).lean<RtBudgetDoc>();
    if (!budget) throw notFound('Prodamas RT budget', `kelurahan ${kelurahanCode}, RT ${rt} and year ${year}`);
    const cap = fieldCap(field, year, budget.ceiling);
    if (amount > cap) throw badUserInput('amount', `at most the ${field} cap of Rp${formatRupiah(cap)} for ${year}`, amount);

    // A second submission with this key racing this one conflicts in the unique index; its unit runs
    // again, and finds this proposal above.
    const now = new Date();
    const [created] = await Proposal.create([
      {
        ...submission,
        budgetId: budget._id,
        rw: budget.rw,
        status: 'proposed' satisfies ProposalStatus,
        statusHistory: [{ status: 'proposed', at: now }],
        submittedAt: now,
        disbursedAmount: 0,
        idempotencyKey,
      },
    ]);
    unit.figuresChanged(kelurahanCode, year);
    return created.toObject() as ProposalDoc;
  });
}

/** What a budget's approved proposals add up to, in total and per field, as this unit sees them. */
async function approvedSoFar(ctx: BrandingContext, budget: RtBudgetDoc): Promise<ApprovedSoFar> {
  const proposals = await ctx.models.Proposal.find({ budgetId: budget._id, status: { $in: APPROVED_STATUSES } }, { status: 1, field: 1, amount: 1 })
    .lean<Pick<ProposalDoc, 'status' | 'field' | 'amount'>[]>();
  return sumApproved(proposals);
}

/**
 * Approves a PROPOSED proposal when its amount fits the field's cap and the RT's ceiling, counting what the
 * RT's budget has already approved. The unit also raises the budget's approved totals: two approvals of
 * one budget thereby write the same document and cannot both commit on the same snapshot; the one that
 * runs again sees the other's approval in the sum.
 */
export async function approveProposal(input: { id: string }, ctx: BrandingContext): Promise<ProposalDoc> {
  requireStaff(ctx, 'Approving a Prodamas proposal');
  const id = requireObjectId(input.id, 'id', 'a Prodamas proposal');
  const { Proposal, RtBudget } = ctx.models;

  return ctx.transaction(async (unit) => {
    const proposal = await findProposal(ctx, id, 'id');
    if (APPROVED_STATUSES.includes(statusOf(proposal))) return proposal;
    if (!canTransition(statusOf(proposal), 'approved')) {
      throw conflict(`Proposal ${input.id} is ${upper(proposal.status)}: only a PROPOSED proposal can be approved.`, 'id');
    }
    const budget = await RtBudget.findById(proposal.budgetId).lean<RtBudgetDoc>();
    if (!budget) throw notFound('Prodamas RT budget', `id ${String(proposal.budgetId)} (of proposal ${input.id})`);
    const field = proposal.field as ProdamasField;
    const problem = approvalProblem(proposal.amount, field, proposal.year, budget.ceiling, await approvedSoFar(ctx, budget));
    if (problem) {
      throw conflict(
        `Proposal ${input.id} asks for Rp${formatRupiah(proposal.amount)}, which RT ${budget.rt}'s ${budget.year} budget cannot take: ` +
          `it can approve ${problem}.`,
        'id',
      );
    }
    const approved = await Proposal.findOneAndUpdate(
      { _id: id },
      { $set: { status: 'approved' }, $push: { statusHistory: { status: 'approved', at: new Date() } } },
      { new: true },
    ).lean<ProposalDoc>();
    await RtBudget.updateOne({ _id: budget._id }, { $inc: { approvedTotal: proposal.amount, [`approved.${field}`]: proposal.amount } });
    unit.figuresChanged(proposal.kelurahanCode, proposal.year);
    return approved!;
  });
}

/** Rejects a PROPOSED proposal, with the reason. */
export async function rejectProposal(input: { id: string; reason: string }, ctx: BrandingContext): Promise<ProposalDoc> {
  requireStaff(ctx, 'Rejecting a Prodamas proposal');
  const id = requireObjectId(input.id, 'id', 'a Prodamas proposal');
  const reason = requireText(input.reason, 'reason', { min: 5, max: 500 });

  return ctx.transaction(async () => {
    const proposal = await findProposal(ctx, id, 'id');
    if (statusOf(proposal) === 'rejected') {
      if (proposal.rejectionReason === reason) return proposal;
      throw conflict(`Proposal ${input.id} was already rejected, for another reason ("${proposal.rejectionReason ?? ''}"); a rejection is not rewritten.`, 'reason');
    }
    if (!canTransition(statusOf(proposal), 'rejected')) {
      throw conflict(`Proposal ${input.id} is ${upper(proposal.status)}: only a PROPOSED proposal can be rejected.`, 'id');
    }
    const rejected = await ctx.models.Proposal.findOneAndUpdate(
      { _id: id },
      { $set: { status: 'rejected', rejectionReason: reason }, $push: { statusHistory: { status: 'rejected', at: new Date() } } },
      { new: true },
    ).lean<ProposalDoc>();
    return rejected!;
  });
}

/**
 * Records that an APPROVED proposal's amount was paid out to its implementing group on a calendar day of
 * Kediri: not after today there, and not before the day of the approval.
 */
export async function disburseProposal(input: { id: string; disbursedAt: string }, ctx: BrandingContext): Promise<ProposalDoc> {
  requireStaff(ctx, 'Disbursing a Prodamas proposal');
  const id = requireObjectId(input.id, 'id', 'a Prodamas proposal');
  const disbursedOn = requirePastDate(input.disbursedAt, 'disbursedAt');

  return ctx.transaction(async () => {
    const proposal = await findProposal(ctx, id, 'id');
    if (DISBURSED_STATUSES.includes(statusOf(proposal))) {
      const earlier = enteredAt(proposal, 'disbursed');
      if (earlier && kediriDay(earlier).getTime() === disbursedOn.getTime()) return proposal;
      const when = earlier ? ` on ${isoDay(kediriDay(earlier))}` : '';
      throw conflict(`Proposal ${input.id} was already disbursed${when}; a disbursement is not rewritten.`, 'disbursedAt');
    }
    if (!canTransition(statusOf(proposal), 'disbursed')) {
      throw conflict(`Proposal ${input.id} is ${upper(proposal.status)}: only an APPROVED proposal can be disbursed.`, 'id');
    }
    const approvedOn = kediriDay(lastChange(proposal));
    if (disbursedOn.getTime() < approvedOn.getTime()) {
      throw badUserInput('disbursedAt', `a date on or after the approval on ${isoDay(approvedOn)}`, input.disbursedAt);
    }
    const disbursed = await ctx.models.Proposal.findOneAndUpdate(
      { _id: id },
      { $set: { status: 'disbursed', disbursedAmount: proposal.amount }, $push: { statusHistory: { status: 'disbursed', at: disbursedOn } } },
      { new: true },
    ).lean<ProposalDoc>();
    return disbursed!;
  });
}

export interface ReportProposalInput {
  proposalId: string;
  amountSpent: number;
  reportedAt: string;
  evidenceRef: string;
}

/**
 * Files the accountability report (LPJ) of a DISBURSED or IN_PROGRESS proposal: the proposal moves to
 * REPORTED and its realization is recorded, both or neither. The LPJ counts for the proposal's budget
 * year, whenever it is filed. A proposal has one LPJ (the unique index on the realization's proposal), so
 * the same report again is a retry and a different one a CONFLICT.
 */
export async function reportProposal(input: ReportProposalInput, ctx: BrandingContext): Promise<ProposalDoc> {
  requireStaff(ctx, 'Filing the LPJ of a Prodamas proposal');
  const id = requireObjectId(input.proposalId, 'proposalId', 'a Prodamas proposal');
  const amountSpent = requireWholeRupiah(input.amountSpent, 'amountSpent', { max: MAX_RT_CEILING });
  const reportedOn = requirePastDate(input.reportedAt, 'reportedAt');
  const evidenceRef = requireText(input.evidenceRef, 'evidenceRef', { min: 3, max: 100 });
  const { Proposal, Realization } = ctx.models;

  return ctx.transaction(async (unit) => {
    const proposal = await findProposal(ctx, id, 'proposalId');
    const earlier = await Realization.findOne({ proposalId: id }).lean<RealizationDoc>();
    if (earlier) {
      const same =
        earlier.amountSpent === amountSpent && kediriDay(earlier.reportedAt).getTime() === reportedOn.getTime() && earlier.evidenceRef === evidenceRef;
      if (same) return proposal;
      throw conflict(
        `An LPJ was already filed for proposal ${input.proposalId} on ${isoDay(kediriDay(earlier.reportedAt))} ` +
          `(Rp${formatRupiah(earlier.amountSpent)} spent); a different report cannot replace it.`,
        'proposalId',
      );
    }
    const steps = reportSteps(statusOf(proposal));
    if (!steps) {
      throw conflict(
        `Proposal ${input.proposalId} is ${upper(proposal.status)}: an LPJ can be filed only for a DISBURSED or IN_PROGRESS proposal.`,
        'proposalId',
      );
    }
    const problem = realizationProblem(amountSpent, proposal.disbursedAmount);
    if (problem) throw badUserInput('amountSpent', problem, input.amountSpent);
    const disbursedOn = kediriDay(enteredAt(proposal, 'disbursed') ?? lastChange(proposal));
    if (reportedOn.getTime() < disbursedOn.getTime()) {
      throw badUserInput('reportedAt', `a date on or after the disbursement on ${isoDay(disbursedOn)}`, input.reportedAt);
    }

    const reported = await Proposal.findOneAndUpdate(
      { _id: id },
      { $set: { status: 'reported' }, $push: { statusHistory: { $each: steps.map((status) => ({ status, at: reportedOn })) } } },
      { new: true },
    ).lean<ProposalDoc>();
    // Two LPJs racing for one proposal write the same proposal and the same unique key: the unit that
    // loses runs again and finds the winner's realization above.
    await Realization.create([
      {
        proposalId: id,
        budgetId: proposal.budgetId,
        kelurahanCode: proposal.kelurahanCode,
        rt: proposal.rt,
        year: proposal.year,
        amountSpent,
        reportedAt: reportedOn,
        evidenceRef,
      },
    ]);
    unit.figuresChanged(proposal.kelurahanCode, proposal.year);
    return reported!;
  });
}
