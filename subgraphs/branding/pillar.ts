import type { FilterQuery } from 'mongoose';
import { definePillar, figuresByPlace, rate, type Places } from '../kit/pillar';
import type { BrandingModels } from './models';
import { APPROVED_STATUSES } from './rules';

/**
 * Smart Branding: Prodamas Plus, per kelurahan and for the city, for one budget year. Every figure belongs
 * to the budget year of its records, not to the day they were written: an LPJ filed in January for last
 * year's activity counts for last year.
 * - budget: the sum of the RT ceilings of the year, and how many RT budgets there are;
 * - proposals: the activity lines submitted for the year, in any status (rejected included);
 * - approved amount: the amounts of the proposals approved (approved or any later status);
 * - realized amount: what the LPJs of the year's proposals say was spent.
 * The realization rate (realized over approved) and the budget uptake (approved over budget) derive from
 * those. Nothing here counts people (budgets, activity lines, rupiah), so nothing is withheld.
 */
export interface BrandingFigures {
  prodamasBudget: number;
  rtBudgets: number;
  prodamasProposals: number;
  approvedAmount: number;
  realizedAmount: number;
}

export function noBrandingFigures(): BrandingFigures {
  return { prodamasBudget: 0, rtBudgets: 0, prodamasProposals: 0, approvedAmount: 0, realizedAmount: 0 };
}

/**
 * A year's figures from the three collections, grouped by kelurahan (narrowed to `places`) or, with `places`
 * null, for the whole city under CITY: three aggregations whatever the number of kelurahan, one after the
 * other, since inside a write's transaction MongoDB allows no parallel operations.
 */
export async function aggregateBranding(models: BrandingModels, year: number, places: Places): Promise<Map<string, BrandingFigures>> {
  const match: FilterQuery<unknown> = places === null ? { year } : { year, kelurahanCode: { $in: [...places] } };
  const group = places === null ? null : '$kelurahanCode';
  const budgets = await models.RtBudget.aggregate<{ _id: string | null; ceiling: number; count: number }>([
    { $match: match },
    { $group: { _id: group, ceiling: { $sum: '$ceiling' }, count: { $sum: 1 } } },
  ]);
  const proposals = await models.Proposal.aggregate<{ _id: string | null; count: number; approved: number }>([
    { $match: match },
    {
      $group: {
        _id: group,
        count: { $sum: 1 },
        approved: { $sum: { $cond: [{ $in: ['$status', APPROVED_STATUSES] }, '$amount', 0] } },
      },
    },
  ]);
  const realizations = await models.Realization.aggregate<{ _id: string | null; realized: number }>([
    { $match: match },
    { $group: { _id: group, realized: { $sum: '$amountSpent' } } },
  ]);

  const { at: at, figures: figures } = figuresByPlace(noBrandingFigures);
  for (const row of budgets) Object.assign(at(row._id), { prodamasBudget: row.ceiling, rtBudgets: row.count });
  for (const row of proposals) Object.assign(at(row._id), { prodamasProposals: row.count, approvedAmount: row.approved });
  for (const row of realizations) at(row._id).realizedAmount = row.realized;
  return figures;
}

export const prodamas = definePillar({
  field: 'branding',
  typeName: 'BrandingIndicators',
  version: 1,
  people: {},
  empty: noBrandingFigures,
  aggregate: aggregateBranding,
  cityIsSumOfKelurahan: true,
  fields: {
    prodamasBudget: {},
    prodamasProposals: {},
    realizationRate: { from: (figures) => rate(figures.realizedAmount, figures.approvedAmount) },
    rtBudgets: {},
    approvedAmount: {},
    realizedAmount: {},
    budgetUptake: { from: (figures) => rate(figures.approvedAmount, figures.prodamasBudget) },
  },
});
