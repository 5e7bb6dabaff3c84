import type { StoredRecord } from './collection';
import { mongoError } from './errors';
import { defaultIndexName, type Index, type IndexAccess } from './indexes';
import type { KeyBound, KeyEntry, OrderedKeys } from './orderedKeys';
import type { CompiledFilter } from './query';
import { parseSort, sortDocuments } from './sort';
import type { Document } from './types';
import { canonicalKey, typeOrder, TypeOrder } from './values';

/** What a query did, for tests and the benchmark to check that indexes are used. */
export interface PlanStats {
  /** `_id_`, a secondary index's name, or null for a full collection scan. */
  index: string | null;
  /** Documents the filter was evaluated against. */
  docsExamined: number;
}

/**
 * What queries read: a collection, or a transaction's view of one. A view holds `overrides`, the documents whose
 * version in the view differs from what the collection's indexes hold (null where the view has no such document);
 * every plan takes them into account, so the indexes only ever narrow the candidates.
 */
export interface RecordSource {
  readonly namespace: string;
  get(id: string): StoredRecord | undefined;
  /** Every record in natural order. */
  scan(): Iterable<StoredRecord>;
  findIndex(name: string): Index | undefined;
  /** The `_id` index. */
  readonly idIndex: IndexAccess;
  /** The `_id` index, then the secondary indexes. */
  accessPaths(): IndexAccess[];
  orderedKeys(access: IndexAccess): OrderedKeys;
  readonly overrides?: ReadonlyMap<string, StoredRecord | null>;
}

/** How a plan reaches its candidates, as explain reports it. */
export type Access =
  | { stage: 'COLLSCAN' }
  | {
      stage: 'IXSCAN';
      index: IndexAccess;
      /** `lookup`: the first field's values through the hash map; `range`: a walk of the ordered keys. */
      method: 'lookup' | 'range';
      /** The index bounds as explain shows them, per field; computed only when asked for. */
      bounds(): Record<string, string[]>;
      direction: 'forward' | 'backward';
    };

/** What one query did, stage by stage: enough to answer explain, and to fill PlanStats. */
export interface PlanReport {
  namespace: string;
  filter: Document;
  access: Access;
  /** The sort done in memory after fetching, or null when the index order already is the sort order (or none). */
  sortInMemory: Document | null;
  skip: number;
  /** 0 for no limit. */
  limit: number;
  keysExamined: number;
  docsExamined: number;
  /** Documents that passed the filter. */
  matched: number;
  nReturned: number;
  executionTimeMillis: number;
}

export interface QueryShape {
  filter: Document;
  sort?: Document;
  skip?: number;
  /** 0 or absent for no limit. */
  limit?: number;
  hint?: Document | string;
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
  return order !== TypeOrder.Null && order !== TypeOrder.Array && order !== TypeOrder.RegExp && order !== TypeOrder.MinKey && order !== TypeOrder.MaxKey;
}

/** The conditions a filter puts on a top-level field: its own, and those in top-level `$and` clauses. */
function conditionsOn(filter: Document, field: string): unknown[] {
  const found: unknown[] = [];
  if (field in filter) found.push(filter[field]);
  if (Array.isArray(filter.$and)) {
    for (const clause of filter.$and) {
      if (typeof clause === 'object' && clause !== null) found.push(...conditionsOn(clause as Document, field));
    }
  }
  return found;
}

/** The values a filter pins a top-level field to (equality, `$eq` or `$in`), or null when it does not. */
function pinnedValues(filter: Document, field: string): unknown[] | null {
  for (const condition of conditionsOn(filter, field)) {
    if (!isOperatorObject(condition)) {
      if (lookupable(condition)) return [condition];
      continue;
    }
    if ('$eq' in condition && lookupable(condition.$eq)) return [condition.$eq];
    if (Array.isArray(condition.$in) && condition.$in.every(lookupable)) return condition.$in;
  }
  return null;
}

const NOT_PINNED = Symbol('not pinned');

/** The single value a filter pins a field to, or NOT_PINNED. */
function pinnedValue(filter: Document, field: string): unknown {
  const values = pinnedValues(filter, field);
  return values && values.length === 1 ? values[0] : NOT_PINNED;
}

interface Range {
  low?: { value: unknown; inclusive: boolean };
  high?: { value: unknown; inclusive: boolean };
}

/**
 * The range `$gt`, `$gte`, `$lt` and `$lte` put on a field, or null. The bounds are a superset in MongoDB's total
 * order of values; the filter still decides, so values of other types inside the range are simply rejected.
 */
function rangeOn(filter: Document, field: string): Range | null {
  const range: Range = {};
  for (const condition of conditionsOn(filter, field)) {
    if (!isOperatorObject(condition)) continue;
    for (const [operator, value] of Object.entries(condition)) {
      if (!lookupable(value)) continue;
      if (operator === '$gt' || operator === '$gte') range.low = { value, inclusive: operator === '$gte' };
      if (operator === '$lt' || operator === '$lte') range.high = { value, inclusive: operator === '$lte' };
    }
  }
  return range.low || range.high ? range : null;
}

/** The index a hint names; an unknown index is MongoDB's BadValue. */
export function resolveHint(source: RecordSource, hint: Document | string): IndexAccess | 'natural' {
  if (typeof hint === 'object' && '$natural' in hint) return 'natural';
  const name = typeof hint === 'string' ? hint : defaultIndexName(hint);
  const paths = source.accessPaths();
  if (name === '_id_' || name === '_id_1') return source.idIndex;
  const index = source.findIndex(name) ?? paths.find((i) => typeof hint === 'object' && canonicalKey(i.key) === canonicalKey(hint));
  if (!index) throw mongoError('BadValue', `error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index: ${JSON.stringify(hint)}`);
  return index;
}

/** A way to find candidates, and how good it is. */
interface Plan {
  access: Access;
  score: number;
  /** Whether candidates come in the requested sort order. */
  providesSort: boolean;
  candidates(): { records: Iterable<StoredRecord>; keys: () => number };
}

function collectionScan(source: RecordSource): Plan {
  return { access: { stage: 'COLLSCAN' }, score: 0, providesSort: false, candidates: () => ({ records: source.scan(), keys: () => 0 }) };
}

/** Records for ids, each once, in natural order. */
function byNaturalOrder(source: RecordSource, ids: string[]): StoredRecord[] {
  if (ids.length === 1) {
    const record = source.get(ids[0]);
    return record ? [record] : [];
  }
  const seen = new Set<string>();
  const records: StoredRecord[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const record = source.get(id);
    if (record) records.push(record);
  }
  return records.sort((a, b) => a.seq - b.seq);
}

const bound = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : formatBound(value));

function formatBound(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && '_bsontype' in value && (value as { _bsontype: string })._bsontype === 'ObjectId') {
    return `ObjectId('${String(value)}')`;
  }
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  return String(value);
}

function allValues(direction: 1 | -1): string[] {
  return [direction === 1 ? '[MinKey, MaxKey]' : '[MaxKey, MinKey]'];
}

/** Plans of a lookup of the first field's values through the index's hash map (natural order). */
function lookupPlan(source: RecordSource, access: IndexAccess, values: unknown[], sortRequested: boolean): Plan {
  const bounds = () => {
    const shown: Record<string, string[]> = {};
    access.fields.forEach((field, i) => {
      shown[field] = i === 0 ? values.map((v) => `[${bound(v)}, ${bound(v)}]`) : allValues(access.directions[i]);
    });
    return shown;
  };
  const isId = access.name === '_id_';
  return {
    access: { stage: 'IXSCAN', index: access, method: 'lookup', bounds, direction: 'forward' },
    // An exact `_id` lookup is always best, as mongod's IDHACK; a lookup keeps natural order when nothing is sorted.
    score: isId ? 100 : 10 + (sortRequested ? 0 : 1),
    providesSort: !sortRequested,
    candidates() {
      const ids = [...access.lookup(values)];
      if (!isId && source.overrides) ids.push(...source.overrides.keys());
      const records = byNaturalOrder(source, ids);
      return { records, keys: () => records.length };
    },
  };
}

/**
 * A walk of an index's ordered keys: fields pinned by equality form a prefix, the next field may carry a range, and
 * when the remaining sort keys follow the index (all in its direction, or all against it) the walk yields documents
 * already sorted, so a limit stops it early.
 */
function rangePlan(source: RecordSource, access: IndexAccess, filter: Document, sortKeys: [string, 1 | -1][]): Plan | null {
  if (access.isPartial || access.multikey) return null;
  // Most indexes have nothing to offer a query: no condition on their first field, and no sort it could give.
  const leading = access.fields[0];
  if (!(leading in filter) && !Array.isArray(filter.$and) && !sortKeys.some(([field]) => field === leading)) return null;
  if (overridesAreMultikey(source, access)) return null;
  const equal: unknown[] = [];
  for (const field of access.fields) {
    const value = pinnedValue(filter, field);
    if (value === NOT_PINNED) break;
    equal.push(value);
  }
  const rangeField = access.fields[equal.length];
  const range = rangeField === undefined ? null : rangeOn(filter, rangeField);
  // A sparse index lacks the documents without the field; only a condition that excludes those may use it.
  if (access.sparse && equal.length === 0 && !range) return null;

  // Sort keys on fields pinned to one value are constant; the rest must follow the index after its equality prefix.
  const remaining = sortKeys.filter(([field]) => pinnedValue(filter, field) === NOT_PINNED);
  let reverse: boolean | undefined;
  let providesSort = remaining.every(([field, direction], i) => {
    const position = equal.length + i;
    if (access.fields[position] !== field) return false;
    const along = direction === access.directions[position];
    reverse ??= !along;
    return reverse === !along;
  });
  if (!providesSort) reverse = false;
  const sortRequested = sortKeys.length > 0;
  const boundFields = equal.length + (range ? 1 : 0);
  if (boundFields === 0 && !(sortRequested && providesSort)) return null;
  providesSort = providesSort || !sortRequested;

  let lower: KeyBound | null = equal.length > 0 ? { values: equal, inclusive: true } : null;
  let upper: KeyBound | null = lower;
  // In a descending field, values above the range's low end come first in index order.
  const rangeDirection = access.directions[equal.length];
  const first = range ? (rangeDirection === 1 ? range.low : range.high) : undefined;
  const last = range ? (rangeDirection === 1 ? range.high : range.low) : undefined;
  if (first) lower = { values: [...equal, first.value], inclusive: first.inclusive };
  if (last) upper = { values: [...equal, last.value], inclusive: last.inclusive };
  const bounds = () => {
    const shown: Record<string, string[]> = {};
    access.fields.forEach((field, i) => {
      shown[field] = i < equal.length ? [`[${bound(equal[i])}, ${bound(equal[i])}]`] : allValues(access.directions[i]);
    });
    if (range) {
      const open = rangeDirection === 1 ? ['MinKey', 'MaxKey'] : ['MaxKey', 'MinKey'];
      shown[rangeField] = [
        `${first ? (first.inclusive ? '[' : '(') + bound(first.value) : '[' + open[0]}, ${last ? bound(last.value) + (last.inclusive ? ']' : ')') : open[1] + ']'}`,
      ];
    }
    return shown;
  };
  const backward = reverse === true;
  return {
    access: { stage: 'IXSCAN', index: access, method: 'range', bounds, direction: backward ? 'backward' : 'forward' },
    score: 10 * boundFields + (sortRequested && providesSort ? 5 : 0),
    providesSort,
    candidates() {
      let keys = 0;
      const keyed = orderedEntries(source, access, lower, upper, backward);
      function* records(): Generator<StoredRecord> {
        for (const entry of keyed) {
          keys++;
          const record = source.get(entry.id);
          if (record) yield record;
        }
      }
      return { records: records(), keys: () => keys };
    },
  };
}

/** A view's overriding versions may hold arrays that the collection's index has never seen. */
function overridesAreMultikey(source: RecordSource, access: IndexAccess): boolean {
  if (!source.overrides) return false;
  for (const record of source.overrides.values()) if (record && (access.entriesFor(record.doc)?.length ?? 0) > 1) return true;
  return false;
}

/**
 * The index entries between the bounds. For a view, entries of overridden documents are replaced by the entries of
 * their versions in the view, merged in at their places in index order.
 */
function* orderedEntries(source: RecordSource, access: IndexAccess, lower: KeyBound | null, upper: KeyBound | null, reverse: boolean): Generator<KeyEntry> {
  const keys = source.orderedKeys(access);
  const overrides = source.overrides;
  if (!overrides || overrides.size === 0) {
    yield* keys.scan(lower, upper, reverse);
    return;
  }
  const inBounds = (entry: KeyEntry) => {
    if (lower) {
      const order = keys.comparePrefix(entry.values, lower.values);
      if (lower.inclusive ? order < 0 : order <= 0) return false;
    }
    if (upper) {
      const order = keys.comparePrefix(entry.values, upper.values);
      if (upper.inclusive ? order > 0 : order >= 0) return false;
    }
    return true;
  };
  const extra: KeyEntry[] = [];
  for (const [id, record] of overrides) {
    if (!record) continue;
    for (const entry of access.entriesFor(record.doc) ?? []) {
      const keyed = { values: entry.values, seq: record.seq, id };
      if (inBounds(keyed)) extra.push(keyed);
    }
  }
  const order = (a: KeyEntry, b: KeyEntry) => (reverse ? -keys.compare(a, b) : keys.compare(a, b));
  extra.sort(order);
  let next = 0;
  for (const entry of keys.scan(lower, upper, reverse)) {
    if (overrides.has(entry.id)) continue;
    while (next < extra.length && order(extra[next], entry) < 0) yield extra[next++];
    yield entry;
  }
  while (next < extra.length) yield extra[next++];
}

/** The best plan for a filter and sort, among lookups and walks of every index (or only the hinted one). */
function choosePlan(source: RecordSource, filter: Document, sortKeys: [string, 1 | -1][], hint?: Document | string): Plan {
  const hinted = hint === undefined ? undefined : resolveHint(source, hint);
  if (hinted === 'natural') return collectionScan(source);
  if (hinted === undefined) {
    // Nothing beats a lookup by `_id` (mongod's IDHACK), so no other index need be considered.
    const ids = pinnedValues(filter, '_id');
    if (ids) return lookupPlan(source, source.idIndex, ids, sortKeys.length > 0);
  }
  let best: Plan | null = null;
  for (const access of hinted ? [hinted] : source.accessPaths()) {
    const plans: Plan[] = [];
    const values = access.isPartial ? null : pinnedValues(filter, access.fields[0]);
    if (values) plans.push(lookupPlan(source, access, values, sortKeys.length > 0));
    const walk = rangePlan(source, access, filter, sortKeys);
    if (walk) plans.push(walk);
    for (const plan of plans) if (!best || plan.score > best.score) best = plan;
  }
  return best ?? collectionScan(source);
}

/** The matching records of a query, in result order (the plan's, or sorted), with skip and limit applied. */
export function runQuery(source: RecordSource, shape: QueryShape, compiled: CompiledFilter): { records: StoredRecord[]; report: PlanReport } {
  const started = performance.now();
  const sortKeys = shape.sort ? parseSort(shape.sort) : [];
  const skip = shape.skip ?? 0;
  const limit = shape.limit ?? 0;
  const plan = choosePlan(source, shape.filter, sortKeys, shape.hint);
  const sortInMemory = sortKeys.length > 0 && !plan.providesSort;
  // Without a sort to do afterwards the walk can stop as soon as it has enough documents.
  const stopAfter = !sortInMemory && limit > 0 ? skip + limit : Infinity;
  const { records: candidates, keys } = plan.candidates();
  let docsExamined = 0;
  let matched: StoredRecord[] = [];
  for (const record of candidates) {
    docsExamined++;
    if (compiled.matchesAll || compiled.test(record.doc)) {
      matched.push(record);
      if (matched.length >= stopAfter) break;
    }
  }
  const matchedCount = matched.length;
  if (sortInMemory) {
    const byDoc = new Map(matched.map((r) => [r.doc, r]));
    matched = sortDocuments(matched.map((r) => r.doc), shape.sort as Document).map((doc) => byDoc.get(doc) as StoredRecord);
  }
  const records = skip > 0 || limit > 0 ? matched.slice(skip, limit > 0 ? skip + limit : undefined) : matched;
  return {
    records,
    report: {
      namespace: source.namespace,
      filter: shape.filter,
      access: plan.access,
      sortInMemory: sortInMemory ? (shape.sort as Document) : null,
      skip,
      limit,
      keysExamined: keys(),
      docsExamined,
      matched: matchedCount,
      nReturned: records.length,
      executionTimeMillis: Math.round(performance.now() - started),
    },
  };
}

/** The PlanStats view of a report: which index, and how many documents were examined. */
export function planStats(report: PlanReport, into: PlanStats): void {
  into.index = report.access.stage === 'COLLSCAN' ? null : report.access.index.name;
  into.docsExamined = report.docsExamined;
}
