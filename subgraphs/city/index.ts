import { AUDIT_APPEND_PATH } from '../../platform/audit';
import { defineAgency } from '../kit/agency';
import { appendRoute } from './auditLog';
import { createCityLoaders } from './loaders';
import { cityModels } from './models';
import { resolvers } from './resolvers';

/**
 * The city's reference subgraph (Diskominfo, Satu Data). The kelurahan are public reference data kept in
 * the kit; its one collection is the resident-access audit log, which it owns: the gateway appends to it
 * through the audit route, auditors read it and check its chain through the graph.
 */
export const city = defineAgency({
  name: 'city',
  resolvers,
  models: cityModels,
  loaders: createCityLoaders,
  routes: { [AUDIT_APPEND_PATH]: appendRoute },
  requiredSecrets: ['auditSecret'],
});
