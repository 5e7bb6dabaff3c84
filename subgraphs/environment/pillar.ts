import { yearDays, yearRange } from '../kit/calendar';
import { definePillar, figuresByPlace, type Places } from '../kit/pillar';
import type { EnvironmentModels } from './models';
import { gramsFromKg, tonnesFromGrams } from './rules';

/**
 * Smart Environment: the Bank Sampah waste banks, per kelurahan (where the waste banks stand) and for the
 * city, for one calendar year:
 * - waste banks: established by the year's last day, active or not;
 * - active waste banks: active on the year's last day (an active period covers it), the city's year-end
 *   snapshot ("134 units, of which 63 active" in 2023);
 * - members: residents with a membership overlapping the year, each counted once per kelurahan and once
 *   for the city (a resident saving at two waste banks is one member);
 * - grams recovered, deposits and deposit value: the weigh-ins of the year on Kediri's clock.
 * Waste banks are facilities and are never withheld; every other figure of a kelurahan comes from its
 * members, so it is withheld from the public below 5 of them.
 */
export interface EnvironmentFigures {
  wasteBanks: number;
  activeWasteBanks: number;
  members: number;
  /** Whole grams: a sum of integers, the same whatever order the database adds the weigh-ins in. */
  gramsRecovered: number;
  deposits: number;
  depositValue: number;
}

export function noEnvironmentFigures(): EnvironmentFigures {
  return { wasteBanks: 0, activeWasteBanks: 0, members: 0, gramsRecovered: 0, deposits: 0, depositValue: 0 };
}

interface CountRow {
  _id: string | null;
  n: number;
}

/**
 * The figures of one year, in four aggregations whatever the number of kelurahan asked for, one after the
 * other (inside a write's transaction MongoDB allows no parallel operations). The days of a waste bank's
 * life and of a membership are calendar days, compared with the year's calendar days; weigh-ins are
 * instants, counted in the year on Kediri's clock.
 */
export async function environmentFigures(models: EnvironmentModels, year: number, places: Places): Promise<Map<string, EnvironmentFigures>> {
  const { start, end } = yearRange(year);
  const nextYear = yearDays(year + 1).first;
  const where = places === null ? {} : { kelurahanCode: { $in: [...places] } };
  const group = places === null ? null : '$kelurahanCode';
  const existing = { ...where, establishedAt: { $lt: nextYear } };

  const banks = await models.WasteBank.aggregate<CountRow>([{ $match: existing }, { $group: { _id: group, n: { $sum: 1 } } }]);
  const active = await models.WasteBank.aggregate<CountRow>([
    { $match: { ...existing, activePeriods: { $elemMatch: { from: { $lt: nextYear }, $or: [{ until: null }, { until: { $gte: nextYear } }] } } } },
    { $group: { _id: group, n: { $sum: 1 } } },
  ]);
  const members = await memberCounts(models, year, places);
  const deposits = await models.Deposit.aggregate<CountRow & { kg: number; value: number }>([
    { $match: { ...where, depositedAt: { $gte: start, $lt: end } } },
    { $group: { _id: group, n: { $sum: 1 }, kg: { $sum: '$totalKg' }, value: { $sum: '$totalValue' } } },
  ]);

  const { at: entry, figures: byPlace } = figuresByPlace(noEnvironmentFigures);
  for (const row of banks) entry(row._id).wasteBanks = row.n;
  for (const row of active) entry(row._id).activeWasteBanks = row.n;
  for (const row of members) entry(row._id).members = row.n;
  for (const row of deposits) {
    Object.assign(entry(row._id), { deposits: row.n, gramsRecovered: gramsFromKg(row.kg), depositValue: row.value });
  }
  return byPlace;
}

/** Members with a membership overlapping the year, per kelurahan of `places` or (null) for the city, each resident once. */
function memberCounts(models: EnvironmentModels, year: number, places: Places): Promise<CountRow[]> {
  const where = places === null ? {} : { kelurahanCode: { $in: [...places] } };
  return models.Member.aggregate<CountRow>([
    { $match: { ...where, joinedAt: { $lt: yearDays(year + 1).first }, $or: [{ leftAt: null }, { leftAt: { $gte: yearDays(year).first } }] } },
    // One row per resident (per kelurahan), so a resident saving at two waste banks counts once.
    { $group: { _id: places === null ? '$residentId' : { place: '$kelurahanCode', residentId: '$residentId' } } },
    { $group: { _id: places === null ? null : '$_id.place', n: { $sum: 1 } } },
  ]);
}

export const environmentPillar = definePillar({
  field: 'environment',
  typeName: 'EnvironmentIndicators',
  version: 1,
  people: { members: 'waste bank members' },
  empty: noEnvironmentFigures,
  aggregate: environmentFigures,
  // Waste banks and weigh-ins belong to one kelurahan each; a resident saving in two is one member of the city.
  distinctCityFigures: async (models: EnvironmentModels, year: number) => ({ members: (await memberCounts(models, year, null))[0]?.n ?? 0 }),
  fields: {
    wasteBanks: {},
    activeWasteBanks: {},
    inactiveWasteBanks: { from: (figures) => figures.wasteBanks - figures.activeWasteBanks },
    members: { gatedBy: 'members' },
    tonnesRecovered: { from: (figures) => tonnesFromGrams(figures.gramsRecovered), gatedBy: 'members' },
    deposits: { gatedBy: 'members' },
    depositValue: { gatedBy: 'members' },
  },
});
