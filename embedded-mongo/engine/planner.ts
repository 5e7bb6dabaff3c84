import type { Collection, StoredRecord } from './collection';
import { mongoError } from './errors';
import { defaultIndexName, type Index } from './indexes';
import type { CompiledFilter } from './query';
import type { Document } from './types';
import { canonicalKey, typeOrder, TypeOrder } from './values';

/** What a query did, for tests and the benchmark to check that indexes are used. */
export interface PlanStats {
  /** `_id_`, a secondary index's name, or null for a full collection scan. */
  index: string | null;
  /** Documents the filter was evaluated against. */
  docsExamined: number;
}

function isOperatorObject(value: unknown): value is Document {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeOrder(value) === TypeOrder.Object &&
    Object.keys(value).some((k) => k.startsWith('$'))
  );
}

/**
 * A value an index can look up. Null, arrays and regular expressions are left to a scan: in MongoDB they
 * also match missing fields, whole arrays and patterns, which index keys alone cannot answer.
 */
function lookupable(value: unknown): boolean {
  const order = typeOrder(value);
  return order !== TypeOrder.Null && order !== TypeOrder.Array && order !== TypeOrder.RegExp;
}

/** The values a filter pins a top-level field to (equality, `$eq` or `$in`), or null when it does not. */
function pinnedValues(filter: Document, field: string): unknown[] | null {
  if (field in filter) {
    const condition = filter[field];
    if (!isOperatorObject(condition)) return lookupable(condition) ? [condition] : null;
    if ('$eq' in condition) return lookupable(condition.$eq) ? [condition.$eq] : null;
    if (Array.isArray(condition.$in) && condition.$in.every(lookupable)) return condition.$in;
  }
  if (Array.isArray(filter.$and)) {
    for (const clause of filter.$and) {
      if (typeof clause !== 'object' || clause === null) continue;
      const values = pinnedValues(clause as Document, field);
      if (values) return values;
    }
  }
  return null;
}

/** The index a hint names; an unknown index is MongoDB's BadValue. */
export function resolveHint(collection: Collection, hint: Document | string): Index | 'natural' | '_id_' {
  if (typeof hint === 'object' && '$natural' in hint) return 'natural';
  const name = typeof hint === 'string' ? hint : defaultIndexName(hint);
  if (name === '_id_' || name === '_id_1') return '_id_';
  const index = collection.findIndex(name) ?? collection.indexes.find((i) => typeof hint === 'object' && canonicalKey(i.key) === canonicalKey(hint));
  if (!index) throw mongoError('BadValue', `error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index: ${JSON.stringify(hint)}`);
  return index;
}

function byNaturalOrder(collection: Collection, ids: Iterable<string>): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const id of ids) {
    const record = collection.get(id);
    if (record) records.push(record);
  }
  return records.sort((a, b) => a.seq - b.seq);
}

/**
 * Picks the documents a filter can match: by `_id` when the filter pins `_id`, else by the first secondary
 * index whose leading field the filter pins, else all of them. Candidates come back in natural order, then
 * the full filter decides; an index only narrows the set, it never decides a match on its own.
 */
export function candidates(collection: Collection, filter: Document, hint?: Document | string): { records: Iterable<StoredRecord>; index: string | null; size: number } {
  const hinted = hint === undefined ? undefined : resolveHint(collection, hint);
  if (hinted === 'natural') return { records: collection.scan(), index: null, size: collection.size };
  if (hinted === undefined || hinted === '_id_') {
    const ids = pinnedValues(filter, '_id');
    if (ids) {
      const records = byNaturalOrder(collection, new Set(ids.map(canonicalKey)));
      return { records, index: '_id_', size: records.length };
    }
  }
  const usable = hinted && hinted !== '_id_' ? [hinted] : collection.indexes;
  for (const index of usable) {
    if (!index.answersEquality) continue;
    const values = pinnedValues(filter, index.fields[0]);
    if (!values) continue;
    const records = byNaturalOrder(collection, index.lookup(values));
    return { records, index: index.name, size: records.length };
  }
  return { records: collection.scan(), index: null, size: collection.size };
}

/** Runs a compiled filter over the candidates, in natural order, recording what was examined. */
export function matchRecords(
  collection: Collection,
  filter: Document,
  compiled: CompiledFilter,
  stats: PlanStats,
  options: { hint?: Document | string; limit?: number } = {},
): StoredRecord[] {
  const plan = candidates(collection, filter, options.hint);
  stats.index = plan.index;
  stats.docsExamined = 0;
  const matched: StoredRecord[] = [];
  for (const record of plan.records) {
    stats.docsExamined++;
    if (compiled.matchesAll || compiled.test(record.doc)) {
      matched.push(record);
      if (options.limit !== undefined && matched.length >= options.limit) break;
    }
  }
  return matched;
}
