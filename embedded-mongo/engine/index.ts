import { MemoryEngine } from './engine';

export type * from './types';
export { MongoError, ErrorCode, mongoError } from './errors';
export { MemoryEngine } from './engine';
export type { PlanStats } from './planner';

/** The store's storage engine: in memory, synchronous, MongoDB's semantics through mingo and BSON-aware fixes. */
export function createEngine(): MemoryEngine {
  return new MemoryEngine();
}
