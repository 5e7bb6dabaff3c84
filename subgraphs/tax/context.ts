import type { SubgraphContext } from '../kit/subgraph';
import type { TaxLoaders } from './loaders';
import type { TaxModels } from './models';

/** What every tax resolver receives. */
export type TaxContext = SubgraphContext<TaxModels, TaxLoaders>;

/** The role of the agency's staff, the only one that may change tax records. */
export const STAFF_ROLE = 'agency:tax' as const;
