import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { kediriYear } from '../../kit/calendar';
import { requireObjectId, requireOneOf, requirePastInstant, requireWholeRupiah } from '../../kit/validate';
import type { TaxContext } from '../loaders';
import type { TaxPaymentRecord } from '../models';
import { amountOwed, BILLING_CODE_PATTERN, MAX_GROSS_REVENUE, PAYMENT_CHANNELS, parsePeriod, planTransition, type PaymentChannel, type ReportStatus } from '../rules';

/**
 * Recording the payment of a verified report: the payment is inserted and the report marked paid in one
 * write unit, with the governance figures of the payment's year (revenue) refreshed in it. The billing
 * code is the payment's natural key: a retry with the same code answers with the payment first recorded
 * and counts it once; the unique indexes on billing code and report settle two payments racing.
 */
export interface RecordTaxPaymentInput {
  reportId: string;
  billingCode: string;
  channel: PaymentChannel;
  amount: number;
  paidAt: string;
}

export async function recordTaxPayment(input: RecordTaxPaymentInput, ctx: TaxContext): Promise<TaxPaymentRecord> {
  requireStaff(ctx, 'Recording a tax payment');
  const reportId = requireObjectId(input.reportId, 'reportId', 'a verified tax report');
  if (typeof input.billingCode !== 'string' || !BILLING_CODE_PATTERN.test(input.billingCode)) {
    throw badUserInput('billingCode', 'a billing code of 18 digits beginning 3571', input.billingCode);
  }
  const channel = requireOneOf(input.channel, 'channel', PAYMENT_CHANNELS);
  const amount = requireWholeRupiah(input.amount, 'amount', { max: MAX_GROSS_REVENUE });
  const paidAt = requirePastInstant(input.paidAt, 'paidAt');
  const { TaxPayment, TaxReport } = ctx.models;

  return ctx.transaction(async (unit) => {
    const earlier = await TaxPayment.findOne({ billingCode: input.billingCode }).lean();
    if (earlier) return answerRetry(earlier, input.reportId, amount);

    const report = await TaxReport.findById(reportId).lean();
    if (!report) throw notFound('tax report', `id ${input.reportId}`);
    const plan = planTransition(report.status as ReportStatus, 'pay');
    if (plan.kind !== 'apply') {
      throw conflict(`Report ${input.reportId} is ${report.status.toUpperCase()}: only a VERIFIED report can be paid, once.`, 'reportId');
    }
    if (report.submittedAt && paidAt.getTime() < report.submittedAt.getTime()) {
      throw badUserInput('paidAt', `a time after the report was submitted (${report.submittedAt.toISOString()})`, input.paidAt);
    }
    const period = parsePeriod(report.period)!;
    const owed = amountOwed(period, report.taxDue, paidAt);
    if (amount !== owed.total) {
      const interest = owed.monthsLate
        ? ` plus late interest of ${owed.lateInterest} for ${owed.monthsLate} started month(s) after the payment deadline`
        : '';
      throw badUserInput('amount', `${owed.total} rupiah: the tax due of ${owed.taxDue}${interest}`, amount);
    }

    const [created] = await TaxPayment.create([
      {
        reportId,
        billingCode: input.billingCode,
        channel,
        amount,
        taxDue: owed.taxDue,
        lateInterest: owed.lateInterest,
        paidAt,
        taxpayerId: report.taxpayerId,
        taxType: report.taxType,
        kelurahanCode: report.kelurahanCode,
      },
    ]);
    await TaxReport.updateOne({ _id: reportId }, { $set: { status: 'paid', paidAt } });
    unit.figuresChanged(report.kelurahanCode, [period.year, kediriYear(paidAt)]);
    return created.toObject() as TaxPaymentRecord;
  });
}

/**
 * The billing code was used before. The same report and amount is a retry: answer with the first payment.
 * Anything else is a second use of the code, which the treasury never issues.
 */
function answerRetry(earlier: TaxPaymentRecord, reportId: string, amount: number): TaxPaymentRecord {
  if (String(earlier.reportId) !== reportId.toLowerCase() || earlier.amount !== amount) {
    throw conflict(
      `Billing code ${earlier.billingCode} already paid report ${String(earlier.reportId)} with ${earlier.amount} rupiah; a billing code pays once.`,
      'billingCode',
    );
  }
  return earlier;
}
