import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import { CHANNELS, CONDITIONS, POVERTY_REGISTRIES, PRIORITIES, REQUEST_STATUSES, SEXES, TEAM_ROLES, VITAL_LIMITS } from './rules';

/**
 * The Homecare records. Health data is specific personal data, so each record carries the pseudonymous
 * residentId (indexed) that the graph uses, while the NIK stays on the patient record inside the agency.
 * Requests, visits and referrals repeat the patient's kelurahanCode so that the pillar aggregations filter
 * on one indexed field without a lookup. Requests and visits keep the idempotency key of the call that
 * recorded them (unique), so that a retried call finds the first record instead of writing a second.
 */

const kelurahanCode = {
  type: String,
  required: true,
  validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' },
} as const;

const idempotencyKey = { type: String, required: true, unique: true, minlength: 8, maxlength: 100 } as const;

const RESIDENT_ID = /^R[0-9a-f]{32}$/;

const patientSchema = new Schema(
  {
    nik: { type: String, required: true, match: /^35710[1-3]\d{10}$/, unique: true },
    residentId: { type: String, required: true, match: RESIDENT_ID, unique: true },
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 100 },
    sex: { type: String, required: true, enum: SEXES },
    birthDate: { type: Date, required: true },
    kelurahanCode: { ...kelurahanCode, index: true },
    rw: { type: Number, required: true, min: 1, max: 99 },
    rt: { type: Number, required: true, min: 1, max: 999 },
    conditions: {
      type: [{ type: String, enum: CONDITIONS }],
      validate: { validator: (list: string[]) => list.length > 0, message: 'a patient has at least one condition' },
    },
    povertyRegistry: { type: String, required: true, enum: POVERTY_REGISTRIES },
    bpjs: { type: Boolean, required: true },
    registeredAt: { type: Date, required: true },
  },
  { collection: 'patients', versionKey: false },
);

const requestSchema = new Schema(
  {
    patientResidentId: { type: String, required: true, match: RESIDENT_ID, index: true },
    kelurahanCode,
    channel: { type: String, required: true, enum: CHANNELS },
    receivedAt: { type: Date, required: true },
    priority: { type: String, required: true, enum: PRIORITIES },
    complaint: { type: String, required: true, trim: true, minlength: 3, maxlength: 1000 },
    status: { type: String, required: true, enum: REQUEST_STATUSES, index: true },
    /**
     * When a staff write last changed the request. Every write to a request sets it, so that two concurrent
     * writes to one request always conflict in their transactions (one of them runs again on the other's
     * result), even when the status they set is the one it already has.
     */
    changedAt: { type: Date },
    idempotencyKey,
  },
  { collection: 'requests', versionKey: false },
);
requestSchema.index({ kelurahanCode: 1, receivedAt: 1 });
requestSchema.index({ receivedAt: 1 });
// The list of requests filters by triage priority alone too.
requestSchema.index({ priority: 1, _id: 1 });

const vitalsSchema = new Schema(
  {
    systolic: { type: Number, required: true, min: VITAL_LIMITS.systolic.min, max: VITAL_LIMITS.systolic.max },
    diastolic: { type: Number, required: true, min: VITAL_LIMITS.diastolic.min, max: VITAL_LIMITS.diastolic.max },
    pulse: { type: Number, required: true, min: VITAL_LIMITS.pulse.min, max: VITAL_LIMITS.pulse.max },
    temperature: { type: Number, required: true, min: VITAL_LIMITS.temperature.min, max: VITAL_LIMITS.temperature.max },
    bloodGlucose: { type: Number, min: VITAL_LIMITS.bloodGlucose.min, max: VITAL_LIMITS.bloodGlucose.max, default: null },
  },
  { _id: false },
);

const visitSchema = new Schema(
  {
    requestId: { type: Schema.Types.ObjectId, required: true, index: true },
    patientResidentId: { type: String, required: true, match: RESIDENT_ID, index: true },
    kelurahanCode,
    /** Copied from the request so that the median response time of a year's requests needs no lookup. */
    requestReceivedAt: { type: Date, required: true },
    visitedAt: { type: Date, required: true },
    responseHours: { type: Number, required: true, min: 0 },
    team: {
      type: [{ type: String, enum: TEAM_ROLES }],
      validate: { validator: (list: string[]) => list.length > 0, message: 'a visit has at least one team member' },
    },
    vitals: { type: vitalsSchema, required: true },
    actions: {
      type: [{ type: String, trim: true, minlength: 2, maxlength: 200 }],
      validate: { validator: (list: string[]) => list.length > 0, message: 'a visit records at least one action' },
    },
    idempotencyKey,
  },
  { collection: 'visits', versionKey: false },
);
visitSchema.index({ kelurahanCode: 1, visitedAt: 1 });
visitSchema.index({ visitedAt: 1 });
visitSchema.index({ kelurahanCode: 1, requestReceivedAt: 1 });
visitSchema.index({ requestReceivedAt: 1 });

const referralSchema = new Schema(
  {
    requestId: { type: Schema.Types.ObjectId, required: true, index: true },
    patientResidentId: { type: String, required: true, match: RESIDENT_ID, index: true },
    kelurahanCode,
    referredTo: { type: String, required: true, trim: true, minlength: 2, maxlength: 200 },
    reason: { type: String, required: true, trim: true, minlength: 3, maxlength: 1000 },
    referredAt: { type: Date, required: true },
  },
  { collection: 'referrals', versionKey: false },
);

export type PatientRecord = Stored<typeof patientSchema>;
export type RequestRecord = Stored<typeof requestSchema>;
export type VisitRecord = Stored<typeof visitSchema>;
export type ReferralRecord = Stored<typeof referralSchema>;

const MODELS = {
  Patient: ['Patient', patientSchema],
  HomecareRequest: ['HomecareRequest', requestSchema],
  Visit: ['Visit', visitSchema],
  Referral: ['Referral', referralSchema],
} as const;

export type HealthModels = CompiledModels<typeof MODELS>;

export function createHealthModels(connection: Connection): HealthModels {
  return compileModels(connection, MODELS);
}
