import type { Types } from 'mongoose';
import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay, kediriDay, kediriYear } from '../../kit/calendar';
import { residentId } from '../../kit/residents';
import {
  requireIdempotencyKey,
  requireIsoDate,
  requireKelurahanCode,
  requireNik,
  requireObjectId,
  requireOneOf,
  requireText,
  requireWholeRupiah,
} from '../../kit/validate';
import { earlierResult, type WriteUnitOptions } from '../../kit/writes';
import type { EconomyContext } from '../loaders';
import type { ApplicationDoc } from '../models';
import {
  BUSINESS_SECTORS,
  checkAmountForTier,
  checkBorrowerAge,
  ineligibleAge,
  MAX_PRINCIPAL,
  recordedDay,
  requireNotBefore,
  requireTransition,
  TIERS,
  type ApplicationStatus,
} from '../rules';

/**
 * Applications for a Kurnia loan: submitting one, and the staff's steps on it (verify, approve, reject).
 * Every argument is checked before the write unit starts; inside it, the unit reads the application and
 * writes its next state as one step, so of two requests moving the same application at once one runs
 * again on the other's result: an identical retry then finds its step already taken and answers with the
 * application as it is, a different one gets CONFLICT.
 */
export interface SubmitKurniaApplicationInput {
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

/**
 * Verifying, approving and rejecting move no scorecard figure (applications count by the day they were
 * submitted, whatever their status) and nothing else public or dashboard callers can read, so they leave
 * the agency's data version, and the gateway's cached answers behind it, alone.
 */
const SEEN_BY_STAFF_ONLY: WriteUnitOptions = { changesPublicData: false };

export async function submitKurniaApplication(input: SubmitKurniaApplicationInput, ctx: EconomyContext): Promise<ApplicationDoc> {
  requireStaff(ctx, 'Submitting a Kurnia application');
  const nik = requireNik(input.nik, 'nik');
  const name = requireText(input.name, 'name', { min: 2, max: 120 });
  const birthDate = requireIsoDate(input.birthDate, 'birthDate');
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const businessName = requireText(input.businessName, 'businessName', { min: 2, max: 120 });
  const businessSector = requireOneOf(input.businessSector, 'businessSector', BUSINESS_SECTORS);
  if (typeof input.hasBusinessLicence !== 'boolean') {
    throw badUserInput('hasBusinessLicence', 'true or false', input.hasBusinessLicence);
  }
  const hasBusinessLicence = input.hasBusinessLicence;
  const tier = requireOneOf(input.tier, 'tier', TIERS);
  const amountRequested = requireWholeRupiah(input.amountRequested, 'amountRequested', { min: 1, max: MAX_PRINCIPAL });
  const submittedAt = recordedDay(input.submittedAt, 'submittedAt');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  checkAmountForTier(tier, amountRequested, hasBusinessLicence, 'amountRequested');
  const resident = residentId(nik, ctx.secrets.residentIdSecret);
  // A retry that leaves the day out means the day of the first attempt, which may have been yesterday.
  const dayGiven = input.submittedAt !== undefined && input.submittedAt !== null;
  const { Applicant, Application } = ctx.models;

  return ctx.transaction(async (unit) => {
    const earlier = await earlierResult<ApplicationDoc>(
      Application,
      idempotencyKey,
      (first) =>
        first.residentId === resident &&
        first.kelurahanCode === kelurahanCode &&
        first.tier === tier &&
        first.amountRequested === amountRequested &&
        (!dayGiven || isoDay(kediriDay(first.submittedAt)) === isoDay(submittedAt)),
    );
    // A retry answers with what the first attempt wrote, even if the applicant has had a birthday since.
    if (earlier) return earlier;
    checkBorrowerAge(birthDate, submittedAt, 'birthDate');

    // The applicant record holds the resident's latest details and business; the application keeps the
    // kelurahan it was made from.
    const applicant = await Applicant.findOneAndUpdate(
      { residentId: resident },
      {
        $set: { name, birthDate, kelurahanCode, businessName, businessSector, hasBusinessLicence },
        $setOnInsert: { nik, residentId: resident },
      },
      { upsert: true, new: true, runValidators: true },
    ).lean();
    const [created] = await Application.create([
      {
        applicantId: applicant!._id,
        residentId: resident,
        kelurahanCode,
        tier,
        amountRequested,
        status: 'submitted' satisfies ApplicationStatus,
        submittedAt,
        idempotencyKey,
      },
    ]);
    unit.figuresChanged(kelurahanCode, kediriYear(submittedAt));
    return created.toObject() as ApplicationDoc;
  });
}

async function findApplication(ctx: EconomyContext, id: Types.ObjectId, given: string): Promise<ApplicationDoc> {
  const application = await ctx.models.Application.findById(id).lean<ApplicationDoc>();
  if (!application) throw notFound('Kurnia application', `id ${given}`);
  return application;
}

/** Writes the application's next status; called in the unit that read it, after the rules allowed the step. */
async function moveTo(ctx: EconomyContext, application: ApplicationDoc, to: ApplicationStatus, changes: Record<string, unknown>) {
  const updated = await ctx.models.Application.findOneAndUpdate(
    { _id: application._id },
    { $set: { status: to, ...changes } },
    { new: true, runValidators: true },
  ).lean<ApplicationDoc>();
  return updated!;
}

export async function verifyKurniaApplication(
  input: { id: string; verifiedAt?: string | null },
  ctx: EconomyContext,
): Promise<ApplicationDoc> {
  requireStaff(ctx, 'Verifying a Kurnia application');
  const id = requireObjectId(input.id, 'id', 'a Kurnia application');
  const verifiedAt = recordedDay(input.verifiedAt, 'verifiedAt');
  return ctx.transaction(async () => {
    const application = await findApplication(ctx, id, input.id);
    if (application.status === 'verified') return application;
    requireTransition(application.status, 'verified');
    requireNotBefore(verifiedAt, 'verifiedAt', application.submittedAt, 'the submission', input.verifiedAt);
    return moveTo(ctx, application, 'verified', { verifiedAt });
  }, SEEN_BY_STAFF_ONLY);
}

export async function approveKurniaApplication(
  input: { id: string; approvedAmount: number; decidedAt?: string | null },
  ctx: EconomyContext,
): Promise<ApplicationDoc> {
  requireStaff(ctx, 'Approving a Kurnia application');
  const id = requireObjectId(input.id, 'id', 'a Kurnia application');
  const approvedAmount = requireWholeRupiah(input.approvedAmount, 'approvedAmount', { min: 1, max: MAX_PRINCIPAL });
  const decidedAt = recordedDay(input.decidedAt, 'decidedAt');
  return ctx.transaction(async () => {
    const application = await findApplication(ctx, id, input.id);
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
    const applicant = await ctx.models.Applicant.findById(application.applicantId).lean();
    if (!applicant) throw notFound('Kurnia applicant', `id ${String(application.applicantId)}`);
    checkAmountForTier(application.tier, approvedAmount, applicant.hasBusinessLicence, 'approvedAmount', 'approvedAmount');
    const age = ineligibleAge(applicant.birthDate, kediriDay(application.submittedAt));
    if (age !== null) {
      throw conflict(`The applicant was ${age} on the application date; Kurnia borrowers are 17 to 60.`, 'birthDate');
    }
    requireNotBefore(decidedAt, 'decidedAt', application.verifiedAt ?? application.submittedAt, 'the verification', input.decidedAt);
    return moveTo(ctx, application, 'approved', { approvedAmount, decidedAt });
  }, SEEN_BY_STAFF_ONLY);
}

export async function rejectKurniaApplication(
  input: { id: string; reason: string; decidedAt?: string | null },
  ctx: EconomyContext,
): Promise<ApplicationDoc> {
  requireStaff(ctx, 'Rejecting a Kurnia application');
  const id = requireObjectId(input.id, 'id', 'a Kurnia application');
  const reason = requireText(input.reason, 'reason', { min: 5, max: 500 });
  const decidedAt = recordedDay(input.decidedAt, 'decidedAt');
  return ctx.transaction(async () => {
    const application = await findApplication(ctx, id, input.id);
    if (application.status === 'rejected') return application;
    requireTransition(application.status, 'rejected');
    const after = application.verifiedAt ? 'the verification' : 'the submission';
    requireNotBefore(decidedAt, 'decidedAt', application.verifiedAt ?? application.submittedAt, after, input.decidedAt);
    return moveTo(ctx, application, 'rejected', { rejectionReason: reason, decidedAt });
  }, SEEN_BY_STAFF_ONLY);
}
