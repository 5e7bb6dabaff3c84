import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import {
  APPLICATION_STATUSES,
  BUSINESS_SECTORS,
  KURNIA_RATE_PERCENT,
  KURNIA_TENOR_MONTHS,
  MAX_PRINCIPAL,
  SCHEDULE_KIND,
  TIERS,
} from './rules';

/**
 * The records of Dinas Koperasi dan UMTK for Program Kurnia. Every record with a person carries the
 * pseudonymous residentId beside (or instead of) the NIK, and every record with a place carries the
 * kelurahan's Kemendagri code, so that aggregations per kelurahan and links per resident need no join.
 */
const KEDIRI_NIK = /^35710[1-3]\d{10}$/;
const RESIDENT_ID = /^R[0-9a-f]{32}$/;

const kelurahanCode = {
  type: String,
  required: true,
  validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' },
} as const;

const wholeRupiah = {
  // Absent optional amounts (an approval not yet made) are left to `required`; present ones must be whole.
  validator: (value: unknown) => value === null || value === undefined || Number.isSafeInteger(value),
  message: 'an amount in whole rupiah is required, received {VALUE}',
};

/** A resident who applied for a Kurnia loan, with the business it is for. One per resident. */
const applicantSchema = new Schema(
  {
    /** Kept by the agency for its own service; never exposed in the graph. */
    nik: { type: String, required: true, match: KEDIRI_NIK, unique: true },
    residentId: { type: String, required: true, match: RESIDENT_ID, unique: true },
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    birthDate: { type: Date, required: true },
    kelurahanCode: { ...kelurahanCode, index: true },
    businessName: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    businessSector: { type: String, required: true, enum: BUSINESS_SECTORS },
    hasBusinessLicence: { type: Boolean, required: true, default: false },
  },
  { collection: 'applicants', timestamps: true },
);

const applicationSchema = new Schema(
  {
    applicantId: { type: Schema.Types.ObjectId, required: true, index: true },
    residentId: { type: String, required: true, match: RESIDENT_ID, index: true },
    kelurahanCode,
    tier: { type: String, required: true, enum: TIERS },
    amountRequested: { type: Number, required: true, min: 1, max: MAX_PRINCIPAL, validate: wholeRupiah },
    approvedAmount: { type: Number, min: 1, max: MAX_PRINCIPAL, validate: wholeRupiah, default: null },
    status: { type: String, required: true, enum: APPLICATION_STATUSES, default: 'submitted' },
    submittedAt: { type: Date, required: true },
    /** When the KTP, KK and (from Rp10 million) the business licence were checked. */
    verifiedAt: { type: Date, default: null },
    /** When it was approved or rejected. */
    decidedAt: { type: Date, default: null },
    rejectionReason: { type: String, trim: true, maxlength: 500, default: null },
    /**
     * The caller's key for a submission, so that a retried submit creates one application: required here
     * (every submission carries one), so a plain unique index does what kit/idempotency.ts's partial one does.
     */
    idempotencyKey: { type: String, required: true, unique: true, minlength: 8, maxlength: 100 },
  },
  { collection: 'applications', timestamps: true },
);
applicationSchema.index({ kelurahanCode: 1, submittedAt: 1 });
applicationSchema.index({ status: 1, submittedAt: 1 });
// The list of applications filters by year alone too.
applicationSchema.index({ submittedAt: 1 });

const instalmentSchema = new Schema(
  {
    number: { type: Number, required: true, min: 1, max: KURNIA_TENOR_MONTHS },
    dueDate: { type: Date, required: true },
    principal: { type: Number, required: true, min: 0, validate: wholeRupiah },
    interest: { type: Number, required: true, min: 0, validate: wholeRupiah },
    amount: { type: Number, required: true, min: 0, validate: wholeRupiah },
  },
  { _id: false },
);

const loanSchema = new Schema(
  {
    /** One loan per application: the natural key that makes disbursal safe to retry. */
    applicationId: { type: Schema.Types.ObjectId, required: true, unique: true },
    applicantId: { type: Schema.Types.ObjectId, required: true },
    residentId: { type: String, required: true, match: RESIDENT_ID, index: true },
    kelurahanCode,
    tier: { type: String, required: true, enum: TIERS },
    principal: { type: Number, required: true, min: 1, max: MAX_PRINCIPAL, validate: wholeRupiah },
    ratePercent: { type: Number, required: true, min: 0, max: 100, default: KURNIA_RATE_PERCENT },
    tenorMonths: { type: Number, required: true, min: 1, max: 120, default: KURNIA_TENOR_MONTHS },
    scheduleKind: { type: String, required: true, enum: [SCHEDULE_KIND], default: SCHEDULE_KIND },
    totalInterest: { type: Number, required: true, min: 0, validate: wholeRupiah },
    disbursedAt: { type: Date, required: true },
    /**
     * What the repayments recorded so far add up to, raised by each repayment's write unit. The repayments
     * are the record (the outstanding amount is checked against their sum); this total is the one document
     * every repayment of the loan writes, so that two repayments recorded at once conflict and one runs again
     * on the other's result instead of both passing the same check.
     */
    amountRepaid: { type: Number, required: true, min: 0, default: 0, validate: wholeRupiah },
    instalments: {
      type: [instalmentSchema],
      required: true,
      validate: { validator: (list: unknown[]) => list.length > 0, message: 'a loan needs its instalment schedule' },
    },
  },
  { collection: 'loans', timestamps: true },
);
loanSchema.index({ kelurahanCode: 1, disbursedAt: 1 });
loanSchema.index({ disbursedAt: 1 });

const repaymentSchema = new Schema(
  {
    loanId: { type: Schema.Types.ObjectId, required: true, index: true },
    residentId: { type: String, required: true, match: RESIDENT_ID },
    kelurahanCode,
    amount: { type: Number, required: true, min: 1, validate: wholeRupiah },
    paidAt: { type: Date, required: true },
    /** The bank's or cashier's receipt reference: unique, so a retried recording counts once. */
    reference: { type: String, required: true, unique: true, trim: true, minlength: 4, maxlength: 80 },
  },
  { collection: 'repayments', timestamps: true },
);
repaymentSchema.index({ kelurahanCode: 1, paidAt: 1 });
repaymentSchema.index({ paidAt: 1 });

export type ApplicantDoc = Stored<typeof applicantSchema>;
export type ApplicationDoc = Stored<typeof applicationSchema>;
export type LoanDoc = Stored<typeof loanSchema>;
export type RepaymentDoc = Stored<typeof repaymentSchema>;

const MODELS = {
  Applicant: ['KurniaApplicant', applicantSchema],
  Application: ['KurniaApplication', applicationSchema],
  Loan: ['KurniaLoan', loanSchema],
  Repayment: ['KurniaRepayment', repaymentSchema],
} as const;

export type EconomyModels = CompiledModels<typeof MODELS>;

export function createEconomyModels(connection: Connection): EconomyModels {
  return compileModels(connection, MODELS);
}
