import type { FilterQuery } from 'mongoose';
import { requireRole } from '../kit/access';
import { mutation, requireStaff } from '../kit/agency';
import { isoDay, todayInKediri, yearRange } from '../kit/calendar';
import { paginate, type PageArgs } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireIsoDate, requireKelurahanCode, requireObjectId, requireOneOf, requireWholeRupiah, requireYear } from '../kit/validate';
import type { EconomyContext } from './loaders';
import type { ApplicantDoc, ApplicationDoc, LoanDoc, RepaymentDoc } from './models';
import { approveKurniaApplication, rejectKurniaApplication, submitKurniaApplication, verifyKurniaApplication } from './mutations/applications';
import { disburseKurniaLoan, recordKurniaRepayment } from './mutations/loans';
import { smartEconomy } from './pillar';
import { APPLICATION_STATUSES, flatSchedule, MAX_PRINCIPAL, standingOn, type Instalment, type Standing } from './rules';
import { isoOrNull as iso } from '../kit/output';

/**
 * The economy subgraph's resolvers: thin. They check access and arguments, then hand over to the loaders,
 * the pillar and the mutations. Applications, loans and repayments are personal financial data ("specific"
 * data under the PDP law): only the agency's staff read them, and caseworkers through Resident; the
 * scorecard's figures are the kit's, from the read model (pillar.ts).
 */

/** Resident fields are for caseworkers and the agency's own staff; everyone else is refused on the field. */
function requireResidentReader(context: EconomyContext, what: string): void {
  requireRole(context.identity, ['caseworker', `agency:${context.agency}`], what);
}

// One helper per entity, shared by the root query and by every field that reaches the same entity.

function applicationById(context: EconomyContext, id: string) {
  requireStaff(context, 'A Kurnia application');
  return context.loaders.applicationById.load(requireObjectId(id, 'id', 'a Kurnia application').toHexString());
}

function loanById(context: EconomyContext, id: string) {
  requireStaff(context, 'A Kurnia loan');
  return context.loaders.loanById.load(requireObjectId(id, 'id', 'a Kurnia loan').toHexString());
}

/** The filter of a list: the kelurahan, and the Kediri calendar year of `dateField`. */
function listFilter(args: { kelurahanCode?: string | null; year?: number | null }, dateField: string): FilterQuery<unknown> {
  const filter: FilterQuery<unknown> = {};
  if (args.kelurahanCode !== undefined && args.kelurahanCode !== null) {
    filter.kelurahanCode = requireKelurahanCode(args.kelurahanCode, 'kelurahanCode');
  }
  if (args.year !== undefined && args.year !== null) {
    const { start, end } = yearRange(requireYear(args.year, 'year'));
    filter[dateField] = { $gte: start, $lt: end };
  }
  return filter;
}

export const resolvers = {
  Query: {
    kurniaApplication: (_: unknown, args: { id: string }, context: EconomyContext) => applicationById(context, args.id),
    kurniaApplications(
      _: unknown,
      args: PageArgs & { status?: string | null; kelurahanCode?: string | null; year?: number | null },
      context: EconomyContext,
    ) {
      requireStaff(context, 'Kurnia applications');
      const filter = listFilter(args, 'submittedAt');
      if (args.status !== undefined && args.status !== null) filter.status = requireOneOf(args.status, 'status', APPLICATION_STATUSES);
      return paginate<ApplicationDoc>(context.models.Application, filter, args);
    },
    kurniaLoan: (_: unknown, args: { id: string }, context: EconomyContext) => loanById(context, args.id),
    kurniaLoans(_: unknown, args: PageArgs & { kelurahanCode?: string | null; year?: number | null }, context: EconomyContext) {
      requireStaff(context, 'Kurnia loans');
      return paginate<LoanDoc>(context.models.Loan, listFilter(args, 'disbursedAt'), args);
    },
    kurniaScheduleQuote(_: unknown, args: { principal: number; disbursedAt: string }) {
      const principal = requireWholeRupiah(args.principal, 'principal', { min: 1, max: MAX_PRINCIPAL });
      return flatSchedule(principal, requireIsoDate(args.disbursedAt, 'disbursedAt'));
    },
  },

  Mutation: {
    submitKurniaApplication: mutation(submitKurniaApplication),
    verifyKurniaApplication: mutation(verifyKurniaApplication),
    approveKurniaApplication: mutation(approveKurniaApplication),
    rejectKurniaApplication: mutation(rejectKurniaApplication),
    disburseKurniaLoan: mutation(disburseKurniaLoan),
    recordKurniaRepayment: mutation(recordKurniaRepayment),
  },

  KurniaApplicant: {
    id: (applicant: ApplicantDoc) => applicant._id.toHexString(),
    resident: (applicant: ApplicantDoc) => ({ id: applicant.residentId }),
    name(applicant: ApplicantDoc, _: unknown, context: EconomyContext) {
      requireStaff(context, "A Kurnia applicant's name");
      return applicant.name;
    },
    kelurahan: (applicant: ApplicantDoc) => ({ code: applicant.kelurahanCode }),
  },

  KurniaApplication: {
    id: (application: ApplicationDoc) => application._id.toHexString(),
    applicant: (application: ApplicationDoc, _: unknown, context: EconomyContext) =>
      context.loaders.applicantById.load(String(application.applicantId)),
    submittedAt: (application: ApplicationDoc) => iso(application.submittedAt),
    verifiedAt: (application: ApplicationDoc) => iso(application.verifiedAt),
    decidedAt: (application: ApplicationDoc) => iso(application.decidedAt),
    loan: (application: ApplicationDoc, _: unknown, context: EconomyContext) =>
      application.status === 'disbursed' ? context.loaders.loanByApplicationId.load(application._id.toHexString()) : null,
  },

  KurniaLoan: {
    id: (loan: LoanDoc) => loan._id.toHexString(),
    application: (loan: LoanDoc, _: unknown, context: EconomyContext) =>
      context.loaders.applicationById.load(String(loan.applicationId)),
    resident: (loan: LoanDoc) => ({ id: loan.residentId }),
    kelurahan: (loan: LoanDoc) => ({ code: loan.kelurahanCode }),
    totalRepayable: (loan: LoanDoc) => loan.principal + loan.totalInterest,
    disbursedAt: (loan: LoanDoc) => iso(loan.disbursedAt),
    repayments: (loan: LoanDoc, _: unknown, context: EconomyContext) =>
      context.loaders.repaymentsByLoanId.load(loan._id.toHexString()),
    async standing(loan: LoanDoc, args: { asOf?: string | null }, context: EconomyContext) {
      const asOf = args.asOf === undefined || args.asOf === null ? todayInKediri() : requireIsoDate(args.asOf, 'asOf');
      const repayments = await context.loaders.repaymentsByLoanId.load(loan._id.toHexString());
      return standingOn(loan.instalments, repayments, asOf);
    },
  },

  KurniaInstalment: {
    dueDate: (instalment: Instalment) => isoDay(instalment.dueDate),
  },

  KurniaLoanStanding: {
    asOf: (standing: Standing) => isoDay(standing.asOf),
  },

  KurniaRepayment: {
    id: (repayment: RepaymentDoc) => repayment._id.toHexString(),
    loan: (repayment: RepaymentDoc, _: unknown, context: EconomyContext) => context.loaders.loanById.load(String(repayment.loanId)),
    paidAt: (repayment: RepaymentDoc) => iso(repayment.paidAt),
  },

  Kelurahan: {
    /** The same figures as the kelurahan's economy pillar, by the same rules of suppression. */
    kurnia: (kelurahan: { code: string }, args: { year: number }, context: EconomyContext) =>
      smartEconomy.figuresOf(context, kelurahan.code, requireYear(args.year, 'year')),
  },

  Resident: {
    kurniaLoans(resident: { id: string }, _: unknown, context: EconomyContext) {
      requireResidentReader(context, "A resident's Kurnia loans");
      // An id this agency has never seen, or a malformed one, simply has no loans here.
      return isResidentId(resident.id) ? context.loaders.loansByResidentId.load(resident.id) : [];
    },
    kurniaApplications(resident: { id: string }, _: unknown, context: EconomyContext) {
      requireResidentReader(context, "A resident's Kurnia applications");
      return isResidentId(resident.id) ? context.loaders.applicationsByResidentId.load(resident.id) : [];
    },
  },
};
