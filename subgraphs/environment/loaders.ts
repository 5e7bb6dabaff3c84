import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { manyByField, oneByField } from '../kit/loaders';
import type { DepositDoc, EnvironmentModels, MemberDoc, WasteBankDoc, WithdrawalDoc } from './models';

/**
 * The per-request loaders: every entity and nested list of this subgraph is read through one of them, so a
 * request naming 46 kelurahan or 100 members costs one query per collection, not one per key. (The
 * scorecard's figures are the kit's, from the read model: see pillar.ts.)
 */
export function createEnvironmentLoaders(models: EnvironmentModels, _identity: Identity) {
  return {
    wasteBankByCode: oneByField<WasteBankDoc>(models.WasteBank, 'code'),
    wasteBanksByKelurahan: manyByField<WasteBankDoc>(models.WasteBank, 'kelurahanCode', { sort: { code: 1 } }),
    /** Keys are validated member ids (24 lower-case hexadecimal digits). */
    memberById: oneByField<MemberDoc>(models.Member, '_id'),
    membershipsByResident: manyByField<MemberDoc>(models.Member, 'residentId', { sort: { joinedAt: 1, _id: 1 } }),
    depositsByMember: manyByField<DepositDoc>(models.Deposit, 'memberId', { sort: { depositedAt: 1, _id: 1 } }),
    withdrawalsByMember: manyByField<WithdrawalDoc>(models.Withdrawal, 'memberId', { sort: { withdrawnAt: 1, _id: 1 } }),
  };
}

export type EnvironmentLoaders = ReturnType<typeof createEnvironmentLoaders>;

/** What every environment resolver and mutation receives. */
export type EnvironmentContext = AgencyContext<EnvironmentModels, EnvironmentLoaders>;
