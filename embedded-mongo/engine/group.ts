import { compileExpression, type CompiledExpression } from './expressions';
import { levers } from './levers';
import { groupKeyOf, type GroupKeyer } from './groupKeys';
import { addNumbers, isDecimal128, isLong, isNumeric, toJsNumber } from './numeric';
import type { Document } from './types';
import { canonicalKey, compareValues } from './values';

/**
 * `$group` in one pass. Mingo's `$group` partitions its input with a generic structural hash, keeps every document of
 * every group, and then evaluates each accumulator over each partition, rebuilding its evaluation context for every
 * document; over tens of thousands of documents that costs far more than the arithmetic. Here each document's key is
 * a canonical string (equal exactly for the values MongoDB puts in one group: 5, Long 5 and Decimal128 5.0 alike) and
 * each accumulator keeps a running state, so a document is read once and then dropped.
 *
 * Accumulators: `$sum`, `$avg`, `$min`, `$max`, `$first`, `$last`, `$push`, `$addToSet` and `$count`, over any
 * expression (compiled by expressions.ts). Any other accumulator makes planGroup return null, and the stage runs
 * through mingo. As in MongoDB, a missing value is left out of `$push` and `$addToSet`, `$first` and `$last` give null
 * for it, and a field of a document `_id` that is missing groups (and shows) as null.
 */
type AccumulatorName = '$sum' | '$avg' | '$min' | '$max' | '$first' | '$last' | '$push' | '$addToSet' | '$count';

/** One output field: how it starts for a new group, takes each document in, and gives its value at the end. */
interface Accumulator {
  name: string;
  start(): AccumulatorState;
  add(state: AccumulatorState, doc: Document): void;
  result(state: AccumulatorState): unknown;
}

/** The running state of one accumulator in one group. */
interface AccumulatorState {
  /** Plain numbers summed so far, in document order (as the general path sums them). */
  plain: number;
  /** Long and Decimal128 values summed so far, exactly; undefined until one appears. */
  exact: unknown;
  /** Numeric values seen ($avg), or documents seen ($sum of a constant). */
  count: number;
  /** The value kept so far ($min, $max, $first), or the last document seen ($last). */
  value: unknown;
  seen: boolean;
  /** The values gathered ($push, $addToSet). */
  list: unknown[];
  /** The canonical keys already in `list` ($addToSet). */
  keys: Set<string> | null;
}

export interface GroupPlan {
  key: GroupKeyer;
  accumulators: Accumulator[];
}

function newState(): AccumulatorState {
  return { plain: 0, exact: undefined, count: 0, value: null, seen: false, list: [], keys: null };
}

function addNumber(state: AccumulatorState, value: unknown): void {
  if (typeof value === 'number') state.plain += value;
  else if (isNumeric(value)) state.exact = addNumbers(state.exact ?? 0, value);
}

function sumOf(state: AccumulatorState): unknown {
  return state.exact === undefined ? state.plain : addNumbers(state.exact, state.plain);
}

function accumulator(name: string, operator: AccumulatorName, argument: unknown): Accumulator | null {
  if (operator === '$count') {
    if (typeof argument !== 'object' || argument === null || Object.keys(argument).length > 0) return null;
    return accumulator(name, '$sum', 1);
  }
  if (operator === '$sum' && typeof argument === 'number') {
    // The general path multiplies a constant by the group's size rather than adding it up, and so does this.
    const constant = argument;
    return { name, start: newState, add: (state) => void state.count++, result: (state) => state.count * constant };
  }
  const value: CompiledExpression = compileExpression(argument);
  switch (operator) {
    case '$sum':
      return { name, start: newState, add: (state, doc) => addNumber(state, value(doc)), result: sumOf };
    case '$avg':
      return {
        name,
        start: newState,
        add(state, doc) {
          const v = value(doc);
          if (!isNumeric(v)) return;
          state.count++;
          addNumber(state, v);
        },
        result(state) {
          if (state.count === 0) return null;
          const total = sumOf(state);
          return (isLong(total) || isDecimal128(total) ? toJsNumber(total) : (total as number)) / state.count;
        },
      };
    case '$min':
    case '$max': {
      const direction = operator === '$min' ? -1 : 1;
      return {
        name,
        start: newState,
        add(state, doc) {
          const v = value(doc);
          if (v === null || v === undefined) return;
          if (state.value === null || compareValues(v, state.value) * direction > 0) state.value = v;
        },
        result: (state) => state.value,
      };
    }
    case '$first':
      return {
        name,
        start: newState,
        add(state, doc) {
          if (state.seen) return;
          state.seen = true;
          state.value = value(doc) ?? null;
        },
        result: (state) => state.value,
      };
    case '$last':
      // Only the last document's value counts, so the value is computed once, at the end.
      return {
        name,
        start: newState,
        add(state, doc) {
          state.value = doc;
        },
        result: (state) => value(state.value as Document) ?? null,
      };
    case '$push':
      return {
        name,
        start: newState,
        add(state, doc) {
          const v = value(doc);
          if (v !== undefined) state.list.push(v);
        },
        result: (state) => state.list,
      };
    case '$addToSet':
      return {
        name,
        start: newState,
        add(state, doc) {
          const v = value(doc);
          if (v === undefined) return;
          const key = canonicalKey(v);
          state.keys ??= new Set();
          if (state.keys.has(key)) return;
          state.keys.add(key);
          state.list.push(v);
        },
        result: (state) => state.list,
      };
    default:
      return null;
  }
}

const ACCUMULATORS = new Set<string>(['$sum', '$avg', '$min', '$max', '$first', '$last', '$push', '$addToSet', '$count']);

/**
 * A plan for a `$group` specification, or null when it uses something only mingo's `$group` evaluates (or when the
 * nativeGroup lever is off).
 */
export function planGroup(spec: unknown): GroupPlan | null {
  if (!levers.nativeGroup || typeof spec !== 'object' || spec === null || Array.isArray(spec) || !('_id' in spec)) return null;
  const key = groupKeyOf((spec as Document)._id);
  if (!key) return null;
  const accumulators: Accumulator[] = [];
  for (const [name, expr] of Object.entries(spec as Document)) {
    if (name === '_id') continue;
    if (name.includes('.') || name.startsWith('$') || typeof expr !== 'object' || expr === null || Array.isArray(expr)) return null;
    const entries = Object.entries(expr);
    if (entries.length !== 1 || !ACCUMULATORS.has(entries[0][0])) return null;
    const planned = accumulator(name, entries[0][0] as AccumulatorName, entries[0][1]);
    if (!planned) return null;
    accumulators.push(planned);
  }
  return { key, accumulators };
}

interface Group {
  id: unknown;
  states: AccumulatorState[];
}

const itself = (item: unknown) => item as Document;

/**
 * Runs a planned group in one pass; groups come out in the order in which each was first seen, as mingo's do. The
 * items are documents, or anything holding one (`docOf` reads it), so that stored records need no array of their own.
 */
export function runGroup<T = Document>(items: Iterable<T>, plan: GroupPlan, docOf: (item: T) => Document = itself): Document[] {
  const groups = new Map<string, Group>();
  const { accumulators } = plan;
  const count = accumulators.length;
  for (const item of items) {
    const doc = docOf(item);
    const key = plan.key.keyOf(doc);
    let group = groups.get(key);
    if (group === undefined) {
      const states = new Array<AccumulatorState>(count);
      for (let i = 0; i < count; i++) states[i] = accumulators[i].start();
      group = { id: plan.key.idOf(doc), states };
      groups.set(key, group);
    }
    for (let i = 0; i < count; i++) accumulators[i].add(group.states[i], doc);
  }
  const out: Document[] = [];
  for (const group of groups.values()) {
    const row: Document = { _id: group.id };
    for (let i = 0; i < count; i++) row[accumulators[i].name] = accumulators[i].result(group.states[i]);
    out.push(row);
  }
  return out;
}
