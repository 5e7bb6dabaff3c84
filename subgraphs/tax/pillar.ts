import type { PipelineStage } from 'mongoose';
import { yearRange } from '../kit/calendar';
import { definePillar, figuresByPlace, rate, type Places } from '../kit/pillar';
import type { TaxModels } from './models';

/**
 * Smart Governance: e-SPTPD filing and tax revenue, per kelurahan (where the tax objects are) and for the
 * city, for one calendar year:
 * - reports filed: reports for the year's periods (January to December) that left draft;
 * - on-time filings: those submitted by the 10th of the following month, stored so that the city's figures
 *   add up from its kelurahan's; the on-time filing rate shown is their share of the reports filed;
 * - tax due: the tax due on those reports;
 * - active taxpayers: distinct taxpayers with at least one of those reports;
 * - tax revenue: payments received during the year on Kediri's clock, tax and late interest, whatever
 *   period they pay (revenue is counted when cash comes in, as the city's budget counts it).
 * Every figure of a kelurahan comes from its taxpayers, so all are withheld from the public below 5 of them.
 */
export interface TaxFigures {
  reportsFiled: number;
  onTimeFilings: number;
  taxDue: number;
  taxRevenue: number;
  activeTaxpayers: number;
}

export function noTaxFigures(): TaxFigures {
  return { reportsFiled: 0, onTimeFilings: 0, taxDue: 0, taxRevenue: 0, activeTaxpayers: 0 };
}

/** What the figures are grouped by: each kelurahan, each tax type, or the whole city. */
export type FigureGrouping = 'kelurahanCode' | 'taxType' | 'city';

/**
 * Tallies a year's figures in two aggregations, one over reports and one over payments, whatever the
 * number of groups asked for. `kelurahanCodes` narrows the match to those kelurahan. The two run one after
 * the other: inside a write's transaction MongoDB allows no parallel operations.
 */
export async function tallyFigures(
  models: TaxModels,
  year: number,
  groupBy: FigureGrouping,
  kelurahanCodes?: readonly string[],
): Promise<Map<string, TaxFigures>> {
  const place = kelurahanCodes ? { kelurahanCode: { $in: [...kelurahanCodes] } } : {};
  const group = groupBy === 'city' ? null : `$${groupBy}`;
  const { start, end } = yearRange(year);

  const reportStages: PipelineStage[] = [
    { $match: { ...place, ...filedInYear(year) } },
    // First per group and taxpayer, so that the second stage can count distinct taxpayers.
    {
      $group: {
        _id: { group, taxpayerId: '$taxpayerId' },
        filed: { $sum: 1 },
        onTime: { $sum: { $cond: [{ $eq: ['$filedOnTime', true] }, 1, 0] } },
        taxDue: { $sum: '$taxDue' },
      },
    },
    {
      $group: {
        _id: '$_id.group',
        reportsFiled: { $sum: '$filed' },
        onTime: { $sum: '$onTime' },
        taxDue: { $sum: '$taxDue' },
        activeTaxpayers: { $sum: 1 },
      },
    },
  ];
  const paymentStages: PipelineStage[] = [
    { $match: { ...place, paidAt: { $gte: start, $lt: end } } },
    { $group: { _id: group, taxRevenue: { $sum: '$amount' } } },
  ];
  const reports = await models.TaxReport.aggregate<{ _id: string | null; reportsFiled: number; onTime: number; taxDue: number; activeTaxpayers: number }>(
    reportStages,
  );
  const payments = await models.TaxPayment.aggregate<{ _id: string | null; taxRevenue: number }>(paymentStages);

  const { at: entry, figures: byGroup } = figuresByPlace(noTaxFigures);
  for (const row of reports) {
    Object.assign(entry(row._id), {
      reportsFiled: row.reportsFiled,
      onTimeFilings: row.onTime,
      taxDue: row.taxDue,
      activeTaxpayers: row.activeTaxpayers,
    });
  }
  for (const row of payments) entry(row._id).taxRevenue = row.taxRevenue;
  return byGroup;
}

/** The reports a year's figures count: those for its periods that left draft. */
function filedInYear(year: number) {
  return { period: { $gte: `${year}-01`, $lte: `${year}-12` }, status: { $ne: 'draft' } };
}

/** The city's active taxpayers of a year: each taxpayer once, whatever the kelurahan of their objects. */
async function activeTaxpayersOfCity(models: TaxModels, year: number): Promise<Partial<TaxFigures>> {
  const [row] = await models.TaxReport.aggregate<{ n: number }>([{ $match: filedInYear(year) }, { $group: { _id: '$taxpayerId' } }, { $count: 'n' }]);
  return { activeTaxpayers: row?.n ?? 0 };
}

/** The share of a place-year's reports filed on time. */
export function onTimeFilingRate(figures: TaxFigures): number {
  return rate(figures.onTimeFilings, figures.reportsFiled);
}

export const governance = definePillar({
  field: 'governance',
  typeName: 'GovernanceIndicators',
  // 2: the on-time filings are stored instead of their rate.
  version: 2,
  people: { activeTaxpayers: 'taxpayers' },
  empty: noTaxFigures,
  aggregate: (models: TaxModels, year: number, places: Places) =>
    places === null ? tallyFigures(models, year, 'city') : tallyFigures(models, year, 'kelurahanCode', places),
  distinctCityFigures: activeTaxpayersOfCity,
  fields: {
    taxReportsFiled: { from: 'reportsFiled', gatedBy: 'activeTaxpayers' },
    onTimeFilingRate: { from: onTimeFilingRate, gatedBy: 'activeTaxpayers' },
    taxRevenue: { gatedBy: 'activeTaxpayers' },
    taxDue: { gatedBy: 'activeTaxpayers' },
    activeTaxpayers: { gatedBy: 'activeTaxpayers' },
  },
});
