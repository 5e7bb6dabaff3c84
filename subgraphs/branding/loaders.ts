import DataLoader from 'dataloader';
import type { FilterQuery, PipelineStage } from 'mongoose';
import type { Identity } from '../../platform/identity';
import { compositeKey, manyByField, oneByField, splitKey } from '../kit/loaders';
import { rate } from '../kit/scorecard';
import type { BrandingModels, ProdamasRoleDoc, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import { APPROVED_STATUSES } from './rules';

/**
 * The branding subgraph's per-request DataLoaders. Every entity and nested list goes through one of them,
 * so resolving the scorecard of all 46 kelurahan costs three aggregations, and a page of proposals with
 * their budgets and realizations costs one `$in` query per collection.
 */

export interface BrandingIndicators {
  prodamasBudget: number;
  prodamasProposals: number;
  realizationRate: number;
  rtBudgets: number;
  approvedAmount: number;
  realizedAmount: number;
  budgetUptake: number;
}

interface Totals {
  ceiling: number;
  budgets: number;
  proposals: number;
  approved: number;
  realized: number;
}

function emptyTotals(): Totals {
  return { ceiling: 0, budgets: 0, proposals: 0, approved: 0, realized: 0 };
}

export function toIndicators(totals: Totals): BrandingIndicators {
  return {
    prodamasBudget: totals.ceiling,
    prodamasProposals: totals.proposals,
    realizationRate: rate(totals.realized, totals.approved),
    rtBudgets: totals.budgets,
    approvedAmount: totals.approved,
    realizedAmount: totals.realized,
    budgetUptake: rate(totals.approved, totals.ceiling),
  };
}

/**
 * Aggregates the three collections over `match`, grouped by `groupId` (the year, or the kelurahan and the
 * year), and returns the totals per group under the key `keyOf` makes of each group's _id. The figures of
 * a year are those of its budget year: an LPJ filed in January for last year's activity counts for last year.
 */
async function aggregateTotals(
  models: BrandingModels,
  match: FilterQuery<unknown>,
  groupId: PipelineStage.Group['$group']['_id'],
  keyOf: (id: any) => string,
): Promise<Map<string, Totals>> {
  const [budgets, proposals, realizations] = await Promise.all([
    models.RtBudget.aggregate<{ _id: unknown; ceiling: number; count: number }>([
      { $match: match },
      { $group: { _id: groupId, ceiling: { $sum: '$ceiling' }, count: { $sum: 1 } } },
    ]),
    models.Proposal.aggregate<{ _id: unknown; count: number; approved: number }>([
      { $match: match },
      {
        $group: {
          _id: groupId,
          count: { $sum: 1 },
          approved: { $sum: { $cond: [{ $in: ['$status', APPROVED_STATUSES] }, '$amount', 0] } },
        },
      },
    ]),
    models.Realization.aggregate<{ _id: unknown; realized: number }>([
      { $match: match },
      { $group: { _id: groupId, realized: { $sum: '$amountSpent' } } },
    ]),
  ]);
  const totals = new Map<string, Totals>();
  const at = (id: unknown) => {
    const key = keyOf(id);
    let entry = totals.get(key);
    if (!entry) totals.set(key, (entry = emptyTotals()));
    return entry;
  };
  for (const row of budgets) Object.assign(at(row._id), { ceiling: row.ceiling, budgets: row.count });
  for (const row of proposals) Object.assign(at(row._id), { proposals: row.count, approved: row.approved });
  for (const row of realizations) at(row._id).realized = row.realized;
  return totals;
}

/** One set of indicators per kelurahan-year key (`compositeKey(code, year)`), from ONE batch of aggregations. */
function kelurahanIndicatorsLoader(models: BrandingModels): DataLoader<string, BrandingIndicators> {
  return new DataLoader(async (keys) => {
    const parts = keys.map(splitKey);
    const codes = [...new Set(parts.map(([code]) => code))];
    const years = [...new Set(parts.map(([, year]) => Number(year)))];
    const totals = await aggregateTotals(
      models,
      { kelurahanCode: { $in: codes }, year: { $in: years } },
      { kelurahanCode: '$kelurahanCode', year: '$year' },
      (id: { kelurahanCode: string; year: number }) => compositeKey(id.kelurahanCode, id.year),
    );
    return keys.map((key) => toIndicators(totals.get(key) ?? emptyTotals()));
  });
}

/** One set of indicators per year for the whole city. */
function cityIndicatorsLoader(models: BrandingModels): DataLoader<number, BrandingIndicators> {
  return new DataLoader(async (years) => {
    const totals = await aggregateTotals(models, { year: { $in: [...years] } }, '$year', (id: number) => String(id));
    return years.map((year) => toIndicators(totals.get(String(year)) ?? emptyTotals()));
  });
}

/** A kelurahan's RT budgets for a year, in RT order, per `compositeKey(code, year)`. */
function budgetsByKelurahanYearLoader(models: BrandingModels): DataLoader<string, RtBudgetDoc[]> {
  return new DataLoader(async (keys) => {
    const parts = keys.map(splitKey);
    const docs = await models.RtBudget.find({
      kelurahanCode: { $in: [...new Set(parts.map(([code]) => code))] },
      year: { $in: [...new Set(parts.map(([, year]) => Number(year)))] },
    })
      .sort({ kelurahanCode: 1, year: 1, rt: 1 })
      .lean<RtBudgetDoc[]>();
    const byKey = new Map<string, RtBudgetDoc[]>(keys.map((key) => [key, []]));
    for (const doc of docs) byKey.get(compositeKey(doc.kelurahanCode, doc.year))?.push(doc);
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

/** One RT budget per `compositeKey(code, rt, year)`: the budget's natural key. */
function budgetByNaturalKeyLoader(models: BrandingModels): DataLoader<string, RtBudgetDoc | null> {
  return new DataLoader(async (keys) => {
    const parts = keys.map(splitKey);
    const docs = await models.RtBudget.find({
      kelurahanCode: { $in: [...new Set(parts.map(([code]) => code))] },
      rt: { $in: [...new Set(parts.map(([, rt]) => Number(rt)))] },
      year: { $in: [...new Set(parts.map(([, , year]) => Number(year)))] },
    }).lean<RtBudgetDoc[]>();
    const byKey = new Map(docs.map((doc) => [compositeKey(doc.kelurahanCode, doc.rt, doc.year), doc]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

export function createBrandingLoaders(models: BrandingModels, _identity: Identity) {
  return {
    kelurahanIndicators: kelurahanIndicatorsLoader(models),
    cityIndicators: cityIndicatorsLoader(models),
    budgetsByKelurahanYear: budgetsByKelurahanYearLoader(models),
    budgetByNaturalKey: budgetByNaturalKeyLoader(models),
    budgetById: oneByField<RtBudgetDoc>(models.RtBudget, '_id'),
    proposalById: oneByField<ProposalDoc>(models.Proposal, '_id'),
    proposalsByBudget: manyByField<ProposalDoc>(models.Proposal, 'budgetId', { sort: { submittedAt: 1, _id: 1 } }),
    realizationByProposal: oneByField<RealizationDoc>(models.Realization, 'proposalId'),
    rolesByResident: manyByField<ProdamasRoleDoc>(models.ProdamasRole, 'residentId', { sort: { year: -1, role: 1 } }),
  };
}

export type BrandingLoaders = ReturnType<typeof createBrandingLoaders>;
