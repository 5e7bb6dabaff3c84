import { levers } from './levers';
import type { IndexAccess } from './indexes';
import { compileFilter, type CompiledFilter } from './query';
import type { Document } from './types';
import { compareValues, typeOrder, TypeOrder } from './values';

/**
 * What a filter says about the fields of an index, as the planner bounds a walk of it: the values it pins fields to,
 * the range it puts on a field, and which of those conditions the walk's bounds answer exactly, so that the fetched
 * documents need not be checked against them again (as MongoDB's index scans with exact bounds need no filter).
 *
 * Exactness rests on what the keys of an index that is neither multikey nor partial hold: each indexed field's value
 * as the document has it (a scalar or a document), or null where the field is missing.
 * - A field pinned to values (`a: v`, `$eq`, `$in`; none of them null, an array or a pattern) is walked as one
 *   interval `[v, v]` per value, which holds exactly the keys equal to v, so exactly the documents that match.
 * - A range with both ends in one type bracket (`$gte`/`$gt` with `$lte`/`$lt`) is walked as that interval: every key
 *   inside it is of that bracket (brackets are contiguous in MongoDB's order of values) and between the ends.
 * Anything else (a one-sided range, which also reaches keys of other types; `$ne`; `$exists`) is left to the filter.
 */

/** An operator object: a document whose fields are query operators (`{ $gte: 1 }`), rather than a value to equal. */
export function isOperatorObject(value: unknown): value is Document {
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
export function lookupable(value: unknown): boolean {
  const order = typeOrder(value);
  return order !== TypeOrder.Null && order !== TypeOrder.Array && order !== TypeOrder.RegExp && order !== TypeOrder.MinKey && order !== TypeOrder.MaxKey;
}

/** The conditions a filter puts on a top-level field: its own, and those in top-level `$and` clauses. */
export function conditionsOn(filter: Document, field: string): unknown[] {
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
export function pinnedValues(filter: Document, field: string): unknown[] | null {
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

export const NOT_PINNED = Symbol('not pinned');

/** The single value a filter pins a field to, or NOT_PINNED. */
export function pinnedValue(filter: Document, field: string): unknown {
  const values = pinnedValues(filter, field);
  return values && values.length === 1 ? values[0] : NOT_PINNED;
}

export interface Range {
  low?: { value: unknown; inclusive: boolean };
  high?: { value: unknown; inclusive: boolean };
}

/**
 * The range `$gt`, `$gte`, `$lt` and `$lte` put on a field, or null. The bounds are a superset in MongoDB's total
 * order of values; the filter still decides, so values of other types inside the range are simply rejected.
 */
export function rangeOn(filter: Document, field: string): Range | null {
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

/** More intervals than this and a walk bounds fewer fields: seeking each interval costs a binary search. */
const MAX_INTERVALS = 1_000;

/**
 * The values a filter pins each leading field of an index to, field by field from the first, in index order (each
 * list sorted in the field's direction, numerically equal values once). With the indexBounds lever off only fields
 * pinned to a single value count, as before `$in` lists bounded walks.
 */
export function pointPrefix(filter: Document, access: IndexAccess): unknown[][] {
  const points: unknown[][] = [];
  let intervals = 1;
  for (let i = 0; i < access.fields.length; i++) {
    const values = pinnedValues(filter, access.fields[i]);
    if (!values || (values.length !== 1 && !levers.indexBounds)) break;
    const direction = access.directions[i];
    const sorted = [...values].sort((a, b) => compareValues(a, b) * direction);
    const distinct = sorted.filter((value, j) => j === 0 || compareValues(value, sorted[j - 1]) !== 0);
    if (intervals * distinct.length > MAX_INTERVALS) break;
    intervals *= distinct.length;
    points.push(distinct);
  }
  return points;
}

/**
 * The fields of a walk whose conditions its bounds answer exactly (see keyFilters.ts): a field pinned to values by
 * its only condition, and a range field whose only condition is a range with both ends in one type bracket.
 */
export function exactlyBounded(filter: Document, access: IndexAccess, pointFields: number, rangeField: string | undefined): Set<string> {
  const exact = new Set<string>();
  const only = (field: string) => Object.prototype.hasOwnProperty.call(filter, field) && conditionsOn(filter, field).length === 1;
  for (let i = 0; i < pointFields; i++) {
    const field = access.fields[i];
    if (!only(field)) continue;
    const condition = filter[field];
    if (!isOperatorObject(condition)) {
      if (lookupable(condition)) exact.add(field);
      continue;
    }
    const operators = Object.keys(condition);
    if (operators.length !== 1) continue;
    if (operators[0] === '$eq' && lookupable(condition.$eq)) exact.add(field);
    if (operators[0] === '$in' && Array.isArray(condition.$in) && condition.$in.every(lookupable)) exact.add(field);
  }
  if (rangeField !== undefined && only(rangeField) && isOperatorObject(filter[rangeField])) {
    const condition = filter[rangeField];
    const operators = Object.keys(condition);
    const low = operators.find((operator) => operator === '$gt' || operator === '$gte');
    const high = operators.find((operator) => operator === '$lt' || operator === '$lte');
    if (operators.length === 2 && low && high) {
      const [a, b] = [condition[low], condition[high]];
      if (lookupable(a) && lookupable(b) && typeOrder(a) === typeOrder(b)) exact.add(rangeField);
    }
  }
  return exact;
}

/** Every combination of one value per field, in index order (the last field varying fastest). */
export function combinations(points: unknown[][]): unknown[][] {
  let tuples: unknown[][] = [[]];
  for (const values of points) tuples = tuples.flatMap((tuple) => values.map((value) => [...tuple, value]));
  return tuples;
}

/** The filter the documents of a walk must still pass: the given one without the conditions its bounds answer. */
export function residualFilter(filter: Document, exact: ReadonlySet<string>): CompiledFilter | undefined {
  if (exact.size === 0 || !levers.exactBounds) return undefined;
  const residual: Document = { ...filter };
  for (const field of exact) delete residual[field];
  return compileFilter(residual);
}
