import { accepted, pickRecord, type RandomWrite } from '../kit/testing';
import type { TaxModels, TaxObjectRecord, TaxReportRecord } from './models';
import { amountOwed, formatPeriod, parsePeriod } from './rules';

/**
 * One random valid write of the tax agency, chosen among the sample's real records: file a report for a
 * month an object has none, submit a draft, verify a submitted report, or pay a verified one with the
 * right amount. Every one of them moves the governance figures of some kelurahan-year.
 */
const FILE = 'mutation($input: FileTaxReportInput!) { fileTaxReport(input: $input) { id } }';
const SUBMIT = 'mutation($id: ID!) { submitTaxReport(id: $id) { id } }';
const VERIFY = 'mutation($id: ID!) { verifyTaxReport(id: $id) { id } }';
const PAY = 'mutation($input: RecordTaxPaymentInput!) { recordTaxPayment(input: $input) { id } }';

export const randomWrites: RandomWrite<TaxModels> = async (random, { query, models }) => {
  const choice = random.int(0, 3);
  const index = random.int(0, 1_000_000);
  if (choice === 1) {
    const draft = await pickRecord<TaxReportRecord>(models.TaxReport, { status: 'draft' }, index);
    if (draft) return accepted(await query(SUBMIT, { id: String(draft._id) }), `submitted draft ${draft.period} in ${draft.kelurahanCode}`);
  }
  if (choice === 2) {
    const submitted = await pickRecord<TaxReportRecord>(models.TaxReport, { status: 'submitted' }, index);
    if (submitted) return accepted(await query(VERIFY, { id: String(submitted._id) }), `verified report ${submitted.period} in ${submitted.kelurahanCode}`);
  }
  if (choice === 3) {
    const verified = await pickRecord<TaxReportRecord>(models.TaxReport, { status: 'verified' }, index);
    if (verified) {
      const paidAt = new Date(Math.max(verified.submittedAt!.getTime(), verified.verifiedAt?.getTime() ?? 0) + random.int(1, 90) * 86_400_000);
      const at = paidAt.getTime() > Date.now() ? new Date() : paidAt;
      const owed = amountOwed(parsePeriod(verified.period)!, verified.taxDue, at);
      const billingCode = `3571${String(random.int(0, 99_999_999)).padStart(8, '0')}${String(random.int(0, 999_999)).padStart(6, '0')}`;
      const input = { reportId: String(verified._id), billingCode, channel: 'QRIS', amount: owed.total, paidAt: at.toISOString() };
      return accepted(await query(PAY, { input }), `paid report ${verified.period} in ${verified.kelurahanCode}`);
    }
  }
  // Filing: a month from 2021 to last month in which a self-assessed object traded and has no report yet.
  const object = await pickRecord<TaxObjectRecord>(models.TaxObject, { taxType: { $in: ['pbjt', 'advertising', 'groundwater'] } }, index);
  if (!object) throw new Error('the sample has no self-assessed tax object');
  const filed = new Set((await models.TaxReport.find({ taxObjectId: object._id }, { period: 1 }).lean()).map((report) => report.period));
  const now = new Date();
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const year = random.int(2021, now.getUTCFullYear());
    const month = random.int(1, 12);
    const period = formatPeriod({ year, month });
    const over = Date.UTC(year, month, 1) < now.getTime() - 86_400_000;
    if (!over || filed.has(period) || period < object.activeFrom || (object.activeUntil && period > object.activeUntil)) continue;
    const input = { taxObjectId: String(object._id), period, grossRevenue: random.int(0, 80_000_000) };
    return accepted(await query(FILE, { input }), `filed ${period} for an object in ${object.kelurahanCode}`);
  }
  return 'nothing to file for the chosen object';
};
