import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';
import { CATEGORY_CODE, WASTE_BANK_CODE } from './rules';

/**
 * The waste banks' records. Each schema validates what it stores and declares its indexes, so a record
 * written around the mutations (a seed, a migration) obeys the same rules. Days of a waste bank's life and
 * of a membership are calendar days (00:00 UTC of the day, see kit/calendar.ts); weigh-ins and payouts are
 * instants.
 *
 * A member's savings are kept on the member (`balance`) and changed in the same transaction as every deposit
 * and withdrawal, so the balance always equals the deposits' values minus the payouts, and two payouts racing
 * for the same savings write the same document: one of them is run again on the new balance.
 */

export const WASTE_BANK_STATUSES = ['active', 'inactive'] as const;
export const WITHDRAWAL_KINDS = ['cash', 'lebaran', 'groceries'] as const;

const KELURAHAN_CODE = {
  type: String,
  required: true,
  validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' },
} as const;
const RESIDENT_ID = /^R[0-9a-f]{32}$/;
const NIK = /^35710[1-3]\d{10}$/;

const wholeRupiah = {
  validator: Number.isSafeInteger,
  message: 'expected a whole number of rupiah, received {VALUE}',
};

const activePeriodSchema = new Schema(
  {
    from: { type: Date, required: true },
    /** The first day without weigh-ins; absent while the period goes on. */
    until: { type: Date, default: null },
  },
  { _id: false },
);

const wasteBankSchema = new Schema(
  {
    code: { type: String, required: true, match: WASTE_BANK_CODE },
    name: { type: String, required: true, trim: true, minlength: 3, maxlength: 120 },
    kelurahanCode: KELURAHAN_CODE,
    rw: { type: Number, required: true, min: 1, max: 99 },
    rt: { type: Number, required: true, min: 1, max: 999 },
    establishedAt: { type: Date, required: true },
    /** Today's status, kept beside the periods for the indexed status filter; validated against them below. */
    status: { type: String, required: true, enum: WASTE_BANK_STATUSES },
    activePeriods: { type: [activePeriodSchema], required: true },
  },
  { collection: 'waste_banks' },
);
wasteBankSchema.index({ code: 1 }, { unique: true });
wasteBankSchema.index({ kelurahanCode: 1, code: 1 });
wasteBankSchema.index({ status: 1 });
wasteBankSchema.pre('validate', function checkStatusMatchesPeriods() {
  const periods = this.activePeriods ?? [];
  const open = periods.length > 0 && !periods[periods.length - 1].until;
  if ((this.status === 'active') !== open) {
    this.invalidate('status', `status "${this.status}" contradicts the active periods (last period ${open ? 'open' : 'closed'})`);
  }
});

const priceSchema = new Schema(
  {
    validFrom: { type: Date, required: true },
    pricePerKg: { type: Number, required: true, min: 1, max: 1_000_000 },
  },
  { _id: false },
);

const wasteCategorySchema = new Schema(
  {
    code: { type: String, required: true, match: CATEGORY_CODE },
    name: { type: String, required: true, trim: true },
    /** Oldest first; a deposit uses the latest validFrom on or before its date. */
    prices: { type: [priceSchema], required: true },
  },
  { collection: 'waste_categories' },
);
wasteCategorySchema.index({ code: 1 }, { unique: true });

const memberSchema = new Schema(
  {
    /**
     * Kept by the agency for its own service only and never returned through the graph; `select: false`
     * keeps it out of every read that does not ask for it by name.
     */
    nik: { type: String, required: true, match: NIK, select: false },
    residentId: { type: String, required: true, match: RESIDENT_ID },
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    wasteBankCode: { type: String, required: true, match: WASTE_BANK_CODE },
    /** The waste bank's kelurahan, copied so that per-kelurahan counts need no join. */
    kelurahanCode: KELURAHAN_CODE,
    joinedAt: { type: Date, required: true },
    leftAt: { type: Date, default: null },
    /** Savings in rupiah: every deposit's value minus every payout, kept in step by the same transactions. */
    balance: { type: Number, required: true, min: 0, validate: wholeRupiah },
  },
  { collection: 'members' },
);
memberSchema.index({ wasteBankCode: 1, residentId: 1 }, { unique: true });
memberSchema.index({ residentId: 1 });
memberSchema.index({ kelurahanCode: 1, joinedAt: 1 });

const depositLineSchema = new Schema(
  {
    category: { type: String, required: true, match: CATEGORY_CODE },
    kg: { type: Number, required: true, min: 0.001, max: 1000 },
    pricePerKg: { type: Number, required: true, min: 1 },
    value: { type: Number, required: true, min: 0, validate: wholeRupiah },
  },
  { _id: false },
);

const depositSchema = new Schema(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    residentId: { type: String, required: true, match: RESIDENT_ID },
    wasteBankCode: { type: String, required: true, match: WASTE_BANK_CODE },
    kelurahanCode: KELURAHAN_CODE,
    depositedAt: { type: Date, required: true },
    lines: {
      type: [depositLineSchema],
      required: true,
      validate: { validator: (lines: unknown[]) => lines.length >= 1 && lines.length <= 20, message: 'a deposit has 1 to 20 lines' },
    },
    /** The lines' sums, fixed with them at write time (a deposit never changes), so yearly sums need no $unwind. */
    totalKg: { type: Number, required: true, min: 0 },
    totalValue: { type: Number, required: true, min: 0, validate: wholeRupiah },
    /** The caller's key for the weigh-in: a retry with it answers with this deposit. */
    idempotencyKey: { type: String, required: true, minlength: 8, maxlength: 100 },
  },
  { collection: 'deposits' },
);
depositSchema.index({ idempotencyKey: 1 }, { unique: true });
depositSchema.index({ memberId: 1, depositedAt: 1 });
depositSchema.index({ kelurahanCode: 1, depositedAt: 1 });
depositSchema.index({ depositedAt: 1 });

const withdrawalSchema = new Schema(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    residentId: { type: String, required: true, match: RESIDENT_ID },
    wasteBankCode: { type: String, required: true, match: WASTE_BANK_CODE },
    kelurahanCode: KELURAHAN_CODE,
    amount: { type: Number, required: true, min: 1, validate: wholeRupiah },
    kind: { type: String, required: true, enum: WITHDRAWAL_KINDS },
    withdrawnAt: { type: Date, required: true },
    /** The caller's key for the payout: a retry with it answers with this withdrawal and pays nothing twice. */
    idempotencyKey: { type: String, required: true, minlength: 8, maxlength: 100 },
  },
  { collection: 'withdrawals' },
);
withdrawalSchema.index({ idempotencyKey: 1 }, { unique: true });
withdrawalSchema.index({ memberId: 1, withdrawnAt: 1 });

export type WasteBankDoc = Stored<typeof wasteBankSchema>;
export type WasteCategoryDoc = Stored<typeof wasteCategorySchema>;
export type MemberDoc = Stored<typeof memberSchema>;
export type DepositDoc = Stored<typeof depositSchema>;
export type WithdrawalDoc = Stored<typeof withdrawalSchema>;

const MODELS = {
  WasteBank: ['WasteBank', wasteBankSchema],
  WasteCategory: ['WasteCategory', wasteCategorySchema],
  Member: ['Member', memberSchema],
  Deposit: ['Deposit', depositSchema],
  Withdrawal: ['Withdrawal', withdrawalSchema],
} as const;

export type EnvironmentModels = CompiledModels<typeof MODELS>;

export function createEnvironmentModels(connection: Connection): EnvironmentModels {
  return compileModels(connection, MODELS);
}
