import type { Identity } from '../../platform/identity';
import { oneByField } from '../kit/loaders';
import type { AuditEntryRecord, CityModels } from './models';

/** The city subgraph's DataLoaders: the outcome entry of each read on a page of the audit log, in one query. */
export function createCityLoaders(models: CityModels, _identity: Identity) {
  return {
    outcomeOfRead: oneByField<AuditEntryRecord>(models.AuditEntry, 'readId', { kind: 'outcome' }),
  };
}

export type CityLoaders = ReturnType<typeof createCityLoaders>;
