import { Types } from 'mongoose';
import { requireOwningAgency } from '../kit/access';
import { badUserInput, conflict, notFound } from '../../platform/errors';
import type { Identity } from '../../platform/identity';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireNik, residentId } from '../kit/residents';
import type { ApplicationDoc, EconomyModels, LoanDoc, RepaymentDoc } from './models';
import {
  BUSINESS_SECTORS,
  checkAmountForTier,
  checkBorrowerAge,
  checkRepaymentAmount,
  flatSchedule,
  ineligibleAge,
  isoDate,
  requireDate,
  requireNotFuture,
  requireRupiah,
  requireTransition,
  startOfDay,
  TIERS,
  type BusinessSector,
  type KurniaTier,
} from './rules';
import { isDuplicateKey, requireObjectId } from '../kit/inputs';
import { oneAtATime } from '../kit/serial';

/**
 * The staff mutations of Program Kurnia. Each one validates every input before its first write, so a refused
 * call leaves the database as it was, and each is safe to retry: a submission by its idempotency key, a
 * decision by the state it already reached, a disbursal by its application (one loan per application), a
 * repayment by its receipt reference.
 */
export const AGENCY = 'economy';

interface Staff {
  identity: Identity;
  models: EconomyModels;
  secrets: { residentIdSecret: string };
}

function requireText(value: unknown, field: string, min: number, max: number): string {
  const text = typeof value === 'string' ? value.trim() : value;
  if (typeof text !== 'string' || text.length < min || text.length > max) {
    throw badUserInput(field, `text of ${min} to ${max} characters`, value);
  }
  return text;
}

function optionalPastDate(value: unknown, field: string): Date {
  if (value === undefined || value === null) return new Date();
  return requireNotFuture(requireDate(value, field), field);
}

function requireStaff(staff: Staff, what: string): void {
  requireOwningAgency(staff.identity, AGENCY, what);
}

async function loadApplication(staff: Staff, id: Types.ObjectId): Promise<ApplicationDoc> {
  const application = await staff.models.Application.findById(id).lean<ApplicationDoc>();
  if (!application) throw notFound('Kurnia application', `id ${id.toHexString()}`);
  return application;
}

export interface SubmitInput {
  nik: string;
  name: string;
  birthDate: string;
  kelurahanCode: string;
  businessName: string;
  businessSector: string;
  hasBusinessLicence: boolean;
  tier: string;
  amountRequested: number;
  submittedAt?: string | null;
  idempotencyKey: string;
}

export async function submitApplication(staff: Staff, input: SubmitInput): Promise<ApplicationDoc> {
  requireStaff(staff, 'Submitting a Kurnia application');
  const nik = requireNik(input.nik, 'nik');
  const name = requireText(input.name, 'name', 2, 120);
  const birthDate = requireDate(input.birthDate, 'birthDate');
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const businessName = requireText(input.businessName, 'businessName', 2, 120);
  if (!BUSINESS_SECTORS.includes(input.businessSector as BusinessSector)) {
    throw badUserInput('businessSector', `one of ${BUSINESS_SECTORS.join(', ')}`, input.businessSector);
  }
  if (!TIERS.includes(input.tier as KurniaTier)) throw badUserInput('tier', `one of ${TIERS.join(', ')}`, input.tier);
  const tier = input.tier as KurniaTier;
  const amountRequested = requireRupiah(input.amountRequested, 'amountRequested');
  const submittedAt = optionalPastDate(input.submittedAt, 'submittedAt');
  const idempotencyKey = input.idempotencyKey;
  if (typeof idempotencyKey !== 'string' || !/^[A-Za-z0-9_.:-]{8,100}$/.test(idempotencyKey)) {
    throw badUserInput('idempotencyKey', '8 to 100 letters, digits or _ . : -', idempotencyKey);
  }

  // A retried submission returns what the first one wrote, even if the applicant's age or details changed since.
  const earlier = await staff.models.Application.findOne({ idempotencyKey }).lean<ApplicationDoc>();
  if (earlier) return earlier;

  checkAmountForTier(tier, amountRequested, input.hasBusinessLicence, 'amountRequested');
  checkBorrowerAge(birthDate, submittedAt, 'birthDate');

  const resident = residentId(nik, staff.secrets.residentIdSecret);
  // The applicant record holds the resident's latest business details; upserting it is harmless on its own,
  // and the application below is the only other write.
  const applicant = await staff.models.Applicant.findOneAndUpdate(
    { residentId: resident },
    {
      $set: { name, birthDate, kelurahanCode, businessName, businessSector: input.businessSector, hasBusinessLicence: input.hasBusinessLicence },
      $setOnInsert: { nik, residentId: resident },
    },
    { upsert: true, new: true, runValidators: true },
  ).lean();
  try {
    const created = await staff.models.Application.create({
      applicantId: applicant!._id,
      residentId: resident,
      kelurahanCode,
      tier,
      amountRequested,
      status: 'submitted',
      submittedAt,
      idempotencyKey,
    });
    return created.toObject() as ApplicationDoc;
  } catch (error) {
    // Two retries racing: the unique key let only one in; both answer with it.
    if (isDuplicateKey(error)) {
      const winner = await staff.models.Application.findOne({ idempotencyKey }).lean<ApplicationDoc>();
      if (winner) return winner;
    }
    throw error;
  }
}

/**
 * Moves an application from one status to the next with a conditional update, so two staff members acting at
 * once cannot both succeed; `already` says when the wanted state was reached before (a retry).
 */
async function transition(
  staff: Staff,
  application: ApplicationDoc,
  to: 'verified' | 'approved' | 'rejected',
  set: Record<string, unknown>,
): Promise<ApplicationDoc> {
  requireTransition(application.status, to);
  const updated = await staff.models.Application.findOneAndUpdate(
    { _id: application._id, status: application.status },
    { $set: { status: to, ...set } },
    { new: true, runValidators: true },
  ).lean<ApplicationDoc>();
  if (updated) return updated;
  const now = await loadApplication(staff, application._id);
  throw conflict(`The application changed while this request ran: it is now ${now.status}. Reload and try again.`, 'status');
}

export async function verifyApplication(staff: Staff, args: { id: string; verifiedAt?: string | null }): Promise<ApplicationDoc> {
  requireStaff(staff, 'Verifying a Kurnia application');
  const id = requireObjectId(args.id, 'id');
  const verifiedAt = optionalPastDate(args.verifiedAt, 'verifiedAt');
  const application = await loadApplication(staff, id);
  if (application.status === 'verified') return application;
  if (verifiedAt < startOfDay(application.submittedAt)) {
    throw badUserInput('verifiedAt', `a date not before the submission on ${isoDate(application.submittedAt)}`, args.verifiedAt);
  }
  return transition(staff, application, 'verified', { verifiedAt });
}

export async function approveApplication(
  staff: Staff,
  args: { id: string; approvedAmount: number; decidedAt?: string | null },
): Promise<ApplicationDoc> {
  requireStaff(staff, 'Approving a Kurnia application');
  const id = requireObjectId(args.id, 'id');
  const approvedAmount = requireRupiah(args.approvedAmount, 'approvedAmount');
  const decidedAt = optionalPastDate(args.decidedAt, 'decidedAt');
  const application = await loadApplication(staff, id);
  if (application.status === 'approved' || application.status === 'disbursed') {
    if (application.approvedAmount === approvedAmount) return application;
    throw conflict(
      `This application was already approved for Rp${application.approvedAmount?.toLocaleString('en-US')}; ` +
        `it cannot be approved again for Rp${approvedAmount.toLocaleString('en-US')}.`,
      'approvedAmount',
    );
  }
  requireTransition(application.status, 'approved');
  if (approvedAmount > application.amountRequested) {
    throw badUserInput('approvedAmount', `at most the Rp${application.amountRequested.toLocaleString('en-US')} requested`, approvedAmount);
  }
  const applicant = await staff.models.Applicant.findById(application.applicantId).lean();
  if (!applicant) throw notFound('Kurnia applicant', `id ${String(application.applicantId)}`);
  checkAmountForTier(application.tier, approvedAmount, applicant.hasBusinessLicence, 'approvedAmount', 'approvedAmount');
  const age = ineligibleAge(applicant.birthDate, application.submittedAt);
  if (age !== null) {
    throw conflict(`The applicant was ${age} on the application date; Kurnia borrowers are at most 60.`, 'birthDate');
  }
  if (application.verifiedAt && decidedAt < startOfDay(application.verifiedAt)) {
    throw badUserInput('decidedAt', `a date not before the verification on ${isoDate(application.verifiedAt)}`, args.decidedAt);
  }
  return transition(staff, application, 'approved', { approvedAmount, decidedAt });
}

export async function rejectApplication(
  staff: Staff,
  args: { id: string; reason: string; decidedAt?: string | null },
): Promise<ApplicationDoc> {
  requireStaff(staff, 'Rejecting a Kurnia application');
  const id = requireObjectId(args.id, 'id');
  const reason = requireText(args.reason, 'reason', 5, 500);
  const decidedAt = optionalPastDate(args.decidedAt, 'decidedAt');
  const application = await loadApplication(staff, id);
  if (application.status === 'rejected') return application;
  if (decidedAt < startOfDay(application.submittedAt)) {
    throw badUserInput('decidedAt', `a date not before the submission on ${isoDate(application.submittedAt)}`, args.decidedAt);
  }
  return transition(staff, application, 'rejected', { rejectionReason: reason, decidedAt });
}

export async function disburseLoan(staff: Staff, args: { applicationId: string; disbursedAt: string }): Promise<LoanDoc> {
  requireStaff(staff, 'Disbursing a Kurnia loan');
  const applicationId = requireObjectId(args.applicationId, 'applicationId');
  const disbursedAt = requireNotFuture(requireDate(args.disbursedAt, 'disbursedAt'), 'disbursedAt');

  const existing = await staff.models.Loan.findOne({ applicationId }).lean<LoanDoc>();
  if (existing) {
    // A retry, or a first attempt that stopped between its two writes: finish the second and answer the loan.
    await markDisbursed(staff, applicationId);
    return existing;
  }
  const application = await loadApplication(staff, applicationId);
  requireTransition(application.status, 'disbursed');
  if (application.decidedAt && disbursedAt < startOfDay(application.decidedAt)) {
    throw badUserInput('disbursedAt', `a date not before the approval on ${isoDate(application.decidedAt)}`, args.disbursedAt);
  }
  const schedule = flatSchedule(application.approvedAmount!, disbursedAt);
  let loan: LoanDoc;
  try {
    // The loan is written first: the application's status follows from it, and a failure in between is
    // repaired by the retry above rather than leaving an application marked disbursed without a loan.
    const created = await staff.models.Loan.create({
      applicationId,
      applicantId: application.applicantId,
      residentId: application.residentId,
      kelurahanCode: application.kelurahanCode,
      tier: application.tier,
      principal: schedule.principal,
      ratePercent: schedule.ratePercent,
      tenorMonths: schedule.tenorMonths,
      scheduleKind: 'flat',
      totalInterest: schedule.totalInterest,
      disbursedAt,
      instalments: schedule.instalments,
    });
    loan = created.toObject() as LoanDoc;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    loan = (await staff.models.Loan.findOne({ applicationId }).lean<LoanDoc>())!;
  }
  await markDisbursed(staff, applicationId);
  return loan;
}

async function markDisbursed(staff: Staff, applicationId: Types.ObjectId): Promise<void> {
  await staff.models.Application.updateOne({ _id: applicationId, status: 'approved' }, { $set: { status: 'disbursed' } });
}

export interface RepaymentInput {
  loanId: string;
  amount: number;
  paidAt: string;
  reference: string;
}

export async function recordRepayment(staff: Staff, input: RepaymentInput): Promise<RepaymentDoc> {
  requireStaff(staff, 'Recording a Kurnia repayment');
  const loanId = requireObjectId(input.loanId, 'loanId');
  const amount = requireRupiah(input.amount, 'amount');
  const paidAt = requireNotFuture(requireDate(input.paidAt, 'paidAt'), 'paidAt');
  const reference = requireText(input.reference, 'reference', 4, 80);

  // The outstanding amount is checked and the repayment written one loan at a time, so two receipts for
  // the same loan recorded at the same instant cannot together pay more than is owed, and a retry queued
  // behind its first attempt finds that attempt's record.
  return oneAtATime(`kurnia-loan:${loanId.toHexString()}`, async () => {
    const earlier = await staff.models.Repayment.findOne({ reference }).lean<RepaymentDoc>();
    if (earlier) {
      if (String(earlier.loanId) === loanId.toHexString()) return earlier;
      throw conflict(`Receipt reference "${reference}" was already recorded for another loan.`, 'reference');
    }
    const loan = await staff.models.Loan.findById(loanId).lean<LoanDoc>();
    if (!loan) throw notFound('Kurnia loan', `id ${loanId.toHexString()}`);
    if (paidAt < startOfDay(loan.disbursedAt)) {
      throw badUserInput('paidAt', `a date not before the disbursal on ${isoDate(loan.disbursedAt)}`, input.paidAt);
    }
    const [paid] = await staff.models.Repayment.aggregate<{ total: number }>([
      { $match: { loanId } },
      { $group: { _id: null, total: { $sum: '$amount' } } },
    ]);
    const totalRepayable = loan.principal + loan.totalInterest;
    checkRepaymentAmount(amount, totalRepayable - (paid?.total ?? 0));
    try {
      const created = await staff.models.Repayment.create({
        loanId,
        residentId: loan.residentId,
        kelurahanCode: loan.kelurahanCode,
        amount,
        paidAt,
        reference,
      });
      return created.toObject() as RepaymentDoc;
    } catch (error) {
      if (isDuplicateKey(error)) {
        const winner = await staff.models.Repayment.findOne({ reference }).lean<RepaymentDoc>();
        if (winner && String(winner.loanId) === loanId.toHexString()) return winner;
      }
      throw error;
    }
  });
}
