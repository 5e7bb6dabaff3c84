import type { StoredRecord } from './collection';
import { mongoError } from './errors';
import { defaultIndexName, makesMultikey, type Index, type IndexAccess } from './indexes';
import type { KeyBound, KeyEntry, OrderedKeys } from './orderedKeys';
import type { CompiledFilter } from './query';
import { parseSort, sortDocuments } from './sort';
import type { Document } from './types';
import { combinations, exactlyBounded, NOT_PINNED, pinnedValue, pinnedValues, pointPrefix, rangeOn, residualFilter } from './bounds';
import { levers } from './levers';
import { canonicalKey } from './values';

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
  /**
   * The committed record with an insertion sequence, which the index entries carry. In a transaction's view it is
   * only meaningful for documents the view does not override (overriddenSeqs tells which to leave out).
   */
  atSeq(seq: number): StoredRecord | undefined;
  /** The sequences of the committed records that `overrides` replaces or hides. */
  overriddenSeqs(): ReadonlySet<number>;
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

/** One stretch of an index's order that a walk reads. */
interface Interval {
  lower: KeyBound | null;
  upper: KeyBound | null;
}

/** What a plan reaches: the candidate records, how many index keys it took, and what filter is left for them. */
interface Candidates {
  records: Iterable<StoredRecord>;
  keys: () => number;
  /** The filter the candidates must still pass, when the plan's bounds answer part of the query's (bounds.ts). */
  filter?: CompiledFilter;
}

/** A way to find candidates, and how good it is. */
interface Plan {
  access: Access;
  score: number;
  /** Whether candidates come in the requested sort order. */
  providesSort: boolean;
  /**
   * The candidates, and how many index keys reaching them took. With `inOrder` false the caller needs no particular
   * order (nothing to sort by the index, no limit to stop early), and a walk may yield them in natural order.
   */
  candidates(inOrder: boolean): Candidates;
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
 * Whether walking an index in order (or backwards) yields the requested sort. Fields the filter pins to one value are
 * the same in every result, so they drop out of both the sort and the index's order; what is left of the sort must be
 * the start of what is left of the index, all in the index's directions or all against them.
 */
function followsIndex(access: IndexAccess, filter: Document, sortKeys: [string, 1 | -1][]): { follows: boolean; reverse: boolean } {
  const constant = (field: string) => pinnedValue(filter, field) !== NOT_PINNED;
  const order = access.fields.map((field, i) => [field, access.directions[i]] as const).filter(([field]) => !constant(field));
  const remaining = sortKeys.filter(([field]) => !constant(field));
  let reverse: boolean | undefined;
  const follows = remaining.every(([field, direction], i) => {
    if (order[i]?.[0] !== field) return false;
    const along = direction === order[i][1];
    reverse ??= !along;
    return reverse === !along;
  });
  return { follows, reverse: follows && reverse === true };
}

/**
 * A walk of an index's ordered keys, bounded as MongoDB bounds an index scan: the leading fields the filter pins to
 * values (one value, or the list of an `$in`) give one interval per combination of values, and the next field may
 * narrow each interval with a range. When the remaining sort keys follow the index (see followsIndex) the walk yields
 * documents already sorted, so a limit stops it early. What the bounds answer exactly is not checked again on the
 * documents (bounds.ts); the rest of the filter decides on every one of them.
 */
function rangePlan(source: RecordSource, access: IndexAccess, filter: Document, sortKeys: [string, 1 | -1][]): Plan | null {
  if (access.isPartial || access.multikey) return null;
  // Most indexes have nothing to offer a query: no condition on their first field, and no sort it could give.
  const leading = access.fields[0];
  if (!(leading in filter) && !Array.isArray(filter.$and) && !sortKeys.some(([field]) => field === leading)) return null;
  if (overridesAreMultikey(source, access)) return null;
  const points = pointPrefix(filter, access);
  const rangeField = access.fields[points.length];
  const range = rangeField === undefined ? null : rangeOn(filter, rangeField);
  // A sparse index lacks the documents without the field; only a condition that excludes those may use it.
  if (access.sparse && points.length === 0 && !range) return null;

  const sortRequested = sortKeys.length > 0;
  const sorted = followsIndex(access, filter, sortKeys);
  const boundFields = points.length + (range ? 1 : 0);
  if (boundFields === 0 && !(sortRequested && sorted.follows)) return null;
  const providesSort = sorted.follows || !sortRequested;
  const backward = sorted.reverse;

  // In a descending field, values above the range's low end come first in index order.
  const rangeDirection = access.directions[points.length];
  const first = range ? (rangeDirection === 1 ? range.low : range.high) : undefined;
  const last = range ? (rangeDirection === 1 ? range.high : range.low) : undefined;
  const intervals: Interval[] = combinations(points).map((prefix) => ({
    lower: first ? { values: [...prefix, first.value], inclusive: first.inclusive } : prefix.length > 0 ? { values: prefix, inclusive: true } : null,
    upper: last ? { values: [...prefix, last.value], inclusive: last.inclusive } : prefix.length > 0 ? { values: prefix, inclusive: true } : null,
  }));
  if (backward) intervals.reverse();
  const bounds = () => {
    const shown: Record<string, string[]> = {};
    access.fields.forEach((field, i) => {
      if (i < points.length) {
        const values = points[i].map((value) => `[${bound(value)}, ${bound(value)}]`);
        shown[field] = backward ? values.reverse() : values;
      } else shown[field] = allValues(access.directions[i]);
    });
    if (range) {
      const open = rangeDirection === 1 ? ['MinKey', 'MaxKey'] : ['MaxKey', 'MinKey'];
      shown[rangeField] = [
        `${first ? (first.inclusive ? '[' : '(') + bound(first.value) : '[' + open[0]}, ${last ? bound(last.value) + (last.inclusive ? ']' : ')') : open[1] + ']'}`,
      ];
    }
    return shown;
  };
  return {
    access: { stage: 'IXSCAN', index: access, method: 'range', bounds, direction: backward ? 'backward' : 'forward' },
    score: 10 * boundFields + (sortRequested && providesSort ? 5 : 0),
    providesSort,
    candidates(inOrder) {
      const filtering = residualFilter(filter, exactlyBounded(filter, access, points.length, range ? rangeField : undefined));
      if (!inOrder && levers.indexBounds) {
        const { records, keys } = walkInNaturalOrder(source, access, intervals);
        return { records, keys: () => keys, filter: filtering };
      }
      let keys = 0;
      function* records(): Generator<StoredRecord> {
        for (const { lower, upper } of intervals) {
          for (const entry of orderedEntries(source, access, lower, upper, backward)) {
            keys++;
            const record = source.get(entry.id);
            if (record) yield record;
          }
        }
      }
      return { records: records(), keys: () => keys, filter: filtering };
    },
  };
}

/**
 * The records of a walk's intervals in natural order, each once, with how many keys the walk went through. The
 * committed entries come straight from the index's ordered keys and are read by sequence number (see ascending),
 * which is the order the documents lie in memory. In a transaction's view the documents it overrides are left out of
 * those, and its own versions that fall in the intervals are merged in by sequence.
 */
function walkInNaturalOrder(source: RecordSource, access: IndexAccess, intervals: Interval[]): { records: StoredRecord[]; keys: number } {
  const ordered = source.orderedKeys(access);
  const entries: KeyEntry[] = [];
  for (const { lower, upper } of intervals) ordered.collect(lower, upper, entries);
  const overrides = source.overrides && source.overrides.size > 0 ? source.overrides : null;
  const committed: StoredRecord[] = [];
  for (const seq of ascending(entries, overrides ? source.overriddenSeqs() : null)) {
    const record = source.atSeq(seq);
    if (record) committed.push(record);
  }
  if (!overrides) return { records: committed, keys: entries.length };
  const own: StoredRecord[] = [];
  for (const record of overrides.values()) {
    const keys = record ? access.entriesFor(record.doc) ?? [] : [];
    if (keys.some((key) => intervals.some(({ lower, upper }) => withinBounds(ordered, key.values, lower, upper)))) own.push(record as StoredRecord);
  }
  own.sort((a, b) => a.seq - b.seq);
  const records: StoredRecord[] = [];
  let next = 0;
  for (const record of committed) {
    while (next < own.length && own[next].seq < record.seq) records.push(own[next++]);
    records.push(record);
  }
  while (next < own.length) records.push(own[next++]);
  return { records, keys: entries.length + own.length };
}

/** Whether key values lie between two bounds of an index's order. */
function withinBounds(keys: OrderedKeys, values: readonly unknown[], lower: KeyBound | null, upper: KeyBound | null): boolean {
  if (lower) {
    const order = keys.comparePrefix(values, lower.values);
    if (lower.inclusive ? order < 0 : order <= 0) return false;
  }
  if (upper) {
    const order = keys.comparePrefix(values, upper.values);
    if (upper.inclusive ? order > 0 : order >= 0) return false;
  }
  return true;
}

/**
 * The sequence numbers of a collection's entries in ascending order. They are integers below the collection's next
 * sequence, so when they are not too spread out they are sorted by marking each in a byte per possible value and
 * reading the marks back, in time proportional to their spread; otherwise by a numeric sort.
 */
function ascending(entries: readonly KeyEntry[], skipped: ReadonlySet<number> | null): Iterable<number> {
  if (entries.length === 0) return [];
  let low = Infinity;
  let high = -Infinity;
  for (const { seq } of entries) {
    if (seq < low) low = seq;
    if (seq > high) high = seq;
  }
  const spread = high - low + 1;
  if (spread > 8 * entries.length + 4096) {
    const seqs = Float64Array.from(entries, (entry) => entry.seq).sort();
    return skipped ? seqs.filter((seq) => !skipped.has(seq)) : seqs;
  }
  const marks = new Uint8Array(spread);
  for (const { seq } of entries) marks[seq - low] = 1;
  for (const seq of skipped ?? []) if (seq >= low && seq <= high) marks[seq - low] = 0;
  const seqs = new Float64Array(entries.length);
  let next = 0;
  for (let i = 0; i < spread; i++) if (marks[i] === 1) seqs[next++] = low + i;
  return seqs.subarray(0, next);
}

/** A view's overriding versions may hold arrays that the collection's index has never seen. */
function overridesAreMultikey(source: RecordSource, access: IndexAccess): boolean {
  if (!source.overrides) return false;
  for (const record of source.overrides.values()) if (record && makesMultikey(access.entriesFor(record.doc))) return true;
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
  const extra: KeyEntry[] = [];
  for (const [id, record] of overrides) {
    if (!record) continue;
    for (const entry of access.entriesFor(record.doc) ?? []) {
      const keyed = { values: entry.values, seq: record.seq, id };
      if (withinBounds(keys, keyed.values, lower, upper)) extra.push(keyed);
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

/**
 * The matching records of a query, in result order (the plan's, or sorted), with skip and limit applied. `compile`
 * compiles the query's whole filter, which is left undone when the plan's bounds answer all of it (bounds.ts): most
 * indexed queries then build no general predicate at all. An invalid filter still fails as its compilation says,
 * whatever planning it made fail first.
 */
export function runQuery(source: RecordSource, shape: QueryShape, compile: () => CompiledFilter): { records: StoredRecord[]; report: PlanReport } {
  const started = performance.now();
  const sortKeys = shape.sort ? parseSort(shape.sort) : [];
  const skip = shape.skip ?? 0;
  const limit = shape.limit ?? 0;
  let plan: Plan;
  let sortInMemory: boolean;
  let reached: Candidates;
  try {
    plan = choosePlan(source, shape.filter, sortKeys, shape.hint);
    sortInMemory = sortKeys.length > 0 && !plan.providesSort;
    // Order matters when the plan's order is the sort, or when a limit stops the walk at the first matches.
    reached = plan.candidates((sortKeys.length > 0 && !sortInMemory) || limit > 0);
  } catch (error) {
    compile();
    throw error;
  }
  // Without a sort to do afterwards the walk can stop as soon as it has enough documents.
  const stopAfter = !sortInMemory && limit > 0 ? skip + limit : Infinity;
  const { records: candidates, keys } = reached;
  const filter = reached.filter ?? compile();
  let docsExamined = 0;
  let matched: StoredRecord[] = [];
  for (const record of candidates) {
    docsExamined++;
    if (filter.matchesAll || filter.test(record.doc)) {
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
