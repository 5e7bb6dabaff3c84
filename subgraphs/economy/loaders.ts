import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { manyByField, oneByField } from '../kit/loaders';
import type { ApplicantDoc, ApplicationDoc, EconomyModels, LoanDoc, RepaymentDoc } from './models';

/**
 * The economy subgraph's DataLoaders, built per request. Every entity and nested list goes through one of
 * them, so a page of 100 loans with their applications, applicants and repayments costs one query per
 * collection. (The scorecard's figures are the kit's: see pillar.ts.)
 */
export function createEconomyLoaders(models: EconomyModels, _identity: Identity) {
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
  };
}

export type EconomyLoaders = ReturnType<typeof createEconomyLoaders>;

/** What every economy resolver and mutation receives. */
export type EconomyContext = AgencyContext<EconomyModels, EconomyLoaders>;
