import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import {
  requireIdempotencyKey,
  requireObjectId,
  requirePastInstant,
  requireWholeRupiah,
} from '../../kit/validate';
import type { TaxContext } from '../loaders';
import type { TaxReportRecord } from '../models';
import {
  filedOnTime,
  formatPeriod,
  MAX_GROSS_REVENUE,
  parsePeriod,
  periodEnd,
  planTransition,
  rateFor,
  taxDue,
  type ReportAction,
  type ReportStatus,
  type TaxSubtype,
  type TaxType,
} from '../rules';

/**
 * Filing a monthly report and moving it along the status flow. Every input is checked before the write
 * unit starts; each unit changes one report and refreshes the kelurahan's governance figures for the
 * report's year. The unique (object, period) index makes a second report for a month impossible even
 * when two filings race: the loser's unit runs again, finds the winner and answers as below.
 */
export interface FileTaxReportInput {
  taxObjectId: string;
  period: string;
  grossRevenue: number;
  filedAt?: string | null;
  idempotencyKey?: string | null;
}

export async function fileTaxReport(input: FileTaxReportInput, ctx: TaxContext): Promise<TaxReportRecord> {
  requireStaff(ctx, 'Filing a tax report');
  const now = new Date();
  // Shape of every field first, so that a caller with several mistakes learns of the first one at once.
  const taxObjectId = requireObjectId(input.taxObjectId, 'taxObjectId', 'a registered tax object');
  const period = parsePeriod(input.period);
  if (!period) throw badUserInput('period', 'a month as "YYYY-MM", e.g. "2024-03"', input.period);
  const grossRevenue = requireWholeRupiah(input.grossRevenue, 'grossRevenue', { max: MAX_GROSS_REVENUE });
  const filedAt = input.filedAt == null ? now : requirePastInstant(input.filedAt, 'filedAt', now);
  const idempotencyKey = input.idempotencyKey == null ? undefined : requireIdempotencyKey(input.idempotencyKey);
  if (filedAt.getTime() < periodEnd(period).getTime()) {
    throw badUserInput(
      'period',
      `a month that is over when the report is filed (${input.period} ends ${periodEnd(period).toISOString()}, filed ${filedAt.toISOString()})`,
      input.period,
    );
  }
  const periodText = formatPeriod(period);

  return ctx.transaction(async (unit) => {
    const taxObject = await ctx.models.TaxObject.findById(taxObjectId).lean();
    if (!taxObject) throw notFound('tax object', `id ${input.taxObjectId}`);
    const rate = rateFor(taxObject.taxType as TaxType, taxObject.subtype as TaxSubtype);
    if (!rate?.selfAssessed) {
      throw badUserInput(
        'taxObjectId',
        'the object of a self-assessed tax (PBJT, advertising or groundwater): PBB-P2 is assessed by the city and BPHTB is paid per transaction, neither is filed on an SPTPD',
        taxObject.taxType.toUpperCase(),
      );
    }
    if (periodText < taxObject.activeFrom || (taxObject.activeUntil && periodText > taxObject.activeUntil)) {
      const until = taxObject.activeUntil ? ` until ${taxObject.activeUntil}` : '';
      throw badUserInput('period', `a month in which the tax object traded (from ${taxObject.activeFrom}${until})`, input.period);
    }

    const existing = await ctx.models.TaxReport.findOne({ taxObjectId, period: periodText }).lean();
    if (existing) return answerDuplicate(existing, grossRevenue, idempotencyKey);

    // create() validates against the schema before writing, as every write by a caller should.
    const [created] = await ctx.models.TaxReport.create([
      {
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
      },
    ]);
    unit.figuresChanged(taxObject.kelurahanCode, period.year);
    return created.toObject() as TaxReportRecord;
  });
}

/**
 * A report already exists for the object and month. With the same idempotency key and figures it is the
 * caller's own earlier filing, answered again; the same key with other figures, or another filing for the
 * month, is refused: the law allows one report per object and month.
 */
function answerDuplicate(existing: TaxReportRecord, grossRevenue: number, idempotencyKey: string | undefined): TaxReportRecord {
  if (idempotencyKey && existing.idempotencyKey === idempotencyKey) {
    if (existing.grossRevenue !== grossRevenue) {
      throw conflict(
        `The idempotency key "${idempotencyKey}" filed gross revenue ${existing.grossRevenue} for this month; use a new key for a new request.`,
        'idempotencyKey',
      );
    }
    return existing;
  }
  throw conflict(
    `Report ${String(existing._id)} for ${existing.period} already exists for this tax object (status ${existing.status.toUpperCase()}); ` +
      'one report per object and month is allowed.',
    'period',
  );
}

/** Moves a report one step along draft → submitted → verified, by the rule in rules.ts. */
async function advance(input: { id: string }, action: Exclude<ReportAction, 'pay'>, ctx: TaxContext): Promise<TaxReportRecord> {
  const reportId = requireObjectId(input.id, 'id', 'a tax report');
  const now = new Date();
  return ctx.transaction(async (unit) => {
    const report = await ctx.models.TaxReport.findById(reportId).lean();
    if (!report) throw notFound('tax report', `id ${input.id}`);
    const plan = planTransition(report.status as ReportStatus, action);
    if (plan.kind === 'already') return report;
    if (plan.kind === 'refused') {
      throw conflict(
        `Report ${input.id} is ${plan.status.toUpperCase()}: only a ${plan.expected.toUpperCase()} report can be ${action === 'submit' ? 'submitted' : 'verified'}.`,
        'id',
      );
    }
    const changes: Record<string, unknown> = { status: plan.to };
    const period = parsePeriod(report.period)!;
    if (action === 'submit') {
      if (now.getTime() < periodEnd(period).getTime()) {
        throw conflict(`Report ${input.id} is for ${report.period}, which is not over yet: it can be submitted from ${periodEnd(period).toISOString()}.`, 'id');
      }
      Object.assign(changes, { submittedAt: now, filedOnTime: filedOnTime(period, now) });
    } else {
      changes.verifiedAt = now;
    }
    // The transaction makes the read and this write one step: another request changing the report at the
    // same moment conflicts, and its unit runs again on the new state.
    const updated = await ctx.models.TaxReport.findOneAndUpdate({ _id: reportId }, { $set: changes }, { new: true }).lean();
    unit.figuresChanged(report.kelurahanCode, period.year);
    return updated!;
  });
}

export function submitTaxReport(input: { id: string }, ctx: TaxContext): Promise<TaxReportRecord> {
  requireStaff(ctx, 'Submitting a tax report');
  return advance(input, 'submit', ctx);
}

export function verifyTaxReport(input: { id: string }, ctx: TaxContext): Promise<TaxReportRecord> {
  requireStaff(ctx, 'Verifying a tax report');
  return advance(input, 'verify', ctx);
}

