import { requireRole } from '../kit/access';
import { badUserInput } from '../../platform/errors';
import { STAFF_ROLE, type TaxContext } from './context';
import { isDuplicateKey, requireObjectId, requirePastInstant, requireWholeRupiah } from './inputs';
import type { TaxPaymentRecord } from './models';
import {
  amountOwed,
  BILLING_CODE_PATTERN,
  PAYMENT_CHANNELS,
  parsePeriod,
  planTransition,
  type PaymentChannel,
  type ReportStatus,
} from './rules';

/**
 * Recording the payment of a verified report. The billing code is the payment's natural key: a retry with
 * the same code answers with the payment first recorded and counts it once.
 *
 * Two documents change, the payment (inserted) and the report (to paid). The payment goes first, because
 * its unique indexes on billing code and report are what stop a double payment; if the report then cannot
 * be marked paid, the payment is removed again. Should the process die between the two writes, the
 * retry finds the payment by its code and finishes marking the report.
 */

export interface RecordTaxPaymentInput {
  reportId: string;
  billingCode: string;
  channel: PaymentChannel;
  amount: number;
  paidAt: string;
}

export async function recordTaxPayment(input: RecordTaxPaymentInput, context: TaxContext): Promise<TaxPaymentRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Recording a tax payment');
  const { TaxPayment } = context.models;
  const reportId = requireObjectId(input.reportId, 'reportId', 'a verified tax report');
  if (typeof input.billingCode !== 'string' || !BILLING_CODE_PATTERN.test(input.billingCode)) {
    throw badUserInput('billingCode', 'a billing code of 18 digits beginning 3571', input.billingCode);
  }
  if (!(PAYMENT_CHANNELS as readonly string[]).includes(input.channel)) {
    throw badUserInput('channel', `one of ${PAYMENT_CHANNELS.map((c) => c.toUpperCase()).join(', ')}`, input.channel);
  }
  const amount = requireWholeRupiah(input.amount, 'amount');
  const paidAt = requirePastInstant(input.paidAt, 'paidAt');

  const earlier = await TaxPayment.findOne({ billingCode: input.billingCode }).lean();
  if (earlier) return answerRetry(earlier, reportId.toHexString(), amount, context);

  const report = await context.models.TaxReport.findById(reportId).lean();
  if (!report) throw badUserInput('reportId', 'the id of an existing tax report', input.reportId);
  const plan = planTransition(report.status as ReportStatus, 'pay');
  if (plan.kind !== 'apply') {
    throw badUserInput(
      'reportId',
      'a VERIFIED report: only a verified report can be paid, once',
      `report ${input.reportId} in status ${report.status.toUpperCase()}`,
    );
  }
  if (report.submittedAt && paidAt.getTime() < report.submittedAt.getTime()) {
    throw badUserInput('paidAt', `a time after the report was submitted (${report.submittedAt.toISOString()})`, input.paidAt);
  }
  const owed = amountOwed(parsePeriod(report.period)!, report.taxDue, paidAt);
  if (amount !== owed.total) {
    const interest = owed.monthsLate
      ? ` plus late interest of ${owed.lateInterest} for ${owed.monthsLate} started month(s) after the payment deadline`
      : '';
    throw badUserInput('amount', `${owed.total} rupiah: the tax due of ${owed.taxDue}${interest}`, amount);
  }

  let payment: TaxPaymentRecord;
  try {
    // create() validates against the schema before writing, as every write by a caller should.
    const created = await TaxPayment.create(
        {
          reportId,
          billingCode: input.billingCode,
          channel: input.channel,
          amount,
          taxDue: owed.taxDue,
          lateInterest: owed.lateInterest,
          paidAt,
          taxpayerId: report.taxpayerId,
          taxType: report.taxType,
          kelurahanCode: report.kelurahanCode,
        },
    );
    payment = created.toObject() as TaxPaymentRecord;
  } catch (error) {
    if (isDuplicateKey(error, 'billingCode')) {
      const winner = await TaxPayment.findOne({ billingCode: input.billingCode }).lean();
      if (winner) return answerRetry(winner, reportId.toHexString(), amount, context);
    }
    if (isDuplicateKey(error, 'reportId')) {
      throw badUserInput('reportId', 'a report not yet paid: another payment for it was just recorded', input.reportId);
    }
    throw error;
  }

  try {
    const marked = await context.models.TaxReport.updateOne(
      { _id: reportId, status: 'verified' },
      { $set: { status: 'paid', paidAt } },
    );
    if (marked.modifiedCount !== 1) {
      throw badUserInput('reportId', 'a VERIFIED report: it changed status while the payment was recorded', input.reportId);
    }
  } catch (error) {
    await TaxPayment.deleteOne({ _id: payment._id });
    throw error;
  }
  return payment;
}

/**
 * The billing code was used before. The same report and amount is a retry: answer with the first payment,
 * finishing the report if an earlier attempt stopped half-way. Anything else is a second use of the code.
 */
async function answerRetry(
  earlier: TaxPaymentRecord,
  reportId: string,
  amount: number,
  context: TaxContext,
): Promise<TaxPaymentRecord> {
  if (String(earlier.reportId) !== reportId || earlier.amount !== amount) {
    throw badUserInput(
      'billingCode',
      `an unused billing code: it already paid report ${String(earlier.reportId)} with ${earlier.amount} rupiah`,
      earlier.billingCode,
    );
  }
  await context.models.TaxReport.updateOne(
    { _id: earlier.reportId, status: 'verified' },
    { $set: { status: 'paid', paidAt: earlier.paidAt } },
  );
  return earlier;
}
