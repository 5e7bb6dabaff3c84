import type { Types } from 'mongoose';
import { conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay, kediriDay } from '../../kit/calendar';
import { requireObjectId, requirePastDate, requireText, requireWholeRupiah } from '../../kit/validate';
import type { EconomyContext } from '../loaders';
import type { ApplicationDoc, LoanDoc, RepaymentDoc } from '../models';
import { yearsFrom } from '../pillar';
import {
  checkRepaymentAmount,
  loanAtDisbursal,
  MAX_REPAYABLE,
  requireNotBefore,
  requireTransition,
  type ApplicationStatus,
} from '../rules';

/**
 * Disbursing a loan and recording its repayments. A disbursal writes the loan and marks its application
 * disbursed in one write unit; a repayment writes the receipt and raises the loan's repaid total in one.
 * Both refresh the economy figures of the kelurahan from the year of their day onwards: a loan counts as
 * outstanding at the end of every year until it is repaid (see pillar.ts).
 */
export async function disburseKurniaLoan(input: { applicationId: string; disbursedAt: string }, ctx: EconomyContext): Promise<LoanDoc> {
  requireStaff(ctx, 'Disbursing a Kurnia loan');
  const applicationId = requireObjectId(input.applicationId, 'applicationId', 'an approved Kurnia application');
  const disbursedAt = requirePastDate(input.disbursedAt, 'disbursedAt');
  const { Application, Loan } = ctx.models;

  return ctx.transaction(async (unit) => {
    // One loan per application: disbursing it again, or a retry, answers with the loan already made.
    const existing = await Loan.findOne({ applicationId }).lean<LoanDoc>();
    if (existing) return existing;
    const application = await Application.findById(applicationId).lean<ApplicationDoc>();
    if (!application) throw notFound('Kurnia application', `id ${input.applicationId}`);
    requireTransition(application.status, 'disbursed');
    if (application.decidedAt) requireNotBefore(disbursedAt, 'disbursedAt', application.decidedAt, 'the approval', input.disbursedAt);

    const [loan] = await Loan.create([loanAtDisbursal(application, application.approvedAmount!, disbursedAt)]);
    await Application.updateOne({ _id: applicationId }, { $set: { status: 'disbursed' satisfies ApplicationStatus } });
    unit.figuresChanged(application.kelurahanCode, yearsFrom(disbursedAt));
    return loan.toObject() as LoanDoc;
  });
}

export interface RecordKurniaRepaymentInput {
  loanId: string;
  amount: number;
  paidAt: string;
  reference: string;
}

export async function recordKurniaRepayment(input: RecordKurniaRepaymentInput, ctx: EconomyContext): Promise<RepaymentDoc> {
  requireStaff(ctx, 'Recording a Kurnia repayment');
  const loanId = requireObjectId(input.loanId, 'loanId', 'a Kurnia loan');
  const amount = requireWholeRupiah(input.amount, 'amount', { min: 1, max: MAX_REPAYABLE });
  const paidAt = requirePastDate(input.paidAt, 'paidAt');
  const reference = requireText(input.reference, 'reference', { min: 4, max: 80 });
  const { Loan, Repayment } = ctx.models;

  return ctx.transaction(async (unit) => {
    // The receipt reference is the repayment's natural key: a retry finds the first recording.
    const earlier = await Repayment.findOne({ reference }).lean<RepaymentDoc>();
    if (earlier) return sameReceipt(earlier, loanId, amount, paidAt);
    const loan = await Loan.findById(loanId).lean<LoanDoc>();
    if (!loan) throw notFound('Kurnia loan', `id ${input.loanId}`);
    requireNotBefore(paidAt, 'paidAt', loan.disbursedAt, 'the disbursal', input.paidAt);
    const [paid] = await Repayment.aggregate<{ total: number }>([
      { $match: { loanId: loan._id } },
      { $group: { _id: null, total: { $sum: '$amount' } } },
    ]);
    checkRepaymentAmount(amount, loan.principal + loan.totalInterest - (paid?.total ?? 0));

    const [created] = await Repayment.create([
      { loanId: loan._id, residentId: loan.residentId, kelurahanCode: loan.kelurahanCode, amount, paidAt, reference },
    ]);
    // The write every repayment of this loan makes: of two recorded at once, whose sums both passed the
    // check above, one conflicts here and runs again on the other's result.
    await Loan.updateOne({ _id: loan._id }, { $inc: { amountRepaid: amount } });
    unit.figuresChanged(loan.kelurahanCode, yearsFrom(paidAt));
    return created.toObject() as RepaymentDoc;
  });
}

/**
 * The reference was recorded before. For the same loan, amount and day it is a retry, answered with the
 * first recording; anything else is a second use of one receipt, which a bank or cashier never issues.
 */
function sameReceipt(earlier: RepaymentDoc, loanId: Types.ObjectId, amount: number, paidAt: Date): RepaymentDoc {
  const day = isoDay(kediriDay(earlier.paidAt));
  if (!earlier.loanId.equals(loanId)) {
    throw conflict(`Receipt reference "${earlier.reference}" was already recorded for another loan.`, 'reference');
  }
  if (earlier.amount !== amount || day !== isoDay(paidAt)) {
    throw conflict(
      `Receipt reference "${earlier.reference}" was already recorded for Rp${earlier.amount.toLocaleString('en-US')} paid on ${day}; ` +
        'a receipt is recorded once.',
      'reference',
    );
  }
  return earlier;
}
