/**
 * The engine's fast paths, each of which can be switched off. Every fast path answers exactly what the general path
 * (mingo, a full evaluation per document) answers; the switches exist so that the equivalence tests can run the same
 * query both ways and compare, and so that the benchmark (bench/pillars.bench.ts) can measure what each fast path is
 * worth on its own. Nothing else should touch them: with every switch on, the store is simply faster.
 */
export interface Levers {
  /** Query predicates and expressions read a field path directly instead of through mingo's general path resolver. */
  directFieldReads: boolean;
  /**
   * Index walks bounded by every leading field a filter pins to values (`$in` lists included) and by a range on the
   * next one; a walk that needs no order fetches its documents in natural order, as a collection scan would.
   */
  indexBounds: boolean;
  /** Conditions that the bounds of an index walk answer exactly are not checked again on its documents (bounds.ts). */
  exactBounds: boolean;
  /** `$group` runs in one pass with its key as a canonical string and its accumulators kept as running totals. */
  nativeGroup: boolean;
  /** Aggregation expressions ($cond, $eq, $in, $multiply, ...) are compiled once per stage into closures. */
  compiledExpressions: boolean;
  /** Projections of plain fields (`{ _id: 1 }`, `{ a: 1, b: 1 }`, `{ a: 0 }`) are built directly, not by mingo. */
  directProjection: boolean;
}

export const LEVER_NAMES = ['directFieldReads', 'indexBounds', 'exactBounds', 'nativeGroup', 'compiledExpressions', 'directProjection'] as const satisfies readonly (keyof Levers)[];

/** The switches as they are now; read on every query, so a change takes effect at the next one. */
export const levers: Levers = {
  directFieldReads: true,
  indexBounds: true,
  exactBounds: true,
  nativeGroup: true,
  compiledExpressions: true,
  directProjection: true,
};

/** Every switch off: the general path, as the store ran before its fast paths. */
export const GENERAL_PATH: Levers = Object.freeze({
  directFieldReads: false,
  indexBounds: false,
  exactBounds: false,
  nativeGroup: false,
  compiledExpressions: false,
  directProjection: false,
});

/** Sets some switches and returns a function that puts them back as they were. */
export function setLevers(changes: Partial<Levers>): () => void {
  const before = { ...levers };
  Object.assign(levers, changes);
  return () => Object.assign(levers, before);
}

/** Runs `work` with some switches changed, and puts them back afterwards (also when it throws). */
export function withLevers<T>(changes: Partial<Levers>, work: () => T): T {
  const restore = setLevers(changes);
  try {
    return work();
  } finally {
    restore();
  }
}
