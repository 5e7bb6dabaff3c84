import type { FilterQuery } from 'mongoose';
import { isOwningAgency, peopleCount, requireOwningAgency, requireRole } from '../kit/access';
import { badUserInput } from '../../platform/errors';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { paginate, type PageArgs } from '../kit/pagination';
import { isResidentId } from '../kit/residents';
import { requireYear, scorecardKey, yearRange, type KelurahanScorecardRef } from '../kit/scorecard';
import type { AgencyContext } from '../kit/agency';
import type { EconomyFigures } from './indicators';
import { requireObjectId } from '../kit/inputs';
import type { EconomyLoaders } from './loaders';
import type { ApplicantDoc, ApplicationDoc, EconomyModels, LoanDoc, RepaymentDoc } from './models';
import {
  AGENCY,
  approveApplication,
  disburseLoan,
  recordRepayment,
  rejectApplication,
  submitApplication,
  verifyApplication,
  type RepaymentInput,
  type SubmitInput,
} from './mutations';
import {
  APPLICATION_STATUSES,
  flatSchedule,
  isoDate,
  requireDate,
  requireRupiah,
  standingOn,
  TIER_CEILINGS,
  type Instalment,
  type Standing,
} from './rules';

type Context = AgencyContext<EconomyModels, EconomyLoaders>;

/** What an EconomyIndicators object resolves from: the figures and, at kelurahan level, where they are for. */
interface IndicatorsParent {
  figures: EconomyFigures;
  kelurahan?: { code: string; year: number };
}

function requireStaff(context: Context, what: string): void {
  requireOwningAgency(context.identity, AGENCY, what);
}

/** Resident fields are for caseworkers and the agency's own staff; everyone else is refused on the field. */
function requireResidentReader(context: Context, what: string): void {
  if (!isOwningAgency(context.identity, AGENCY)) requireRole(context.identity, ['caseworker'], what);
}

/** One helper per entity-like type serves both the root query and any nested reference. */
function applicationById(context: Context, id: string) {
  requireStaff(context, 'A Kurnia application');
  return context.loaders.applicationById.load(requireObjectId(id, 'id').toHexString());
}

function loanById(context: Context, id: string) {
  requireStaff(context, 'A Kurnia loan');
  return context.loaders.loanById.load(requireObjectId(id, 'id').toHexString());
}

async function kelurahanIndicators(context: Context, ref: KelurahanScorecardRef): Promise<IndicatorsParent> {
  const figures = await context.loaders.kelurahanFigures.load(scorecardKey(ref));
  return { figures, kelurahan: { code: ref.kelurahanCode, year: ref.year } };
}

/**
 * Public callers see a kelurahan's figures only when enough people stand behind them: the loans disbursed
 * that year for every figure of the year, and also the loans outstanding for the non-performing rate.
 */
function guarded<T>(parent: IndicatorsParent, context: Context, counts: (keyof EconomyFigures)[], value: T): T {
  if (!parent.kelurahan) return value;
  const { code, year } = parent.kelurahan;
  for (const count of counts) {
    const label = count === 'outstandingLoans' ? 'Kurnia loans outstanding' : count === 'applicationsSubmitted' ? 'Kurnia applications' : 'Kurnia loans disbursed';
    peopleCount(context.identity, parent.figures[count] as number, `${label} in kelurahan ${code} in ${year}`);
  }
  return value;
}

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

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export const resolvers = {
  Query: {
    kurniaApplication: (_: unknown, args: { id: string }, context: Context) => applicationById(context, args.id),
    kurniaApplications(
      _: unknown,
      args: PageArgs & { status?: string | null; kelurahanCode?: string | null; year?: number | null },
      context: Context,
    ) {
      requireStaff(context, 'Kurnia applications');
      const filter = listFilter(args, 'submittedAt');
      if (args.status) {
        if (!APPLICATION_STATUSES.includes(args.status as never)) {
          throw badUserInput('status', `one of ${APPLICATION_STATUSES.join(', ')}`, args.status);
        }
        filter.status = args.status;
      }
      return paginate<ApplicationDoc>(context.models.Application, filter, args);
    },
    kurniaLoan: (_: unknown, args: { id: string }, context: Context) => loanById(context, args.id),
    kurniaLoans(_: unknown, args: PageArgs & { kelurahanCode?: string | null; year?: number | null }, context: Context) {
      requireStaff(context, 'Kurnia loans');
      return paginate<LoanDoc>(context.models.Loan, listFilter(args, 'disbursedAt'), args);
    },
    kurniaScheduleQuote(_: unknown, args: { principal: number; disbursedAt: string }) {
      const principal = requireRupiah(args.principal, 'principal');
      if (principal > TIER_CEILINGS.cooperative.max) {
        throw badUserInput('principal', `at most Rp${TIER_CEILINGS.cooperative.max.toLocaleString('en-US')}`, principal);
      }
      return flatSchedule(principal, requireDate(args.disbursedAt, 'disbursedAt'));
    },
  },

  Mutation: {
    submitKurniaApplication: (_: unknown, args: { input: SubmitInput }, context: Context) =>
      submitApplication(context, args.input),
    verifyKurniaApplication: (_: unknown, args: { id: string; verifiedAt?: string | null }, context: Context) =>
      verifyApplication(context, args),
    approveKurniaApplication: (
      _: unknown,
      args: { id: string; approvedAmount: number; decidedAt?: string | null },
      context: Context,
    ) => approveApplication(context, args),
    rejectKurniaApplication: (_: unknown, args: { id: string; reason: string; decidedAt?: string | null }, context: Context) =>
      rejectApplication(context, args),
    disburseKurniaLoan: (_: unknown, args: { applicationId: string; disbursedAt: string }, context: Context) =>
      disburseLoan(context, args),
    recordKurniaRepayment: (_: unknown, args: { input: RepaymentInput }, context: Context) =>
      recordRepayment(context, args.input),
  },

  KurniaApplicant: {
    id: (applicant: ApplicantDoc) => applicant._id.toHexString(),
    resident: (applicant: ApplicantDoc) => ({ id: applicant.residentId }),
    name(applicant: ApplicantDoc, _: unknown, context: Context) {
      requireStaff(context, "A Kurnia applicant's name");
      return applicant.name;
    },
    kelurahan: (applicant: ApplicantDoc) => ({ code: applicant.kelurahanCode }),
  },

  KurniaApplication: {
    id: (application: ApplicationDoc) => application._id.toHexString(),
    applicant: (application: ApplicationDoc, _: unknown, context: Context) =>
      context.loaders.applicantById.load(String(application.applicantId)),
    submittedAt: (application: ApplicationDoc) => iso(application.submittedAt),
    verifiedAt: (application: ApplicationDoc) => iso(application.verifiedAt),
    decidedAt: (application: ApplicationDoc) => iso(application.decidedAt),
    loan: (application: ApplicationDoc, _: unknown, context: Context) =>
      application.status === 'disbursed' ? context.loaders.loanByApplicationId.load(application._id.toHexString()) : null,
  },

  KurniaLoan: {
    id: (loan: LoanDoc) => loan._id.toHexString(),
    application: (loan: LoanDoc, _: unknown, context: Context) =>
      context.loaders.applicationById.load(String(loan.applicationId)),
    resident: (loan: LoanDoc) => ({ id: loan.residentId }),
    kelurahan: (loan: LoanDoc) => ({ code: loan.kelurahanCode }),
    totalRepayable: (loan: LoanDoc) => loan.principal + loan.totalInterest,
    disbursedAt: (loan: LoanDoc) => iso(loan.disbursedAt),
    repayments: (loan: LoanDoc, _: unknown, context: Context) =>
      context.loaders.repaymentsByLoanId.load(loan._id.toHexString()),
    async standing(loan: LoanDoc, args: { asOf?: string | null }, context: Context) {
      const asOf = args.asOf ? requireDate(args.asOf, 'asOf') : new Date();
      const repayments = await context.loaders.repaymentsByLoanId.load(loan._id.toHexString());
      return standingOn(loan.instalments, repayments, asOf);
    },
  },

  KurniaInstalment: {
    dueDate: (instalment: Instalment) => isoDate(instalment.dueDate),
  },

  KurniaLoanStanding: {
    asOf: (standing: Standing) => isoDate(standing.asOf),
  },

  KurniaRepayment: {
    id: (repayment: RepaymentDoc) => repayment._id.toHexString(),
    loan: (repayment: RepaymentDoc, _: unknown, context: Context) => context.loaders.loanById.load(String(repayment.loanId)),
    paidAt: (repayment: RepaymentDoc) => iso(repayment.paidAt),
  },

  EconomyIndicators: {
    loansDisbursed: (p: IndicatorsParent, _: unknown, c: Context) => guarded(p, c, ['loansDisbursed'], p.figures.loansDisbursed),
    amountDisbursed: (p: IndicatorsParent, _: unknown, c: Context) => guarded(p, c, ['loansDisbursed'], p.figures.amountDisbursed),
    interestRatePercent: (p: IndicatorsParent, _: unknown, c: Context) =>
      guarded(p, c, ['loansDisbursed'], p.figures.interestRatePercent),
    nonPerformingRate: (p: IndicatorsParent, _: unknown, c: Context) =>
      guarded(p, c, ['loansDisbursed', 'outstandingLoans'], p.figures.nonPerformingRate),
    outstandingLoans: (p: IndicatorsParent, _: unknown, c: Context) =>
      guarded(p, c, ['outstandingLoans'], p.figures.outstandingLoans),
    applicationsSubmitted: (p: IndicatorsParent, _: unknown, c: Context) =>
      guarded(p, c, ['applicationsSubmitted'], p.figures.applicationsSubmitted),
  },

  Kelurahan: {
    __resolveReference: (ref: { code: string }) => ({ code: requireKelurahanCode(ref.code, 'code') }),
    kurnia: (kelurahan: { code: string }, args: { year: number }, context: Context) =>
      kelurahanIndicators(context, { kelurahanCode: kelurahan.code, year: requireYear(args.year, 'year') }),
  },

  CityScorecard: {
    __resolveReference: (ref: { year: number }) => ({ year: ref.year }),
    async economy(scorecard: { year: number }, _: unknown, context: Context): Promise<IndicatorsParent> {
      return { figures: await context.loaders.cityFigures.load(requireYear(scorecard.year, 'year')) };
    },
  },

  KelurahanScorecard: {
    __resolveReference: (ref: KelurahanScorecardRef) => ({ kelurahanCode: ref.kelurahanCode, year: ref.year }),
    economy: (scorecard: KelurahanScorecardRef, _: unknown, context: Context) => kelurahanIndicators(context, scorecard),
  },

  Resident: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    kurniaLoans(resident: { id: string }, _: unknown, context: Context) {
      requireResidentReader(context, "A resident's Kurnia loans");
      // An id this agency has never seen, or a malformed one, simply has no loans here.
      return isResidentId(resident.id) ? context.loaders.loansByResidentId.load(resident.id) : [];
    },
    kurniaApplications(resident: { id: string }, _: unknown, context: Context) {
      requireResidentReader(context, "A resident's Kurnia applications");
      return isResidentId(resident.id) ? context.loaders.applicationsByResidentId.load(resident.id) : [];
    },
  },
};
