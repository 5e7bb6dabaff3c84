import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import {
  BILLING_CODE_PATTERN,
  BUSINESS_ID_PATTERN,
  MAX_GROSS_REVENUE,
  NPWPD_PATTERN,
  PAYMENT_CHANNELS,
  REPORT_STATUSES,
  TAX_SUBTYPES,
  TAX_TYPES,
  TAXPAYER_TYPES,
} from './rules';

/**
 * The tax agency's records. Each schema validates what it stores and declares its indexes, so a record
 * written around the resolvers (a seed, a migration) obeys the same rules. Every record with a place
 * carries its kelurahan code; every record about a person carries the pseudonymous resident id beside the
 * NIK, so that the graph links residents without the NIK ever leaving this database.
 */

const kelurahanCode = {
  type: String,
  required: true,
  validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' },
} as const;

const wholeRupiah = {
  validator: Number.isSafeInteger,
  message: 'expected a whole number of rupiah, received {VALUE}',
};

const taxpayerSchema = new Schema(
  {
    npwpd: { type: String, required: true, match: NPWPD_PATTERN },
    type: { type: String, required: true, enum: TAXPAYER_TYPES },
    /** A person's or a business's registered name: personal data for individuals. */
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    /** Individuals only. Never leaves this database; the graph uses `residentId`. */
    nik: { type: String, match: /^\d{16}$/ },
    /** Individuals only: keyed hash of the NIK. */
    residentId: { type: String, match: /^R[0-9a-f]{32}$/ },
    /** Businesses only: the NIB. */
    businessId: { type: String, match: BUSINESS_ID_PATTERN },
    kelurahanCode,
    address: { type: String, required: true, trim: true, maxlength: 200 },
    registeredAt: { type: Date, required: true },
  },
  { collection: 'taxpayers', versionKey: false },
);
taxpayerSchema.index({ npwpd: 1 }, { unique: true });
// A person or a business registers once: a second registration of the same NIK or NIB is refused even
// under a race. Partial, because each key exists only for its kind of taxpayer.
taxpayerSchema.index({ residentId: 1 }, { unique: true, partialFilterExpression: { residentId: { $type: 'string' } } });
taxpayerSchema.index({ businessId: 1 }, { unique: true, partialFilterExpression: { businessId: { $type: 'string' } } });
taxpayerSchema.index({ kelurahanCode: 1, type: 1 });
// The list of taxpayers filters by type alone too.
taxpayerSchema.index({ type: 1, _id: 1 });

const taxObjectSchema = new Schema(
  {
    taxpayerId: { type: Schema.Types.ObjectId, required: true },
    taxType: { type: String, required: true, enum: TAX_TYPES },
    subtype: { type: String, required: true, enum: TAX_SUBTYPES },
    /** The trading name of the restaurant, hotel, car park, billboard or well. */
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    address: { type: String, required: true, trim: true, maxlength: 200 },
    /** Where the object is, which may differ from where its owner is registered. */
    kelurahanCode,
    /** First month the object owes reports for, "YYYY-MM". */
    activeFrom: { type: String, required: true, match: /^\d{4}-(0[1-9]|1[0-2])$/ },
    /** Last month it owed reports for, when it closed. */
    activeUntil: { type: String, match: /^\d{4}-(0[1-9]|1[0-2])$/ },
    /** The caller's key for a registration, so that a retried registration answers with the first object. */
    idempotencyKey: { type: String, maxlength: 100 },
  },
  { collection: 'tax_objects', versionKey: false },
);
taxObjectSchema.index({ taxpayerId: 1 });
taxObjectSchema.index({ idempotencyKey: 1 }, { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } });
taxObjectSchema.index({ kelurahanCode: 1, taxType: 1 });

const taxReportSchema = new Schema(
  {
    taxObjectId: { type: Schema.Types.ObjectId, required: true },
    /** Copied from the object so that lists and aggregates filter without a join. */
    taxpayerId: { type: Schema.Types.ObjectId, required: true },
    taxType: { type: String, required: true, enum: TAX_TYPES },
    subtype: { type: String, required: true, enum: TAX_SUBTYPES },
    kelurahanCode,
    period: { type: String, required: true, match: /^\d{4}-(0[1-9]|1[0-2])$/ },
    grossRevenue: { type: Number, required: true, min: 0, max: MAX_GROSS_REVENUE, validate: wholeRupiah },
    /** The rate applied, in basis points, kept with the report so a later rate change never rewrites it. */
    rateBasisPoints: { type: Number, required: true, min: 0, max: 10_000 },
    taxDue: { type: Number, required: true, min: 0, validate: wholeRupiah },
    status: { type: String, required: true, enum: REPORT_STATUSES },
    createdAt: { type: Date, required: true },
    submittedAt: { type: Date },
    /** Fixed when the report is submitted: submitted by the 10th of the following month (WIB). */
    filedOnTime: { type: Boolean },
    verifiedAt: { type: Date },
    paidAt: { type: Date },
    /** The caller's key for a filing, so that a retried filing answers with the first report. */
    idempotencyKey: { type: String, maxlength: 100 },
  },
  { collection: 'tax_reports', versionKey: false },
);
// One report per object and month: the rule against duplicate filing, race-safe.
taxReportSchema.index({ taxObjectId: 1, period: 1 }, { unique: true });
taxReportSchema.index({ kelurahanCode: 1, period: 1, status: 1 });
taxReportSchema.index({ period: 1, status: 1 });
taxReportSchema.index({ taxpayerId: 1, status: 1 });
// The list of reports filters by status or by tax type alone too.
taxReportSchema.index({ status: 1, _id: 1 });
taxReportSchema.index({ taxType: 1, _id: 1 });

const taxPaymentSchema = new Schema(
  {
    reportId: { type: Schema.Types.ObjectId, required: true },
    billingCode: { type: String, required: true, match: BILLING_CODE_PATTERN },
    channel: { type: String, required: true, enum: PAYMENT_CHANNELS },
    /** Tax due plus late interest, in whole rupiah. */
    amount: { type: Number, required: true, min: 0, validate: wholeRupiah },
    taxDue: { type: Number, required: true, min: 0, validate: wholeRupiah },
    lateInterest: { type: Number, required: true, min: 0, validate: wholeRupiah },
    paidAt: { type: Date, required: true },
    // Copied from the report so that revenue aggregates by kelurahan and tax type need no join.
    taxpayerId: { type: Schema.Types.ObjectId, required: true },
    taxType: { type: String, required: true, enum: TAX_TYPES },
    kelurahanCode,
  },
  { collection: 'tax_payments', versionKey: false },
);
// A billing code pays once; a report is paid once and in full.
taxPaymentSchema.index({ billingCode: 1 }, { unique: true });
taxPaymentSchema.index({ reportId: 1 }, { unique: true });
taxPaymentSchema.index({ kelurahanCode: 1, paidAt: 1 });
taxPaymentSchema.index({ paidAt: 1, taxType: 1 });

export type TaxpayerRecord = Stored<typeof taxpayerSchema>;
export type TaxObjectRecord = Stored<typeof taxObjectSchema>;
export type TaxReportRecord = Stored<typeof taxReportSchema>;
export type TaxPaymentRecord = Stored<typeof taxPaymentSchema>;

const MODELS = {
  Taxpayer: ['Taxpayer', taxpayerSchema],
  TaxObject: ['TaxObject', taxObjectSchema],
  TaxReport: ['TaxReport', taxReportSchema],
  TaxPayment: ['TaxPayment', taxPaymentSchema],
} as const;

export type TaxModels = CompiledModels<typeof MODELS>;

export function createTaxModels(connection: Connection): TaxModels {
  return compileModels(connection, MODELS);
}
