import { badUserInput, conflict, notFound } from '../../platform/errors';
import { requireRole } from '../kit/access';
import { isDuplicateKey } from '../kit/inputs';
import type { Identity } from '../../platform/identity';
import { kelurahanByCode, requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireYear } from '../kit/scorecard';
import { isoDate, requireObjectId, requirePastDate, requireRt, requireText } from './inputs';
import type { BrandingModels, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import {
  APPROVED_STATUSES,
  DISBURSED_STATUSES,
  REPORTABLE_STATUSES,
  amountProblem,
  approvalProblem,
  canTransition,
  fieldCap,
  formatRupiah,
  realizationProblem,
  reportSteps,
  type ImplementingGroup,
  type ProdamasField,
  type ProposalStatus,
} from './rules';

/**
 * Bappeda's staff operations on Prodamas proposals. Each one checks the caller, validates every input
 * before its first write, writes in an order that a failure can undo, and answers a retry with the first
 * result. The store has no transactions, so where two documents change, the second write is conditional on
 * the state the first assumed and the first is undone when the second does not apply.
 */

const STAFF_ROLE = 'agency:branding';

function requireStaff(identity: Identity, what: string): void {
  requireRole(identity, [STAFF_ROLE], what);
}

async function findProposal(models: BrandingModels, id: unknown, field: string): Promise<ProposalDoc> {
  const objectId = requireObjectId(id, field);
  const proposal = await models.Proposal.findById(objectId).lean<ProposalDoc>();
  if (!proposal) throw notFound('Prodamas proposal', `id "${String(id)}"`);
  return proposal;
}

function lastChange(proposal: ProposalDoc): Date {
  return proposal.statusHistory[proposal.statusHistory.length - 1].at;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
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

/** The parts of a submission that make it the same submission when its idempotency key comes again. */
function sameSubmission(proposal: ProposalDoc, input: SubmitProposalInput): boolean {
  return (
    proposal.kelurahanCode === input.kelurahanCode &&
    proposal.rt === input.rt &&
    proposal.year === input.year &&
    proposal.field === input.field &&
    proposal.title === input.title &&
    proposal.amount === input.amount &&
    proposal.deliberationRef === input.deliberationRef &&
    proposal.implementingGroup === input.implementingGroup
  );
}

function validateSubmission(raw: SubmitProposalInput): SubmitProposalInput {
  const kelurahanCode = requireKelurahanCode(raw.kelurahanCode, 'kelurahanCode');
  const input: SubmitProposalInput = {
    kelurahanCode,
    rt: requireRt(raw.rt, kelurahanCode, 'rt'),
    year: requireYear(raw.year, 'year'),
    field: raw.field,
    title: requireText(raw.title, 'title', 5, 200),
    amount: raw.amount,
    deliberationRef: requireText(raw.deliberationRef, 'deliberationRef', 3, 60),
    implementingGroup: raw.implementingGroup,
    idempotencyKey: requireText(raw.idempotencyKey, 'idempotencyKey', 8, 100),
  };
  const problem = amountProblem(input.amount);
  if (problem) throw badUserInput('amount', problem, input.amount);
  if (!/^[A-Za-z0-9][A-Za-z0-9./\- ]*$/.test(input.deliberationRef)) {
    throw badUserInput('deliberationRef', 'a Muskel minutes number of letters, digits, ".", "/", "-" and spaces', input.deliberationRef);
  }
  return input;
}

export async function submitProposal(models: BrandingModels, identity: Identity, raw: SubmitProposalInput): Promise<ProposalDoc> {
  requireStaff(identity, 'Submitting a Prodamas proposal');
  const input = validateSubmission(raw);

  const earlier = await models.Proposal.findOne({ idempotencyKey: input.idempotencyKey }).lean<ProposalDoc>();
  if (earlier) return answerRetry(earlier, input);

  const budget = await models.RtBudget.findOne({ kelurahanCode: input.kelurahanCode, rt: input.rt, year: input.year }).lean<RtBudgetDoc>();
  if (!budget) {
    const name = kelurahanByCode(input.kelurahanCode)!.name;
    throw badUserInput('year', `a year in which RT ${input.rt} of ${name} has a Prodamas budget`, input.year);
  }
  const cap = fieldCap(input.field, input.year, budget.ceiling);
  if (input.amount > cap) {
    throw badUserInput('amount', `at most the ${input.field} cap of Rp${formatRupiah(cap)} for ${input.year}`, input.amount);
  }

  const now = new Date();
  try {
    const created = await models.Proposal.create({
      budgetId: budget._id,
      kelurahanCode: input.kelurahanCode,
      rw: budget.rw,
      rt: input.rt,
      year: input.year,
      field: input.field,
      title: input.title,
      amount: input.amount,
      deliberationRef: input.deliberationRef,
      implementingGroup: input.implementingGroup,
      status: 'proposed',
      statusHistory: [{ status: 'proposed', at: now }],
      submittedAt: now,
      disbursedAmount: 0,
      idempotencyKey: input.idempotencyKey,
    });
    return created.toObject() as ProposalDoc;
  } catch (error) {
    // Two sends of the same submission raced: the unique key let one in; answer with that one.
    if (!isDuplicateKey(error)) throw error;
    const winner = await models.Proposal.findOne({ idempotencyKey: input.idempotencyKey }).lean<ProposalDoc>();
    if (!winner) throw error;
    return answerRetry(winner, input);
  }
}

function answerRetry(earlier: ProposalDoc, input: SubmitProposalInput): ProposalDoc {
  if (sameSubmission(earlier, input)) return earlier;
  throw conflict(
    `The idempotencyKey "${input.idempotencyKey}" was already used for a different proposal (id ${String(earlier._id)}); ` +
      'use a new key for a new proposal.',
    'idempotencyKey',
  );
}

export async function approveProposal(models: BrandingModels, identity: Identity, id: unknown): Promise<ProposalDoc> {
  requireStaff(identity, 'Approving a Prodamas proposal');
  const proposal = await findProposal(models, id, 'id');
  if (APPROVED_STATUSES.includes(proposal.status as ProposalStatus)) return proposal;
  if (!canTransition(proposal.status as ProposalStatus, 'approved')) {
    throw conflict(`Proposal ${String(id)} is ${proposal.status}; only a proposed proposal can be approved.`, 'id');
  }
  const field = proposal.field as ProdamasField;
  const budget = await models.RtBudget.findById(proposal.budgetId).lean<RtBudgetDoc>();
  if (!budget) throw notFound('RT budget', `id "${String(proposal.budgetId)}" (of proposal ${String(id)})`);
  assertRoom(proposal, budget);

  // Reserve the room on the budget in one conditional update: if another approval took it in the meantime,
  // the filter no longer matches and nothing is written.
  const cap = fieldCap(field, proposal.year, budget.ceiling);
  const reserved = await models.RtBudget.findOneAndUpdate(
    {
      _id: budget._id,
      approvedTotal: { $lte: budget.ceiling - proposal.amount },
      [`approved.${field}`]: { $lte: cap - proposal.amount },
    },
    { $inc: { approvedTotal: proposal.amount, [`approved.${field}`]: proposal.amount } },
    { new: true },
  ).lean<RtBudgetDoc>();
  if (!reserved) {
    const current = await models.RtBudget.findById(budget._id).lean<RtBudgetDoc>();
    assertRoom(proposal, current ?? budget);
    throw conflict(`The budget of proposal ${String(id)} changed during approval; try again.`, 'id');
  }

  const approved = await models.Proposal.findOneAndUpdate(
    { _id: proposal._id, status: 'proposed' },
    { $set: { status: 'approved' }, $push: { statusHistory: { status: 'approved', at: new Date() } } },
    { new: true },
  ).lean<ProposalDoc>();
  if (approved) return approved;

  // Someone else changed the proposal first: give the reserved room back, then answer as a retry would.
  await models.RtBudget.updateOne(
    { _id: budget._id },
    { $inc: { approvedTotal: -proposal.amount, [`approved.${field}`]: -proposal.amount } },
  );
  const now = await findProposal(models, id, 'id');
  if (APPROVED_STATUSES.includes(now.status as ProposalStatus)) return now;
  throw conflict(`Proposal ${String(id)} became ${now.status} while being approved.`, 'id');
}

/** Throws BAD_USER_INPUT on `amount`, with the room left, when the proposal does not fit its caps. */
function assertRoom(proposal: ProposalDoc, budget: RtBudgetDoc): void {
  const problem = approvalProblem(proposal.amount, proposal.field as ProdamasField, proposal.year, budget.ceiling, {
    total: budget.approvedTotal,
    byField: budget.approved as Record<ProdamasField, number>,
  });
  if (problem) throw badUserInput('amount', problem, proposal.amount);
}

export async function rejectProposal(models: BrandingModels, identity: Identity, id: unknown, rawReason: unknown): Promise<ProposalDoc> {
  requireStaff(identity, 'Rejecting a Prodamas proposal');
  const reason = requireText(rawReason, 'reason', 5, 500);
  const proposal = await findProposal(models, id, 'id');
  if (proposal.status === 'rejected') return proposal;
  if (!canTransition(proposal.status as ProposalStatus, 'rejected')) {
    throw conflict(`Proposal ${String(id)} is ${proposal.status}; only a proposed proposal can be rejected.`, 'id');
  }
  const rejected = await models.Proposal.findOneAndUpdate(
    { _id: proposal._id, status: 'proposed' },
    { $set: { status: 'rejected', rejectionReason: reason }, $push: { statusHistory: { status: 'rejected', at: new Date() } } },
    { new: true },
  ).lean<ProposalDoc>();
  if (rejected) return rejected;
  const now = await findProposal(models, id, 'id');
  if (now.status === 'rejected') return now;
  throw conflict(`Proposal ${String(id)} became ${now.status} while being rejected.`, 'id');
}

export async function disburseProposal(
  models: BrandingModels,
  identity: Identity,
  id: unknown,
  rawDate: unknown,
): Promise<ProposalDoc> {
  requireStaff(identity, 'Disbursing a Prodamas proposal');
  const disbursedAt = requirePastDate(rawDate, 'disbursedAt');
  const proposal = await findProposal(models, id, 'id');
  if (DISBURSED_STATUSES.includes(proposal.status as ProposalStatus)) return proposal;
  if (!canTransition(proposal.status as ProposalStatus, 'disbursed')) {
    throw conflict(`Proposal ${String(id)} is ${proposal.status}; only an approved proposal can be disbursed.`, 'id');
  }
  if (day(disbursedAt) < day(lastChange(proposal))) {
    throw badUserInput('disbursedAt', `a date on or after the approval on ${day(lastChange(proposal))}`, rawDate);
  }
  const disbursed = await models.Proposal.findOneAndUpdate(
    { _id: proposal._id, status: 'approved' },
    {
      $set: { status: 'disbursed', disbursedAmount: proposal.amount },
      $push: { statusHistory: { status: 'disbursed', at: disbursedAt } },
    },
    { new: true },
  ).lean<ProposalDoc>();
  if (disbursed) return disbursed;
  const now = await findProposal(models, id, 'id');
  if (DISBURSED_STATUSES.includes(now.status as ProposalStatus)) return now;
  throw conflict(`Proposal ${String(id)} became ${now.status} while being disbursed.`, 'id');
}

export interface ReportProposalInput {
  proposalId: string;
  amountSpent: number;
  reportedAt: string;
  evidenceRef: string;
}

export async function reportProposal(models: BrandingModels, identity: Identity, input: ReportProposalInput): Promise<ProposalDoc> {
  requireStaff(identity, 'Reporting (LPJ) a Prodamas proposal');
  requireObjectId(input.proposalId, 'proposalId');
  const reportedAt = requirePastDate(input.reportedAt, 'reportedAt');
  const evidenceRef = requireText(input.evidenceRef, 'evidenceRef', 3, 100);
  if (!Number.isFinite(input.amountSpent)) throw badUserInput('amountSpent', 'a finite amount in rupiah', input.amountSpent);
  const proposal = await findProposal(models, input.proposalId, 'proposalId');

  const earlier = await models.Realization.findOne({ proposalId: proposal._id }).lean<RealizationDoc>();
  if (earlier) return finishRetriedReport(models, proposal, earlier, { amountSpent: input.amountSpent, reportedAt, evidenceRef });

  const steps = reportSteps(proposal.status as ProposalStatus);
  if (!steps) {
    throw conflict(
      `Proposal ${input.proposalId} is ${proposal.status}; an LPJ can be filed only for a disbursed or in-progress proposal.`,
      'proposalId',
    );
  }
  const problem = realizationProblem(input.amountSpent, proposal.disbursedAmount);
  if (problem) throw badUserInput('amountSpent', problem, input.amountSpent);
  const disbursement = proposal.statusHistory.find((change) => change.status === 'disbursed')?.at ?? lastChange(proposal);
  if (day(reportedAt) < day(disbursement)) {
    throw badUserInput('reportedAt', `a date on or after the disbursement on ${day(disbursement)}`, input.reportedAt);
  }

  // The realization goes first: its unique proposalId makes a racing second report fail here, before the
  // proposal moves. If the proposal then cannot move, the realization is removed again.
  let realization: RealizationDoc;
  try {
    const created = await models.Realization.create({
      proposalId: proposal._id,
      budgetId: proposal.budgetId,
      kelurahanCode: proposal.kelurahanCode,
      rt: proposal.rt,
      year: proposal.year,
      amountSpent: input.amountSpent,
      reportedAt,
      evidenceRef,
    });
    realization = created.toObject() as RealizationDoc;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const winner = await models.Realization.findOne({ proposalId: proposal._id }).lean<RealizationDoc>();
    if (!winner) throw error;
    return finishRetriedReport(models, proposal, winner, { amountSpent: input.amountSpent, reportedAt, evidenceRef });
  }

  const reported = await moveToReported(models, proposal, steps, reportedAt);
  if (reported) return reported;
  await models.Realization.deleteOne({ _id: realization._id });
  const now = await findProposal(models, input.proposalId, 'proposalId');
  throw conflict(`Proposal ${input.proposalId} became ${now.status} while its LPJ was being filed; nothing was recorded.`, 'proposalId');
}

function moveToReported(models: BrandingModels, proposal: ProposalDoc, steps: ProposalStatus[], at: Date) {
  return models.Proposal.findOneAndUpdate(
    { _id: proposal._id, status: proposal.status },
    { $set: { status: 'reported' }, $push: { statusHistory: { $each: steps.map((status) => ({ status, at })) } } },
    { new: true },
  ).lean<ProposalDoc>();
}

/**
 * A report for a proposal that already has one. The same report again is a retry: it returns the proposal,
 * finishing the move to reported if an earlier attempt stopped between its two writes. A different report
 * is a conflict: an LPJ is filed once.
 */
async function finishRetriedReport(
  models: BrandingModels,
  proposal: ProposalDoc,
  earlier: RealizationDoc,
  report: { amountSpent: number; reportedAt: Date; evidenceRef: string },
): Promise<ProposalDoc> {
  const same =
    earlier.amountSpent === report.amountSpent &&
    earlier.reportedAt.getTime() === report.reportedAt.getTime() &&
    earlier.evidenceRef === report.evidenceRef;
  if (!same) {
    throw conflict(
      `An LPJ was already filed for proposal ${String(proposal._id)} on ${isoDate(earlier.reportedAt)!.slice(0, 10)} ` +
        `(Rp${formatRupiah(earlier.amountSpent)} spent); a different report cannot replace it.`,
      'proposalId',
    );
  }
  if (REPORTABLE_STATUSES.includes(proposal.status as ProposalStatus)) {
    const steps = reportSteps(proposal.status as ProposalStatus)!;
    const finished = await moveToReported(models, proposal, steps, earlier.reportedAt);
    if (finished) return finished;
    return findProposal(models, String(proposal._id), 'proposalId');
  }
  return proposal;
}
