import type { PipelineStage } from 'mongoose';
import { yearRange } from '../kit/scorecard';
import type { EnvironmentModels } from './models';

/**
 * The Smart Environment pillar, aggregated from the waste banks' own records for one calendar year, either
 * for the whole city or for a set of kelurahan at once (one pipeline per collection, whatever the number of
 * kelurahan). Nothing here is a stored total.
 */
export interface EnvironmentFigures {
  wasteBanks: number;
  activeWasteBanks: number;
  members: number;
  kgRecovered: number;
  deposits: number;
  depositValue: number;
}

export const NO_FIGURES: EnvironmentFigures = Object.freeze({
  wasteBanks: 0,
  activeWasteBanks: 0,
  members: 0,
  kgRecovered: 0,
  deposits: 0,
  depositValue: 0,
});

/** Where the figures are wanted: the city (null) or these kelurahan. */
type Scope = readonly string[] | null;

const CITY = '';

function scopeMatch(scope: Scope): Record<string, unknown> {
  return scope === null ? {} : { kelurahanCode: { $in: [...scope] } };
}

/** The group key: each kelurahan, or one group for the city. */
function groupKey(scope: Scope): string | null {
  return scope === null ? null : '$kelurahanCode';
}

async function countsBy(run: Promise<{ _id: string | null; n: number; kg?: number; value?: number }[]>) {
  const rows = await run;
  return new Map(rows.map((row) => [row._id ?? CITY, row]));
}

/**
 * Figures for one year. Waste banks count when established before the year ended; they count as active when
 * some active period covers the year's last instant (the city's year-end snapshot). Members are residents
 * with a membership overlapping the year, each counted once. Recovery is the weight deposited in the year.
 */
export async function environmentFigures(
  models: EnvironmentModels,
  year: number,
  scope: Scope,
): Promise<Map<string, EnvironmentFigures>> {
  const { start, end } = yearRange(year);
  const where = scopeMatch(scope);
  const existing = { ...where, establishedAt: { $lt: end } };
  const membersPipeline: PipelineStage[] = [
    { $match: { ...where, joinedAt: { $lt: end }, $or: [{ leftAt: null }, { leftAt: { $gte: start } }] } },
    // One row per resident (per kelurahan), so a resident saving at two banks counts once.
    { $group: { _id: { kelurahanCode: scope === null ? null : '$kelurahanCode', residentId: '$residentId' } } },
    { $group: { _id: '$_id.kelurahanCode', n: { $sum: 1 } } },
  ];
  const [banks, active, members, deposits] = await Promise.all([
    countsBy(models.WasteBank.aggregate([{ $match: existing }, { $group: { _id: groupKey(scope), n: { $sum: 1 } } }])),
    countsBy(
      models.WasteBank.aggregate([
        {
          $match: {
            ...existing,
            activePeriods: { $elemMatch: { from: { $lt: end }, $or: [{ until: null }, { until: { $gte: end } }] } },
          },
        },
        { $group: { _id: groupKey(scope), n: { $sum: 1 } } },
      ]),
    ),
    countsBy(models.Member.aggregate(membersPipeline)),
    countsBy(
      models.Deposit.aggregate([
        { $match: { ...where, depositedAt: { $gte: start, $lt: end } } },
        { $group: { _id: groupKey(scope), n: { $sum: 1 }, kg: { $sum: '$totalKg' }, value: { $sum: '$totalValue' } } },
      ]),
    ),
  ]);
  const keys = scope === null ? [CITY] : scope;
  return new Map(
    keys.map((key) => [
      key,
      {
        wasteBanks: banks.get(key)?.n ?? 0,
        activeWasteBanks: active.get(key)?.n ?? 0,
        members: members.get(key)?.n ?? 0,
        kgRecovered: deposits.get(key)?.kg ?? 0,
        deposits: deposits.get(key)?.n ?? 0,
        depositValue: deposits.get(key)?.value ?? 0,
      },
    ]),
  );
}

export async function cityEnvironmentFigures(models: EnvironmentModels, year: number): Promise<EnvironmentFigures> {
  return (await environmentFigures(models, year, null)).get(CITY) ?? NO_FIGURES;
}
