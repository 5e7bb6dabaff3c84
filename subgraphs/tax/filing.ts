import { badUserInput } from '../../platform/errors';
import { requireRole } from '../kit/access';
import { STAFF_ROLE, type TaxContext } from './context';
import { isDuplicateKey, optionalKey, requireObjectId, requirePastInstant, requireWholeRupiah } from './inputs';
import type { TaxReportRecord } from './models';
import {
  filedOnTime,
  formatPeriod,
  parsePeriod,
  periodEnd,
  planTransition,
  rateFor,
  taxDue,
  type ReportAction,
  type ReportStatus,
  type TaxSubtype,
  type TaxType,
} from './rules';

/**
 * Filing a monthly report and moving it along the status flow. Every input is checked before the first
 * write; each mutation writes one document, guarded by its current status, so a failure leaves nothing
 * half-done; the unique (object, period) index makes duplicate filing impossible even under a race.
 */

export interface FileTaxReportInput {
  taxObjectId: string;
  period: string;
  grossRevenue: number;
  filedAt?: string | null;
  idempotencyKey?: string | null;
}

export async function fileTaxReport(input: FileTaxReportInput, context: TaxContext): Promise<TaxReportRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Filing a tax report');
  const now = new Date();
  // Shape of every field first, so that a caller with several mistakes learns of the first one at once.
  const taxObjectId = requireObjectId(input.taxObjectId, 'taxObjectId', 'a registered tax object');
  const period = parsePeriod(input.period);
  if (!period) throw badUserInput('period', 'a month as "YYYY-MM", e.g. "2024-03"', input.period);
  const grossRevenue = requireWholeRupiah(input.grossRevenue, 'grossRevenue');
  const filedAt = input.filedAt == null ? now : requirePastInstant(input.filedAt, 'filedAt', now);
  const idempotencyKey = optionalKey(input.idempotencyKey, 'idempotencyKey');
  if (filedAt.getTime() < periodEnd(period).getTime()) {
    throw badUserInput(
      'period',
      `a month that is over when the report is filed (${input.period} ends ${periodEnd(period).toISOString()}, filed ${filedAt.toISOString()})`,
      input.period,
    );
  }

  // Then the records the input refers to.
  const taxObject = await context.models.TaxObject.findById(taxObjectId).lean();
  if (!taxObject) throw badUserInput('taxObjectId', 'the id of a registered tax object', input.taxObjectId);
  const rate = rateFor(taxObject.taxType as TaxType, taxObject.subtype as TaxSubtype);
  if (!rate?.selfAssessed) {
    throw badUserInput(
      'taxType',
      'a self-assessed tax (PBJT, advertising or groundwater): PBB-P2 is assessed by the city and BPHTB is paid per transaction, neither is filed on an SPTPD',
      taxObject.taxType.toUpperCase(),
    );
  }
  const periodText = formatPeriod(period);
  if (periodText < taxObject.activeFrom || (taxObject.activeUntil && periodText > taxObject.activeUntil)) {
    const until = taxObject.activeUntil ? ` until ${taxObject.activeUntil}` : '';
    throw badUserInput('period', `a month in which the tax object traded (from ${taxObject.activeFrom}${until})`, input.period);
  }

  const existing = await context.models.TaxReport.findOne({ taxObjectId, period: periodText }).lean();
  if (existing) return answerDuplicate(existing, grossRevenue, idempotencyKey);

  const report = {
    taxObjectId,
    taxpayerId: taxObject.taxpayerId,
    taxType: taxObject.taxType,
    subtype: taxObject.subtype,
    kelurahanCode: taxObject.kelurahanCode,
    period: periodText,
    grossRevenue,
    rateBasisPoints: rate.basisPoints,
    taxDue: taxDue(grossRevenue, rate.basisPoints),
    status: 'submitted' satisfies ReportStatus,
    createdAt: now,
    submittedAt: filedAt,
    filedOnTime: filedOnTime(period, filedAt),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  try {
    // create() validates against the schema before writing, as every write by a caller should.
    const created = await context.models.TaxReport.create(report);
    return created.toObject() as TaxReportRecord;
  } catch (error) {
    // Another filing for the same object and month won the race: answer exactly as if it had come first.
    if (!isDuplicateKey(error)) throw error;
    const winner = await context.models.TaxReport.findOne({ taxObjectId, period: periodText }).lean();
    if (!winner) throw error;
    return answerDuplicate(winner, grossRevenue, idempotencyKey);
  }
}

/**
 * A report already exists for the object and month. With the same idempotency key and figures it is the
 * caller's own earlier filing, answered again; otherwise it is a second report, which the law does not allow.
 */
function answerDuplicate(existing: TaxReportRecord, grossRevenue: number, idempotencyKey: string | undefined): TaxReportRecord {
  if (idempotencyKey && existing.idempotencyKey === idempotencyKey) {
    if (existing.grossRevenue !== grossRevenue) {
      throw badUserInput(
        'idempotencyKey',
        `a new key for different figures: this key filed gross revenue ${existing.grossRevenue}`,
        idempotencyKey,
      );
    }
    return existing;
  }
  throw badUserInput(
    'period',
    `a month without a report for this tax object: report ${String(existing._id)} for ${existing.period} already exists ` +
      `(status ${existing.status.toUpperCase()})`,
    existing.period,
  );
}

/** Moves a report one step along draft → submitted → verified, by the rule in rules.ts. */
async function advance(id: string, action: Exclude<ReportAction, 'pay'>, context: TaxContext): Promise<TaxReportRecord> {
  const reportId = requireObjectId(id, 'id', 'a tax report');
  const now = new Date();
  const { TaxReport } = context.models;
  // A conditional update can lose a race with another request; re-reading and planning again settles it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const report = await TaxReport.findById(reportId).lean();
    if (!report) throw badUserInput('id', 'the id of an existing tax report', id);
    const plan = planTransition(report.status as ReportStatus, action);
    if (plan.kind === 'already') return report;
    if (plan.kind === 'refused') {
      throw badUserInput(
        'id',
        `a ${plan.expected.toUpperCase()} report: only a ${plan.expected} report can be ${action === 'submit' ? 'submitted' : 'verified'}`,
        `report ${id} in status ${plan.status.toUpperCase()}`,
      );
    }
    const changes: Record<string, unknown> = { status: plan.to };
    if (action === 'submit') {
      const period = parsePeriod(report.period)!;
      if (now.getTime() < periodEnd(period).getTime()) {
        throw badUserInput('id', `a draft for a month that is over (${report.period} is not)`, id);
      }
      Object.assign(changes, { submittedAt: now, filedOnTime: filedOnTime(period, now) });
    } else {
      changes.verifiedAt = now;
    }
    const updated = await TaxReport.findOneAndUpdate({ _id: reportId, status: plan.from }, { $set: changes }, { new: true }).lean();
    if (updated) return updated;
  }
  throw badUserInput('id', 'a report that is not being changed by another request at the same time; try again', id);
}

export function submitTaxReport(id: string, context: TaxContext): Promise<TaxReportRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Submitting a tax report');
  return advance(id, 'submit', context);
}

export function verifyTaxReport(id: string, context: TaxContext): Promise<TaxReportRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Verifying a tax report');
  return advance(id, 'verify', context);
}
