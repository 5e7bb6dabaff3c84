import DataLoader from 'dataloader';
import type { Identity } from '../../platform/identity';
import { manyByField, oneByField, figuresByKelurahanYear } from '../kit/loaders';
import { economyFigures, emptyFigures, type EconomyFigures } from './indicators';
import type { ApplicantDoc, ApplicationDoc, EconomyModels, LoanDoc, RepaymentDoc } from './models';

/**
 * The economy subgraph's DataLoaders, built per request. Every entity and nested list goes through one of
 * them, so a page of 100 loans with their applications, applicants and repayments costs one query per
 * collection, and 46 kelurahan scorecards cost one set of aggregations per year.
 */
export function createEconomyLoaders(models: EconomyModels, _identity?: Identity) {
  return {
    applicantById: oneByField<ApplicantDoc>(models.Applicant, '_id'),
    applicationById: oneByField<ApplicationDoc>(models.Application, '_id'),
    loanById: oneByField<LoanDoc>(models.Loan, '_id'),
    loanByApplicationId: oneByField<LoanDoc>(models.Loan, 'applicationId'),
    repaymentsByLoanId: manyByField<RepaymentDoc>(models.Repayment, 'loanId', { sort: { paidAt: 1, _id: 1 } }),
    loansByResidentId: manyByField<LoanDoc>(models.Loan, 'residentId', { sort: { disbursedAt: 1, _id: 1 } }),
    applicationsByResidentId: manyByField<ApplicationDoc>(models.Application, 'residentId', {
      sort: { submittedAt: 1, _id: 1 },
    }),
    /** City-wide figures by year. */
    cityFigures: new DataLoader<number, EconomyFigures>(async (years) =>
      Promise.all(years.map(async (year) => (await economyFigures(models, year)).get('city')!)),
    ),
    /**
     * Kelurahan figures by `scorecardKey` ("<code>|<year>"): the keys of one batch are grouped by year and
     * each year is ONE set of aggregations over all its kelurahan.
     */
    kelurahanFigures: figuresByKelurahanYear((year, codes) => economyFigures(models, year, codes), emptyFigures),
  };
}

export type EconomyLoaders = ReturnType<typeof createEconomyLoaders>;
