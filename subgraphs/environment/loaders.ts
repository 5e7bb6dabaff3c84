import DataLoader from 'dataloader';
import type { Identity } from '../../platform/identity';
import { manyByField, oneByField, figuresByKelurahanYear } from '../kit/loaders';
import { balancesOf } from './balances';
import { cityEnvironmentFigures, environmentFigures, NO_FIGURES, type EnvironmentFigures } from './indicators';
import type { DepositDoc, EnvironmentModels, MemberDoc, WasteBankDoc, WithdrawalDoc } from './models';

/**
 * The per-request loaders: every entity and nested list of this subgraph is read through one of them, so a
 * request naming 46 kelurahan or 100 members costs one query per collection, not one per key.
 */
export function createEnvironmentLoaders(models: EnvironmentModels, _identity: Identity) {
  return {
    wasteBankByCode: oneByField<WasteBankDoc>(models.WasteBank, 'code'),
    wasteBanksByKelurahan: manyByField<WasteBankDoc>(models.WasteBank, 'kelurahanCode', { sort: { code: 1 } }),
    /** Keys are validated member ids (24 hex digits). */
    memberById: oneByField<MemberDoc>(models.Member, '_id'),
    membershipsByResident: manyByField<MemberDoc>(models.Member, 'residentId', { sort: { joinedAt: 1, _id: 1 } }),
    depositsByMember: manyByField<DepositDoc>(models.Deposit, 'memberId', { sort: { depositedAt: 1, _id: 1 } }),
    withdrawalsByMember: manyByField<WithdrawalDoc>(models.Withdrawal, 'memberId', { sort: { withdrawnAt: 1, _id: 1 } }),
    balanceByMember: new DataLoader<string, number>(async (ids) => {
      const balances = await balancesOf(models, ids);
      return ids.map((id) => balances.get(id) ?? 0);
    }),
    cityFigures: new DataLoader<number, EnvironmentFigures>((years) =>
      Promise.all(years.map((year) => cityEnvironmentFigures(models, year))),
    ),
    /** Keys from `scorecardKey`: every kelurahan of one year goes into one aggregation per collection. */
    kelurahanFigures: figuresByKelurahanYear((year, codes) => environmentFigures(models, year, codes), () => NO_FIGURES),
  };
}

export type EnvironmentLoaders = ReturnType<typeof createEnvironmentLoaders>;
