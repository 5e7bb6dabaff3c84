import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import { FIRST_YEAR } from '../kit/validate';
import { IMPLEMENTING_GROUPS, PRODAMAS_FIELDS, PROPOSAL_STATUSES } from './rules';

/**
 * Bappeda's Prodamas records. Budgets, proposals and realizations are public data of the city; roles name
 * residents and are personal data, so they carry the NIK (kept here, never exposed) beside its
 * pseudonymous resident id.
 */

const place = {
  kelurahanCode: {
    type: String,
    required: true,
    validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' },
  },
  rw: { type: Number, required: true, min: 1 },
  rt: { type: Number, required: true, min: 1 },
  /** The budget year: every record of a budget, its proposals and their LPJs count for this year. */
  year: { type: Number, required: true, min: FIRST_YEAR, max: 2100 },
};
const wholeRupiah = {
  validator: Number.isSafeInteger,
  message: 'expected a whole number of rupiah, received {VALUE}',
};

/**
 * One RT's budget for one year. `approvedTotal` and `approved` mirror the sum of the RT's approved proposals,
 * in total and per field. Every approval raises them in its write unit: that one shared document is what
 * makes two approvals of the same RT's budget conflict, so that one of them runs again and sees the other
 * (snapshot isolation alone would let both pass a cap). The caps are checked against the proposals
 * themselves, and the scorecard is always aggregated from proposals, never from these counters.
 */
const rtBudgetSchema = new Schema(
  {
    ...place,
    ceiling: { type: Number, required: true, min: 0, validate: wholeRupiah },
    approvedTotal: { type: Number, required: true, min: 0, default: 0 },
    approved: {
      infrastructure: { type: Number, required: true, min: 0, default: 0 },
      health: { type: Number, required: true, min: 0, default: 0 },
      social: { type: Number, required: true, min: 0, default: 0 },
      economy: { type: Number, required: true, min: 0, default: 0 },
    },
  },
  { collection: 'rt_budgets', versionKey: false },
);
rtBudgetSchema.index({ kelurahanCode: 1, rt: 1, year: 1 }, { unique: true });
rtBudgetSchema.index({ year: 1, kelurahanCode: 1 });

const statusChangeSchema = new Schema(
  {
    status: { type: String, required: true, enum: PROPOSAL_STATUSES },
    at: { type: Date, required: true },
  },
  { _id: false },
);

const proposalSchema = new Schema(
  {
    budgetId: { type: Schema.Types.ObjectId, required: true },
    ...place,
    field: { type: String, required: true, enum: PRODAMAS_FIELDS },
    title: { type: String, required: true, minlength: 5, maxlength: 200 },
    amount: { type: Number, required: true, min: 1, validate: wholeRupiah },
    deliberationRef: { type: String, required: true, minlength: 3, maxlength: 60 },
    implementingGroup: { type: String, required: true, enum: IMPLEMENTING_GROUPS },
    status: { type: String, required: true, enum: PROPOSAL_STATUSES },
    statusHistory: { type: [statusChangeSchema], required: true },
    submittedAt: { type: Date, required: true },
    disbursedAmount: { type: Number, required: true, min: 0, default: 0, validate: wholeRupiah },
    rejectionReason: { type: String, maxlength: 500 },
    idempotencyKey: { type: String, required: true, minlength: 8, maxlength: 100 },
  },
  { collection: 'proposals', versionKey: false },
);
// Every proposal carries the key of the submission that created it (the seed's too), so the unique index
// holds for all of them: a retried submission finds its first proposal, a racing one loses in the index.
proposalSchema.index({ idempotencyKey: 1 }, { unique: true });
proposalSchema.index({ budgetId: 1 });
// The public list pages in `_id` order: each index ends in `_id` right after the fields a filter pins, so
// that a page is a walk of the index that stops after `first + 1` entries, never a scan and a sort. Filters
// pinning kelurahan and year (W2 of the benchmark), year alone, or kelurahan alone each have theirs; a
// filter on field or status alone walks the `_id` index. No index may pin more of a filter without ending in
// `_id`, or the planner would prefer it and sort in memory.
proposalSchema.index({ kelurahanCode: 1, year: 1, _id: 1 });
proposalSchema.index({ year: 1, _id: 1 });
proposalSchema.index({ kelurahanCode: 1, _id: 1 });
// The staff list filters by field or by status alone too: each is one index walk in page order, and its count.
proposalSchema.index({ field: 1, _id: 1 });
proposalSchema.index({ status: 1, _id: 1 });

/** What an LPJ reports as spent. One per proposal: the unique index makes a retried report count once. */
const realizationSchema = new Schema(
  {
    proposalId: { type: Schema.Types.ObjectId, required: true },
    budgetId: { type: Schema.Types.ObjectId, required: true },
    kelurahanCode: place.kelurahanCode,
    rt: place.rt,
    year: place.year,
    amountSpent: { type: Number, required: true, min: 0, validate: wholeRupiah },
    reportedAt: { type: Date, required: true },
    evidenceRef: { type: String, required: true, minlength: 3, maxlength: 100 },
  },
  { collection: 'realizations', versionKey: false },
);
realizationSchema.index({ proposalId: 1 }, { unique: true });
realizationSchema.index({ year: 1, kelurahanCode: 1 });

export const PRODAMAS_ROLES = ['rt_chair', 'pokmas_member', 'pkk_member', 'karang_taruna_member', 'lpmk_member'] as const;
export type ProdamasRoleKind = (typeof PRODAMAS_ROLES)[number];

/** A resident's Prodamas role in their RT for one year. */
const roleSchema = new Schema(
  {
    nik: { type: String, required: true, match: /^35710[1-3]\d{10}$/ },
    residentId: { type: String, required: true, match: /^R[0-9a-f]{32}$/ },
    role: { type: String, required: true, enum: PRODAMAS_ROLES },
    ...place,
  },
  { collection: 'prodamas_roles', versionKey: false },
);
roleSchema.index({ residentId: 1, year: -1 });
roleSchema.index({ kelurahanCode: 1, rt: 1, year: 1, role: 1, residentId: 1 }, { unique: true });

export type RtBudgetDoc = Stored<typeof rtBudgetSchema>;
export type ProposalDoc = Stored<typeof proposalSchema>;
export type RealizationDoc = Stored<typeof realizationSchema>;
export type ProdamasRoleDoc = Stored<typeof roleSchema>;

const MODELS = {
  RtBudget: ['RtBudget', rtBudgetSchema],
  Proposal: ['Proposal', proposalSchema],
  Realization: ['Realization', realizationSchema],
  ProdamasRole: ['ProdamasRole', roleSchema],
} as const;

export type BrandingModels = CompiledModels<typeof MODELS>;

export function createBrandingModels(connection: Connection): BrandingModels {
  return compileModels(connection, MODELS);
}
