import { addDays, isoDay, kediriDay, todayInKediri } from '../kit/calendar';
import type { Random } from '../kit/random';
import { accepted, pickRecord, type RandomWrite } from '../kit/testing';
import type { BrandingModels, ProposalDoc, RtBudgetDoc } from './models';
import {
  APPROVED_STATUSES,
  IMPLEMENTING_GROUPS,
  PRODAMAS_FIELDS,
  REPORTABLE_STATUSES,
  approvalRoom,
  fieldCap,
  sumApproved,
  type ProdamasField,
} from './rules';

/**
 * One random valid write of Bappeda, chosen among the sample's real records: submit a proposal to an RT's
 * budget, approve a proposed one that fits its caps, reject a proposed one, disburse an approved one, or
 * file the LPJ of a disbursed or in-progress one. When the kind drawn has nothing to act on, it submits.
 */
const SUBMIT = 'mutation($input: SubmitProdamasProposalInput!) { submitProdamasProposal(input: $input) { id } }';
const APPROVE = 'mutation($id: ID!) { approveProdamasProposal(id: $id) { id } }';
const REJECT = 'mutation($id: ID!, $reason: String!) { rejectProdamasProposal(id: $id, reason: $reason) { id } }';
const DISBURSE = 'mutation($id: ID!, $on: String!) { disburseProdamasProposal(id: $id, disbursedAt: $on) { id } }';
const REPORT = 'mutation($input: ReportProdamasProposalInput!) { reportProdamasProposal(input: $input) { id } }';

const DAY_MS = 86_400_000;

/** A calendar day from `first` to at most 90 days later, not after today in Kediri (today when `first` is later). */
function dayFrom(first: Date, random: Random): string {
  const today = todayInKediri();
  if (first.getTime() >= today.getTime()) return isoDay(today);
  const span = Math.round((today.getTime() - first.getTime()) / DAY_MS);
  return isoDay(addDays(first, random.int(0, Math.min(span, 90))));
}

/** What a budget's approved proposals add up to. */
async function approvedOn(models: BrandingModels, budget: RtBudgetDoc) {
  return sumApproved(await models.Proposal.find({ budgetId: budget._id, status: { $in: APPROVED_STATUSES } }).lean<ProposalDoc[]>());
}

export const randomWrites: RandomWrite<BrandingModels> = async (random, { query, models }) => {
  const choice = random.int(0, 4);
  const index = random.int(0, 1_000_000);

  if (choice === 1) {
    // Approve: the first of a few proposed proposals, from a random place in the list, that still fits.
    for (let i = 0; i < 40; i += 1) {
      const proposal = await pickRecord<ProposalDoc>(models.Proposal, { status: 'proposed' }, index + i);
      if (!proposal) break;
      const budget = (await models.RtBudget.findById(proposal.budgetId).lean<RtBudgetDoc>())!;
      const room = approvalRoom(proposal.field as ProdamasField, proposal.year, budget.ceiling, await approvedOn(models, budget));
      if (proposal.amount > room.remaining) continue;
      return accepted(await query(APPROVE, { id: String(proposal._id) }), `approved Rp${proposal.amount} of RT ${proposal.rt} in ${proposal.kelurahanCode} (${proposal.year})`);
    }
  }
  if (choice === 2) {
    const proposal = await pickRecord<ProposalDoc>(models.Proposal, { status: 'proposed' }, index);
    if (proposal) {
      const reason = random.pick(['Not in the Muskel minutes', 'Duplicates an approved activity', 'Outside the Prodamas fields']);
      return accepted(await query(REJECT, { id: String(proposal._id), reason }), `rejected a proposal of RT ${proposal.rt} in ${proposal.kelurahanCode} (${proposal.year})`);
    }
  }
  if (choice === 3) {
    const proposal = await pickRecord<ProposalDoc>(models.Proposal, { status: 'approved' }, index);
    if (proposal) {
      const approvedDay = kediriDay(proposal.statusHistory[proposal.statusHistory.length - 1].at);
      const on = dayFrom(approvedDay, random);
      return accepted(await query(DISBURSE, { id: String(proposal._id), on }), `disbursed a proposal of RT ${proposal.rt} in ${proposal.kelurahanCode} on ${on}`);
    }
  }
  if (choice === 4) {
    const proposal = await pickRecord<ProposalDoc>(models.Proposal, { status: { $in: REPORTABLE_STATUSES } }, index);
    if (proposal) {
      const disbursed = proposal.statusHistory.find((change) => change.status === 'disbursed')!.at;
      const input = {
        proposalId: String(proposal._id),
        amountSpent: random.int(Math.floor(proposal.disbursedAmount * 0.85), proposal.disbursedAmount),
        reportedAt: dayFrom(kediriDay(disbursed), random),
        evidenceRef: `LPJ/RANDOM/${random.int(1, 999_999)}`,
      };
      return accepted(await query(REPORT, { input }), `reported the LPJ of RT ${proposal.rt} in ${proposal.kelurahanCode} (${proposal.year})`);
    }
  }

  // Submit: to a random RT budget, in a random field, an amount that fits what the field has left when it
  // can (so that approving it later is possible), never more than the field's cap.
  const budget = (await pickRecord<RtBudgetDoc>(models.RtBudget, {}, index))!;
  const field = random.pick(PRODAMAS_FIELDS);
  const room = approvalRoom(field, budget.year, budget.ceiling, await approvedOn(models, budget)).remaining;
  const most = Math.max(1, Math.floor(Math.min(room, fieldCap(field, budget.year, budget.ceiling)) / 50_000));
  const input = {
    kelurahanCode: budget.kelurahanCode,
    rt: budget.rt,
    year: budget.year,
    field: field.toUpperCase(),
    title: `Additional ${field} activity ${random.int(1, 999)}`,
    amount: random.int(1, most) * 50_000,
    deliberationRef: `MUSKEL/${budget.kelurahanCode}/${budget.year}/EXTRA`,
    implementingGroup: random.pick(IMPLEMENTING_GROUPS).toUpperCase(),
    idempotencyKey: `random-${Date.now().toString(36)}-${random.int(0, 2 ** 31)}`,
  };
  return accepted(await query(SUBMIT, { input }), `submitted Rp${input.amount} of ${field} for RT ${budget.rt} in ${budget.kelurahanCode} (${budget.year})`);
};
