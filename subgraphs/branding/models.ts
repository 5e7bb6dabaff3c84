import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { IMPLEMENTING_GROUPS, PRODAMAS_FIELDS, PROPOSAL_STATUSES } from './rules';

/**
 * Bappeda's Prodamas records. Budgets, proposals and realizations are public data of the city; roles name
 * residents and are personal data, so they carry the NIK (kept here, never exposed) beside its
 * pseudonymous resident id.
 */

const KELURAHAN_CODE = /^35\.71\.0[1-3]\.10\d\d$/;
const place = {
  kelurahanCode: { type: String, required: true, match: KELURAHAN_CODE },
  rw: { type: Number, required: true, min: 1 },
  rt: { type: Number, required: true, min: 1 },
  year: { type: Number, required: true, min: 2016, max: 2100 },
};
const wholeRupiah = {
  validator: Number.isInteger,
  message: 'must be a whole number of rupiah',
};

/**
 * One RT's budget for one year. `approved` mirrors the sum of the RT's approved proposals per field: the
 * approval mutation raises it with one conditional update, which is how two approvals racing for the same
 * RT cannot both pass a cap. It serves that check only; indicators are always aggregated from proposals.
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
proposalSchema.index({ idempotencyKey: 1 }, { unique: true });
proposalSchema.index({ budgetId: 1 });
proposalSchema.index({ year: 1, kelurahanCode: 1, field: 1, status: 1 });

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
