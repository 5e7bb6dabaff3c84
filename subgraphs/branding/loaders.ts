import DataLoader from 'dataloader';
import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { compositeKey, manyByField, oneByField, splitKey } from '../kit/loaders';
import type { BrandingModels, ProdamasRoleDoc, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';

/**
 * The branding subgraph's per-request DataLoaders. Every entity and nested list goes through one of them,
 * so a page of proposals with their budgets and realizations costs one `$in` query per collection. (The
 * scorecard's figures are the kit's, from the read model: see pillar.ts.)
 */

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

/** What every branding resolver and mutation receives. */
export type BrandingContext = AgencyContext<BrandingModels, BrandingLoaders>;
