import { badUserInput, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay, kediriDay, kediriYear } from '../../kit/calendar';
import {
  requireIdempotencyKey,
  requireObjectId,
  requireOneOf,
  requirePastInstant,
  requireWholeRupiah,
} from '../../kit/validate';
import { earlierResult } from '../../kit/writes';
import type { EnvironmentContext } from '../loaders';
import { WITHDRAWAL_KINDS, type DepositDoc, type MemberDoc, type WithdrawalDoc } from '../models';
import {
  balanceAfterPayout,
  gramsFromKg,
  isActiveOn,
  isMemberOn,
  MAX_WITHDRAWAL,
  priceDeposit,
  requireDepositLines,
  requireWasteBankCode,
  type DatedPrice,
} from '../rules';

/**
 * A member's savings: weigh-ins credit them, payouts take from them. Both change the member's balance in
 * the same write unit as the record they create, so the balance is the deposits' values minus the payouts
 * at every commit, and two writes to one member's savings at the same moment conflict: one of them runs
 * again on the other's result. Both are retried safely with the caller's idempotency key.
 */
export interface RecordWasteDepositInput {
  memberId: string;
  wasteBankCode?: string | null;
  depositedAt: string;
  lines: { category: string; kg: number }[];
  idempotencyKey: string;
}

/** The weigh-in's fields as they are stored, checked before anything is read; its day is its day in Kediri. */
export function readDeposit(input: RecordWasteDepositInput, now: Date = new Date()) {
  const memberId = requireObjectId(input.memberId, 'memberId', 'a waste bank member');
  const wasteBankCode = input.wasteBankCode == null ? undefined : requireWasteBankCode(input.wasteBankCode, 'wasteBankCode');
  const depositedAt = requirePastInstant(input.depositedAt, 'depositedAt', now);
  const lines = requireDepositLines(input.lines);
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  return { memberId, wasteBankCode, depositedAt, day: kediriDay(depositedAt), lines, idempotencyKey };
}

export async function recordWasteDeposit(input: RecordWasteDepositInput, ctx: EnvironmentContext): Promise<DepositDoc> {
  requireStaff(ctx, 'Recording a waste deposit');
  const { memberId, wasteBankCode, depositedAt, day, lines, idempotencyKey } = readDeposit(input);
  const { Deposit, Member, WasteBank, WasteCategory } = ctx.models;

  return ctx.transaction(async (unit) => {
    const earlier = await earlierResult<DepositDoc>(
      Deposit,
      idempotencyKey,
      (deposit) =>
        String(deposit.memberId) === memberId.toHexString() &&
        deposit.depositedAt.getTime() === depositedAt.getTime() &&
        deposit.lines.length === lines.length &&
        deposit.lines.every((line, index) => line.category === lines[index].category && gramsFromKg(line.kg) === lines[index].grams),
    );
    if (earlier) return earlier;

    const member = await Member.findById(memberId).lean<MemberDoc>();
    if (!member) throw notFound('waste bank member', `id ${memberId.toHexString()}`);
    if (wasteBankCode !== undefined && wasteBankCode !== member.wasteBankCode) {
      throw badUserInput('wasteBankCode', `the member's own waste bank ${member.wasteBankCode}`, wasteBankCode);
    }
    if (!isMemberOn(member.joinedAt, member.leftAt, day)) {
      const until = member.leftAt ? ` and before ${isoDay(member.leftAt)}` : '';
      throw badUserInput('depositedAt', `a day (in Kediri) on or after the member joined on ${isoDay(member.joinedAt)}${until}`, input.depositedAt);
    }
    const bank = await WasteBank.findOne({ code: member.wasteBankCode }).lean();
    if (!bank || !isActiveOn(bank.activePeriods, day)) {
      throw badUserInput('depositedAt', `a day (in Kediri) on which waste bank ${member.wasteBankCode} was active`, input.depositedAt);
    }
    const categories = await WasteCategory.find({}).lean();
    const priced = priceDeposit(lines, new Map(categories.map((c) => [c.code, c.prices as DatedPrice[]])), day);

    const [created] = await Deposit.create([
      {
        memberId: member._id,
        residentId: member.residentId,
        wasteBankCode: member.wasteBankCode,
        kelurahanCode: member.kelurahanCode,
        depositedAt,
        ...priced,
        idempotencyKey,
      },
    ]);
    await Member.updateOne({ _id: member._id }, { $inc: { balance: priced.totalValue } });
    unit.figuresChanged(member.kelurahanCode, kediriYear(depositedAt));
    return created.toObject() as DepositDoc;
  });
}

export interface RecordWithdrawalInput {
  memberId: string;
  amount: number;
  kind: (typeof WITHDRAWAL_KINDS)[number];
  idempotencyKey: string;
}

/** The payout's fields as they are stored, checked before anything is read. */
export function readWithdrawal(input: RecordWithdrawalInput) {
  return {
    memberId: requireObjectId(input.memberId, 'memberId', 'a waste bank member'),
    amount: requireWholeRupiah(input.amount, 'amount', { min: 1, max: MAX_WITHDRAWAL }),
    kind: requireOneOf(input.kind, 'kind', WITHDRAWAL_KINDS),
    idempotencyKey: requireIdempotencyKey(input.idempotencyKey),
  };
}

/**
 * A payout. It writes the withdrawal, then takes the amount from the member's balance and looks at what is
 * left: below zero, the unit refuses with CONFLICT and the transaction takes back both writes. The balance
 * is one document per member, so of two payouts racing for the same savings the second conflicts with the
 * first, runs again on the balance the first left, and is refused if that is not enough. Payouts change no
 * scorecard figure, and savings are read only by the agency and caseworkers, never from the gateway's cache
 * of public and dashboard answers: a payout leaves the agency's data version (and that cache) as it is.
 */
export async function recordWithdrawal(input: RecordWithdrawalInput, ctx: EnvironmentContext): Promise<WithdrawalDoc> {
  requireStaff(ctx, 'Recording a withdrawal');
  const { memberId, amount, kind, idempotencyKey } = readWithdrawal(input);
  const { Member, Withdrawal } = ctx.models;

  return ctx.transaction(async () => {
    const earlier = await earlierResult<WithdrawalDoc>(
      Withdrawal,
      idempotencyKey,
      (withdrawal) => String(withdrawal.memberId) === memberId.toHexString() && withdrawal.amount === amount && withdrawal.kind === kind,
    );
    if (earlier) return earlier;

    const member = await Member.findById(memberId).lean<MemberDoc>();
    if (!member) throw notFound('waste bank member', `id ${memberId.toHexString()}`);
    const [created] = await Withdrawal.create([
      {
        memberId: member._id,
        residentId: member.residentId,
        wasteBankCode: member.wasteBankCode,
        kelurahanCode: member.kelurahanCode,
        amount,
        kind,
        withdrawnAt: new Date(),
        idempotencyKey,
      },
    ]);
    const after = await Member.findOneAndUpdate({ _id: member._id }, { $inc: { balance: -amount } }, { new: true }).lean<MemberDoc>();
    balanceAfterPayout(after!.balance + amount, amount);
    return created.toObject() as WithdrawalDoc;
  }, { changesPublicData: false });
}
