import { badUserInput } from '../../platform/errors';
import { requireOwningAgency, requireRole } from '../kit/access';
import { mutation } from '../kit/agency';
import { paginate } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireKelurahanCode, requireObjectId, requireYear } from '../kit/validate';
import type { TaxContext } from './loaders';
import type { TaxObjectRecord, TaxPaymentRecord, TaxReportRecord, TaxpayerRecord } from './models';
import { fileTaxReport, submitTaxReport, verifyTaxReport } from './mutations/filing';
import { recordTaxPayment } from './mutations/payments';
import { registerTaxObject, registerTaxpayer } from './mutations/registration';
import type { PillarFigures } from '../kit/pillar';
import { governance, noTaxFigures, onTimeFilingRate, tallyFigures, type TaxFigures } from './pillar';
import {
  filingDeadline,
  NPWPD_PATTERN,
  parsePeriod,
  PAYMENT_CHANNELS,
  paymentDeadline,
  RATE_TABLE,
  RATE_TABLE_VALID_FROM,
  rateFraction,
  REPORT_STATUSES,
  TAX_SUBTYPES,
  TAX_TYPES,
  TAXPAYER_TYPES,
  type TaxRate,
} from './rules';
import { enumOf, idOf, isoOrNull as iso } from '../kit/output';

/**
 * The tax subgraph's resolvers: thin. They check access and arguments, then hand over to the loaders,
 * the figures and the mutations. Taxpayer data is confidential under HKPD, so every way into a taxpayer,
 * object, report or payment starts with the owning-agency check; aggregates are public.
 */

// One helper per entity, shared by the root query and by every field that reaches the same entity.

function taxpayerByNpwpd(npwpd: string, context: TaxContext) {
  requireOwningAgency(context.identity, context.agency, 'A taxpayer record');
  if (!NPWPD_PATTERN.test(npwpd)) throw badUserInput('npwpd', 'an NPWPD such as "P.2.0000123.02.08"', npwpd);
  return context.loaders.taxpayerByNpwpd.load(npwpd);
}

function taxObjectById(id: string, context: TaxContext) {
  requireOwningAgency(context.identity, context.agency, 'A tax object');
  return context.loaders.taxObjectById.load(requireObjectId(id, 'id', 'a tax object').toHexString());
}

function taxReportById(id: string, context: TaxContext) {
  requireOwningAgency(context.identity, context.agency, 'A tax report');
  return context.loaders.reportById.load(requireObjectId(id, 'id', 'a tax report').toHexString());
}

export const resolvers = {
  TaxType: enumOf(TAX_TYPES),
  TaxSubtype: enumOf(TAX_SUBTYPES),
  TaxpayerType: enumOf(TAXPAYER_TYPES),
  TaxReportStatus: enumOf(REPORT_STATUSES),
  TaxPaymentChannel: enumOf(PAYMENT_CHANNELS),

  Query: {
    taxRates: () => RATE_TABLE,

    taxpayers(
      _: unknown,
      args: { kelurahanCode?: string | null; type?: string | null; first?: number | null; after?: string | null },
      context: TaxContext,
    ) {
      requireOwningAgency(context.identity, context.agency, 'The list of taxpayers');
      const filter: Record<string, unknown> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.type != null) filter.type = args.type;
      return paginate<TaxpayerRecord>(context.models.Taxpayer, filter, args);
    },

    taxpayer: (_: unknown, args: { npwpd: string }, context: TaxContext) => taxpayerByNpwpd(args.npwpd, context),
    taxObject: (_: unknown, args: { id: string }, context: TaxContext) => taxObjectById(args.id, context),
    taxReport: (_: unknown, args: { id: string }, context: TaxContext) => taxReportById(args.id, context),

    taxReports(
      _: unknown,
      args: {
        kelurahanCode?: string | null;
        period?: string | null;
        status?: string | null;
        taxType?: string | null;
        first?: number | null;
        after?: string | null;
      },
      context: TaxContext,
    ) {
      requireOwningAgency(context.identity, context.agency, 'The list of tax reports');
      const filter: Record<string, unknown> = {};
      if (args.kelurahanCode != null) filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
      if (args.period != null) {
        if (!parsePeriod(args.period)) throw badUserInput('period', 'a month as "YYYY-MM", e.g. "2024-03"', args.period);
        filter.period = args.period;
      }
      if (args.status != null) filter.status = args.status;
      if (args.taxType != null) filter.taxType = args.taxType;
      return paginate<TaxReportRecord>(context.models.TaxReport, filter, args);
    },

    async taxRevenueByType(_: unknown, args: { year: number }, context: TaxContext) {
      const year = requireYear(args.year, 'year');
      const byType = await tallyFigures(context.models, year, 'taxType');
      const selfAssessed = [...new Set(RATE_TABLE.filter((row) => row.selfAssessed).map((row) => row.taxType))];
      return selfAssessed.map((taxType) => {
        const figures = byType.get(taxType) ?? noTaxFigures();
        return { taxType, year, reportsFiled: figures.reportsFiled, taxDue: figures.taxDue, taxRevenue: figures.taxRevenue };
      });
    },
  },

  Mutation: {
    fileTaxReport: mutation(fileTaxReport),
    submitTaxReport: mutation(submitTaxReport),
    verifyTaxReport: mutation(verifyTaxReport),
    recordTaxPayment: mutation(recordTaxPayment),
    registerTaxpayer: mutation(registerTaxpayer),
    registerTaxObject: mutation(registerTaxObject),
  },

  TaxRate: {
    rate: (row: TaxRate) => rateFraction(row.basisPoints),
    validFrom: () => RATE_TABLE_VALID_FROM,
  },

  Taxpayer: {
    id: idOf,
    businessId: (taxpayer: TaxpayerRecord) => taxpayer.businessId ?? null,
    resident: (taxpayer: TaxpayerRecord) => (taxpayer.residentId ? { id: taxpayer.residentId } : null),
    kelurahan: (taxpayer: TaxpayerRecord) => ({ code: taxpayer.kelurahanCode }),
    registeredAt: (taxpayer: TaxpayerRecord) => iso(taxpayer.registeredAt),
    taxObjects: (taxpayer: TaxpayerRecord, _: unknown, context: TaxContext) =>
      context.loaders.taxObjectsByTaxpayer.load(idOf(taxpayer)),
  },

  TaxObject: {
    id: idOf,
    kelurahan: (object: TaxObjectRecord) => ({ code: object.kelurahanCode }),
    activeUntil: (object: TaxObjectRecord) => object.activeUntil ?? null,
    taxpayer: (object: TaxObjectRecord, _: unknown, context: TaxContext) =>
      context.loaders.taxpayerById.load(String(object.taxpayerId)),
    reports: (object: TaxObjectRecord, _: unknown, context: TaxContext) =>
      context.loaders.reportsByTaxObject.load(idOf(object)),
  },

  TaxReport: {
    id: idOf,
    rate: (report: TaxReportRecord) => rateFraction(report.rateBasisPoints),
    submittedAt: (report: TaxReportRecord) => iso(report.submittedAt),
    filedOnTime: (report: TaxReportRecord) => report.filedOnTime ?? null,
    filingDeadline: (report: TaxReportRecord) => filingDeadline(parsePeriod(report.period)!).toISOString(),
    paymentDeadline: (report: TaxReportRecord) => paymentDeadline(parsePeriod(report.period)!).toISOString(),
    verifiedAt: (report: TaxReportRecord) => iso(report.verifiedAt),
    paidAt: (report: TaxReportRecord) => iso(report.paidAt),
    taxObject: (report: TaxReportRecord, _: unknown, context: TaxContext) =>
      context.loaders.taxObjectById.load(String(report.taxObjectId)),
    taxpayer: (report: TaxReportRecord, _: unknown, context: TaxContext) =>
      context.loaders.taxpayerById.load(String(report.taxpayerId)),
    payment: (report: TaxReportRecord, _: unknown, context: TaxContext) =>
      context.loaders.paymentByReport.load(idOf(report)),
  },

  TaxPayment: {
    id: idOf,
    paidAt: (payment: TaxPaymentRecord) => iso(payment.paidAt),
    report: (payment: TaxPaymentRecord, _: unknown, context: TaxContext) =>
      context.loaders.reportById.load(String(payment.reportId)),
  },

  /** The same figures as the kelurahan's governance pillar, under the names of the tax summary. */
  KelurahanTaxSummary: {
    kelurahanCode: (summary: PillarFigures<TaxFigures>) => summary.place,
    ...governance.fieldResolvers({
      activeTaxpayers: { gatedBy: 'activeTaxpayers' },
      reportsFiled: { gatedBy: 'activeTaxpayers' },
      onTimeFilingRate: { from: onTimeFilingRate, gatedBy: 'activeTaxpayers' },
      taxDue: { gatedBy: 'activeTaxpayers' },
      taxRevenue: { gatedBy: 'activeTaxpayers' },
    }),
  },

  Kelurahan: {
    taxSummary: (kelurahan: { code: string }, args: { year: number }, context: TaxContext) =>
      governance.figuresOf(context, kelurahan.code, requireYear(args.year, 'year')),
  },

  Resident: {
    taxpayer(resident: { id: string }, _: unknown, context: TaxContext) {
      requireRole(context.identity, ['caseworker', `agency:${context.agency}`], "A resident's tax registration");
      // An id that is not a resident id cannot belong to anyone the agency knows: no record, not an error.
      if (!isResidentId(resident.id)) return null;
      return context.loaders.taxpayerByResidentId.load(resident.id);
    },
  },

  ResidentTaxpayer: {
    registeredAt: (taxpayer: TaxpayerRecord) => iso(taxpayer.registeredAt),
    taxObjectCount: async (taxpayer: TaxpayerRecord, _: unknown, context: TaxContext) =>
      (await context.loaders.taxObjectsByTaxpayer.load(idOf(taxpayer))).length,
    unpaidReports: async (taxpayer: TaxpayerRecord, _: unknown, context: TaxContext) =>
      (await context.loaders.unpaidByTaxpayer.load(idOf(taxpayer))).unpaidReports,
    unpaidTaxDue: async (taxpayer: TaxpayerRecord, _: unknown, context: TaxContext) =>
      (await context.loaders.unpaidByTaxpayer.load(idOf(taxpayer))).unpaidTaxDue,
  },
};
