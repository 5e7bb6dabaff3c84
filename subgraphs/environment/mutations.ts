import { Types } from 'mongoose';
import { requireOwningAgency } from '../kit/access';
import { badUserInput, conflict } from '../../platform/errors';
import type { Identity } from '../../platform/identity';
import { requireNik, residentId } from '../kit/residents';
import { oneAtATime } from '../kit/serial';
import { balancesOf } from './balances';
import { WITHDRAWAL_KINDS, type DepositDoc, type EnvironmentModels, type MemberDoc, type WithdrawalDoc } from './models';
import {
  isActiveOn,
  isoDay,
  parseIsoInstant,
  priceDeposit,
  requireIdempotencyKey,
  requireNotFuture,
  requireWithdrawalAmount,
  type DatedPrice,
  type DepositLineInput,
} from './rules';
import { isDuplicateKey } from '../kit/inputs';

/**
 * The staff operations. Each validates every field before its single write, so a refused call leaves
 * nothing behind, and each is safe to retry: a natural key or the caller's idempotency key finds the first
 * result, and the unique index settles two identical calls that race.
 */
export const AGENCY = 'environment';

interface Actor {
  identity: Identity;
  models: EnvironmentModels;
  secrets: { residentIdSecret: string };
}

const WASTE_BANK_CODE = /^BS-\d{4}-\d{3}$/;

export function requireMemberId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{24}$/.test(value)) {
    throw badUserInput(field, 'a member id (24 hexadecimal digits)', value);
  }
  return value;
}

export function requireWasteBankCode(value: unknown, field: string): string {
  if (typeof value !== 'string' || !WASTE_BANK_CODE.test(value)) {
    throw badUserInput(field, 'a waste bank code such as "BS-0105-002"', value);
  }
  return value;
}

async function existingMember(models: EnvironmentModels, memberId: string): Promise<MemberDoc> {
  const member = await models.Member.findById(memberId).lean<MemberDoc>();
  if (!member) throw badUserInput('memberId', 'the id of a registered waste bank member', memberId);
  return member;
}

export async function registerMember(
  { identity, models, secrets }: Actor,
  input: { nik: unknown; name: unknown; wasteBankCode: unknown; joinedOn: unknown },
): Promise<MemberDoc> {
  requireOwningAgency(identity, AGENCY, 'Registering a waste bank member');
  const nik = requireNik(input.nik, 'nik');
  const name = typeof input.name === 'string' ? input.name.trim().replace(/\s+/g, ' ') : '';
  if (name.length < 2 || name.length > 120) throw badUserInput('name', 'the name as on the KTP, 2 to 120 characters', input.name);
  const wasteBankCode = requireWasteBankCode(input.wasteBankCode, 'wasteBankCode');
  const joinedAt = requireNotFuture(parseIsoInstant(input.joinedOn, 'joinedOn', false), 'joinedOn');
  const bank = await models.WasteBank.findOne({ code: wasteBankCode }).lean();
  if (!bank) throw badUserInput('wasteBankCode', 'the code of a registered waste bank', wasteBankCode);

  const id = residentId(nik, secrets.residentIdSecret);
  // The natural key (waste bank, resident) makes a retried registration find the first one.
  const already = await models.Member.findOne({ wasteBankCode, residentId: id }).lean<MemberDoc>();
  if (already) return already;
  if (!isActiveOn(bank.activePeriods, joinedAt)) {
    throw badUserInput('joinedOn', `a day on which waste bank ${wasteBankCode} was active`, isoDay(joinedAt));
  }
  try {
    const created = await models.Member.create({
      nik,
      residentId: id,
      name,
      wasteBankCode,
      kelurahanCode: bank.kelurahanCode,
      joinedAt,
      leftAt: null,
    });
    return created.toObject() as MemberDoc;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return (await models.Member.findOne({ wasteBankCode, residentId: id }).lean<MemberDoc>())!;
  }
}

export async function recordDeposit(
  { identity, models }: Actor,
  input: { memberId: unknown; wasteBankCode?: unknown; depositedAt: unknown; lines: DepositLineInput[]; idempotencyKey: unknown },
): Promise<DepositDoc> {
  requireOwningAgency(identity, AGENCY, 'Recording a waste deposit');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const memberId = requireMemberId(input.memberId, 'memberId');
  const first = await models.Deposit.findOne({ idempotencyKey }).lean<DepositDoc>();
  if (first) return sameRequest(first, memberId);

  const depositedAt = requireNotFuture(parseIsoInstant(input.depositedAt, 'depositedAt'), 'depositedAt');
  const member = await existingMember(models, memberId);
  if (input.wasteBankCode !== undefined && input.wasteBankCode !== null) {
    const code = requireWasteBankCode(input.wasteBankCode, 'wasteBankCode');
    if (code !== member.wasteBankCode) {
      throw badUserInput('wasteBankCode', `the member's own waste bank ${member.wasteBankCode}`, code);
    }
  }
  if (depositedAt.getTime() < member.joinedAt.getTime() || (member.leftAt && depositedAt.getTime() >= member.leftAt.getTime())) {
    const until = member.leftAt ? ` and before ${isoDay(member.leftAt)}` : '';
    throw badUserInput('depositedAt', `a moment on or after the member joined on ${isoDay(member.joinedAt)}${until}`, depositedAt.toISOString());
  }
  const bank = await models.WasteBank.findOne({ code: member.wasteBankCode }).lean();
  if (!bank || !isActiveOn(bank.activePeriods, depositedAt)) {
    throw badUserInput('depositedAt', `a day on which waste bank ${member.wasteBankCode} was active`, depositedAt.toISOString());
  }
  const categories = await models.WasteCategory.find({}).lean();
  const priceLists = new Map<string, DatedPrice[]>(categories.map((c) => [c.code, c.prices as DatedPrice[]]));
  const priced = priceDeposit(Array.isArray(input.lines) ? input.lines : [], priceLists, depositedAt);

  try {
    const created = await models.Deposit.create({
      memberId: member._id,
      residentId: member.residentId,
      wasteBankCode: member.wasteBankCode,
      kelurahanCode: member.kelurahanCode,
      depositedAt,
      ...priced,
      idempotencyKey,
    });
    return created.toObject() as DepositDoc;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return sameRequest((await models.Deposit.findOne({ idempotencyKey }).lean<DepositDoc>())!, memberId);
  }
}

export async function recordWithdrawal(
  { identity, models }: Actor,
  input: { memberId: unknown; amount: unknown; kind: unknown; idempotencyKey: unknown },
): Promise<WithdrawalDoc> {
  requireOwningAgency(identity, AGENCY, 'Recording a withdrawal');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const memberId = requireMemberId(input.memberId, 'memberId');
  if (!WITHDRAWAL_KINDS.includes(input.kind as never)) {
    throw badUserInput('kind', `one of ${WITHDRAWAL_KINDS.join(', ')}`, input.kind);
  }
  const kind = input.kind as (typeof WITHDRAWAL_KINDS)[number];
  // The amount's shape is checked before any read; the balance only once the member's turn comes.
  requireWithdrawalAmount(input.amount, Number.MAX_SAFE_INTEGER);
  const amount = input.amount as number;

  // One member's payouts are checked against the balance and written one at a time.
  return oneAtATime(`waste-bank-member:${memberId}`, async () => {
    const first = await models.Withdrawal.findOne({ idempotencyKey }).lean<WithdrawalDoc>();
    if (first) return sameRequest(first, memberId, { amount, kind });
    const member = await existingMember(models, memberId);
    const balance = (await balancesOf(models, [memberId])).get(memberId) ?? 0;
    requireWithdrawalAmount(amount, balance);
    try {
      const created = await models.Withdrawal.create({
        memberId: member._id,
        residentId: member.residentId,
        wasteBankCode: member.wasteBankCode,
        kelurahanCode: member.kelurahanCode,
        amount,
        kind,
        withdrawnAt: new Date(),
        idempotencyKey,
      });
      return created.toObject() as WithdrawalDoc;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return sameRequest((await models.Withdrawal.findOne({ idempotencyKey }).lean<WithdrawalDoc>())!, memberId, { amount, kind });
    }
  });
}

/**
 * A retry must be the same operation: an idempotency key reused for another member, amount or kind is a
 * client bug, and answering it with the first result would hide that.
 */
function sameRequest<T extends { memberId: Types.ObjectId; amount?: number; kind?: string }>(
  first: T,
  memberId: string,
  expected: { amount?: number; kind?: string } = {},
): T {
  const differs =
    String(first.memberId) !== memberId ||
    (expected.amount !== undefined && first.amount !== expected.amount) ||
    (expected.kind !== undefined && first.kind !== expected.kind);
  if (differs) {
    throw conflict(
      `The idempotencyKey was already used for a different operation (member ${String(first.memberId)}); ` +
        'generate a new key for a new operation and repeat the same key only on retries.',
      'idempotencyKey',
    );
  }
  return first;
}
