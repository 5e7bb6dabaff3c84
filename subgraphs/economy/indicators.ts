import type { PipelineStage } from 'mongoose';
import { yearRange } from '../kit/scorecard';
import type { EconomyModels } from './models';
import { standingFromRepaid, weightedRate, yearEnd } from './rules';

/**
 * The economy pillar, computed at query time from the agency's own records for one calendar year, for the
 * whole city or for many kelurahan at once. Four database commands per year whatever the number of
 * kelurahan asked for: loans disbursed (aggregation), applications submitted (aggregation), repayments made
 * by year end per loan (aggregation), and the schedules of the loans disbursed by year end (one find).
 * The last step, the days past due of each loan, applies the same rule as a loan's own `standing` field
 * (rules.ts), so a dashboard figure and the loans behind it never disagree.
 */
export interface EconomyFigures {
  loansDisbursed: number;
  amountDisbursed: number;
  interestRatePercent: number | null;
  nonPerformingLoans: number;
  outstandingLoans: number;
  nonPerformingRate: number;
  applicationsSubmitted: number;
}

/** Large enough for every loan of the program in one reply. */
const ONE_BATCH = 100_000;

/** The key of the city-wide figures in the map returned below. */
export const CITY = 'city';

export function emptyFigures(): EconomyFigures {
  return {
    loansDisbursed: 0,
    amountDisbursed: 0,
    interestRatePercent: null,
    nonPerformingLoans: 0,
    outstandingLoans: 0,
    nonPerformingRate: 0,
    applicationsSubmitted: 0,
  };
}

/** Four decimals, as the kit's `rate` gives; 0 when nothing is outstanding. */
function share(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

/**
 * Figures for one year. With `kelurahanCodes` the map has one entry per code (zeros where nothing
 * happened); without it, one entry under CITY.
 */
export async function economyFigures(
  models: EconomyModels,
  year: number,
  kelurahanCodes?: readonly string[],
): Promise<Map<string, EconomyFigures>> {
  const { start, end } = yearRange(year);
  const place = kelurahanCodes ? { kelurahanCode: { $in: [...kelurahanCodes] } } : {};
  const groupKey = kelurahanCodes ? '$kelurahanCode' : null;

  const disbursedPipeline: PipelineStage[] = [
    { $match: { ...place, disbursedAt: { $gte: start, $lt: end } } },
    {
      $group: {
        _id: groupKey,
        loans: { $sum: 1 },
        principal: { $sum: '$principal' },
        principalTimesRate: { $sum: { $multiply: ['$principal', '$ratePercent'] } },
      },
    },
  ];
  const applicationsPipeline: PipelineStage[] = [
    { $match: { ...place, submittedAt: { $gte: start, $lt: end } } },
    { $group: { _id: groupKey, applications: { $sum: 1 } } },
  ];
  const repaidPipeline: PipelineStage[] = [
    { $match: { ...place, paidAt: { $lt: end } } },
    { $group: { _id: '$loanId', repaid: { $sum: '$amount' } } },
  ];

  // The per-loan results run to a few thousand small documents: asking for them in one batch saves the
  // getMore round trips a default first batch of 101 would need.
  const [disbursed, applications, repaid, schedules] = await Promise.all([
    models.Loan.aggregate<{ _id: string | null; loans: number; principal: number; principalTimesRate: number }>(disbursedPipeline),
    models.Application.aggregate<{ _id: string | null; applications: number }>(applicationsPipeline),
    models.Repayment.aggregate<{ _id: unknown; repaid: number }>(repaidPipeline).option({ batchSize: ONE_BATCH }),
    models.Loan.find({ ...place, disbursedAt: { $lt: end } }, { kelurahanCode: 1, 'instalments.dueDate': 1, 'instalments.amount': 1 })
      .batchSize(ONE_BATCH)
      .lean<{ _id: unknown; kelurahanCode: string; instalments: { dueDate: Date; amount: number }[] }[]>(),
  ]);

  const keys = kelurahanCodes ?? [CITY];
  const figures = new Map<string, EconomyFigures>(keys.map((key) => [key, emptyFigures()]));
  const at = (kelurahanCode: string | null) => figures.get(kelurahanCodes ? String(kelurahanCode) : CITY);

  for (const row of disbursed) {
    const target = at(row._id);
    if (!target) continue;
    target.loansDisbursed = row.loans;
    target.amountDisbursed = row.principal;
    target.interestRatePercent = weightedRate(row.principal, row.principalTimesRate);
  }
  for (const row of applications) {
    const target = at(row._id);
    if (target) target.applicationsSubmitted = row.applications;
  }

  const repaidByLoan = new Map(repaid.map((row) => [String(row._id), row.repaid]));
  const lastDay = yearEnd(year);
  for (const loan of schedules) {
    const target = at(loan.kelurahanCode);
    if (!target) continue;
    const standing = standingFromRepaid(loan.instalments, repaidByLoan.get(String(loan._id)) ?? 0, lastDay);
    if (standing.settled) continue;
    target.outstandingLoans += 1;
    if (standing.collectibility === 'non_performing') target.nonPerformingLoans += 1;
  }
  for (const target of figures.values()) {
    target.nonPerformingRate = share(target.nonPerformingLoans, target.outstandingLoans);
  }
  return figures;
}
