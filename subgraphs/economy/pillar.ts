import type { PipelineStage } from 'mongoose';
import { kediriYear, yearDays, yearRange } from '../kit/calendar';
import { definePillar, rate, reportedYears, type Places } from '../kit/pillar';
import { CITY } from '../kit/readModel';
import type { EconomyModels } from './models';
import { standingFromRepaid, weightedRate } from './rules';

/**
 * Smart Economy: Program Kurnia, per kelurahan (where the borrower lives and runs the business) and for
 * the city, for one calendar year on Kediri's clock:
 * - loans disbursed, principal disbursed and its weighted interest rate: the loans disbursed in the year;
 * - applications submitted: the applications received in the year, whatever became of them;
 * - outstanding and non-performing loans, "as at 31 December": every loan disbursed by the end of the year
 *   and not fully repaid by then, whatever its year of disbursal, and of those the ones more than 90 days
 *   past due on 31 December, by the same rule as a loan's own `standing` field (rules.ts), so that a
 *   dashboard figure and the loans behind it never disagree. The non-performing rate is their ratio.
 *
 * Because of the last two, a year's figures depend on every disbursal and repayment up to its end, not
 * only on the records dated in it: see `yearsFrom`.
 *
 * Every stored figure is a count or a sum, so a city's figures are its kelurahan's added up; the two
 * rates derive from them as they are read.
 *
 * Public callers see a kelurahan's figures only where enough people stand behind them: the figures of the
 * year's loans need 5 borrowers that year, the outstanding loans 5 borrowers with a loan outstanding (the
 * non-performing rate both), the applications 5 applicants.
 */
export interface EconomyFigures {
  loansDisbursed: number;
  amountDisbursed: number;
  /** The sum of principal × rate (in percent) of the loans disbursed: the weighted rate's numerator. */
  principalTimesRatePercent: number;
  nonPerformingLoans: number;
  outstandingLoans: number;
  applicationsSubmitted: number;
}

export function noEconomyFigures(): EconomyFigures {
  return {
    loansDisbursed: 0,
    amountDisbursed: 0,
    principalTimesRatePercent: 0,
    nonPerformingLoans: 0,
    outstandingLoans: 0,
    applicationsSubmitted: 0,
  };
}

/** Large enough for every loan of the program in one reply. */
const ONE_BATCH = 100_000;

/**
 * The figures of one year, for each kelurahan of `places` or, with `places` null, for the whole city under
 * CITY. Four database commands whatever the number of kelurahan: loans disbursed (aggregation),
 * applications submitted (aggregation), repayments made by the year's end per loan (aggregation), and the
 * schedules of the loans disbursed by then (one find). They run one after the other: inside a write's
 * transaction MongoDB allows no parallel operations.
 */
export async function tallyFigures(models: EconomyModels, year: number, places: Places): Promise<Map<string, EconomyFigures>> {
  const { start, end } = yearRange(year);
  const place = places ? { kelurahanCode: { $in: [...places] } } : {};
  const groupKey = places ? '$kelurahanCode' : null;

  const disbursedStages: PipelineStage[] = [
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
  const applicationStages: PipelineStage[] = [
    { $match: { ...place, submittedAt: { $gte: start, $lt: end } } },
    { $group: { _id: groupKey, applications: { $sum: 1 } } },
  ];
  const repaidStages: PipelineStage[] = [
    { $match: { ...place, paidAt: { $lt: end } } },
    { $group: { _id: '$loanId', repaid: { $sum: '$amount' } } },
  ];

  const disbursed = await models.Loan.aggregate<{ _id: string | null; loans: number; principal: number; principalTimesRate: number }>(
    disbursedStages,
  );
  const applications = await models.Application.aggregate<{ _id: string | null; applications: number }>(applicationStages);
  // The per-loan results run to a few thousand small documents: asking for them in one batch saves the
  // getMore round trips a default first batch of 101 would need.
  const repaid = await models.Repayment.aggregate<{ _id: unknown; repaid: number }>(repaidStages).option({ batchSize: ONE_BATCH });
  const schedules = await models.Loan.find({ ...place, disbursedAt: { $lt: end } }, { kelurahanCode: 1, 'instalments.dueDate': 1, 'instalments.amount': 1 })
    .batchSize(ONE_BATCH)
    .lean<{ _id: unknown; kelurahanCode: string; instalments: { dueDate: Date; amount: number }[] }[]>();

  const figures = new Map<string, EconomyFigures>((places ?? [CITY]).map((key) => [key, noEconomyFigures()]));
  const at = (kelurahanCode: string | null) => figures.get(places ? String(kelurahanCode) : CITY);

  for (const row of disbursed) {
    const target = at(row._id);
    if (!target) continue;
    target.loansDisbursed = row.loans;
    target.amountDisbursed = row.principal;
    target.principalTimesRatePercent = row.principalTimesRate;
  }
  for (const row of applications) {
    const target = at(row._id);
    if (target) target.applicationsSubmitted = row.applications;
  }
  const repaidByLoan = new Map(repaid.map((row) => [String(row._id), row.repaid]));
  const lastDay = yearDays(year).last;
  for (const loan of schedules) {
    const target = at(loan.kelurahanCode);
    if (!target) continue;
    const standing = standingFromRepaid(loan.instalments, repaidByLoan.get(String(loan._id)) ?? 0, lastDay);
    if (standing.settled) continue;
    target.outstandingLoans += 1;
    if (standing.collectibility === 'non_performing') target.nonPerformingLoans += 1;
  }
  return figures;
}

/**
 * The reported years whose figures a loan's disbursal or a repayment dated `day` can change: its own year
 * and every later one up to next year, since a loan stays outstanding (and can fall past due) at the end
 * of every year until it is repaid.
 */
export function yearsFrom(day: Date, now: Date = new Date()): number[] {
  const first = kediriYear(day);
  return reportedYears(now).filter((year) => year >= first);
}

export const smartEconomy = definePillar({
  field: 'economy',
  typeName: 'EconomyIndicators',
  version: 1,
  people: {
    loansDisbursed: 'borrowers',
    outstandingLoans: 'borrowers with a loan outstanding',
    applicationsSubmitted: 'applicants',
  },
  empty: noEconomyFigures,
  aggregate: tallyFigures,
  cityIsSumOfKelurahan: true,
  fields: {
    loansDisbursed: { gatedBy: 'loansDisbursed' },
    amountDisbursed: { gatedBy: 'loansDisbursed' },
    interestRatePercent: {
      from: (figures) => weightedRate(figures.amountDisbursed, figures.principalTimesRatePercent),
      gatedBy: 'loansDisbursed',
    },
    nonPerformingRate: {
      from: (figures) => rate(figures.nonPerformingLoans, figures.outstandingLoans),
      gatedBy: ['loansDisbursed', 'outstandingLoans'],
    },
    outstandingLoans: { gatedBy: 'outstandingLoans' },
    applicationsSubmitted: { gatedBy: 'applicationsSubmitted' },
  },
});
