import { Types } from 'mongoose';
import type { EnvironmentModels } from './models';
import { balanceOf } from './rules';

/**
 * Savings are not stored: a member's balance is the sum of their deposits' values minus the sum of their
 * withdrawals, aggregated when asked (two pipelines for any number of members). A stored balance could
 * drift from the records; this cannot.
 */
export async function balancesOf(models: EnvironmentModels, memberIds: readonly string[]): Promise<Map<string, number>> {
  const ids = memberIds.map((id) => new Types.ObjectId(id));
  const [deposited, withdrawn] = await Promise.all([
    models.Deposit.aggregate<{ _id: Types.ObjectId; sum: number }>([
      { $match: { memberId: { $in: ids } } },
      { $group: { _id: '$memberId', sum: { $sum: '$totalValue' } } },
    ]),
    models.Withdrawal.aggregate<{ _id: Types.ObjectId; sum: number }>([
      { $match: { memberId: { $in: ids } } },
      { $group: { _id: '$memberId', sum: { $sum: '$amount' } } },
    ]),
  ]);
  const depositedBy = new Map(deposited.map((row) => [String(row._id), row.sum]));
  const withdrawnBy = new Map(withdrawn.map((row) => [String(row._id), row.sum]));
  return new Map(memberIds.map((id) => [id, balanceOf(depositedBy.get(id) ?? 0, withdrawnBy.get(id) ?? 0)]));
}
