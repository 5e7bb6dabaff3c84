import { Context, evalExpr } from 'mingo/core';
import type { Options } from 'mingo/types';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Lazy, type Iterator } from 'mingo/lazy';
import { flatten } from 'mingo/util';
import { pathReader } from './paths';
import { addNumbers, isDecimal128, isLong, isNumeric, toJsNumber } from './numeric';
import { canonicalKey, compareValues, typeOrder, TypeOrder } from './values';
import { sortDocuments } from './sort';
import { planGroup, runGroup } from './group';
import { mongoError } from './errors';
import type { Document } from './types';

/**
 * The mingo operator set the store evaluates with: mingo's own operators, with the ones it gets wrong for
 * BSON values replaced. Stock mingo compares Long and Decimal128 as strings, sums only JS numbers and rebuilds
 * the `$in` set for every document it tests; the replacements below compare every numeric type by value,
 * follow MongoDB's type brackets, and compile `$in` to a Set once per query.
 */
type Predicate = (doc: unknown) => boolean;

function dotDepth(selector: string): number {
  let depth = 0;
  for (let i = selector.indexOf('.'); i !== -1; i = selector.indexOf('.', i + 1)) depth++;
  return depth;
}

/**
 * The values a field condition is tested against: the field itself and, when it is an array, its elements
 * (nested arrays reached through a dotted path are flattened as deep as the path goes, as MongoDB does).
 */
function fieldPredicate(selector: string, test: (value: unknown) => boolean): Predicate {
  const depth = dotDepth(selector);
  const read = pathReader(selector, { unwrapArray: true });
  return (doc) => {
    const value = read(doc);
    if (test(value)) return true;
    if (!Array.isArray(value)) return false;
    for (const element of flatten(value, depth)) if (test(element)) return true;
    return false;
  };
}

function eqTest(expected: unknown): (value: unknown) => boolean {
  if (expected === null || expected === undefined) return (value) => value === null || value === undefined;
  if (typeof expected === 'string' || typeof expected === 'boolean') return (value) => value === expected;
  if (typeof expected === 'number' && !Number.isNaN(expected)) {
    return (value) => value === expected || (typeof value === 'object' && isNumeric(value) && compareValues(value, expected) === 0);
  }
  const bracket = typeOrder(expected);
  return (value) => typeOrder(value) === bracket && compareValues(value, expected) === 0;
}

const $eq = (selector: string, expected: unknown): Predicate => fieldPredicate(selector, eqTest(expected));
const $ne = (selector: string, expected: unknown): Predicate => {
  const eq = $eq(selector, expected);
  return (doc) => !eq(doc);
};

function requireArray(operator: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw mongoError('BadValue', `${operator} needs an array, got ${JSON.stringify(value)}`);
  return value;
}

/** `$in` compiled once: a Set of canonical keys for the plain values, the regular expressions kept apart. */
function inTest(values: unknown[]): (value: unknown) => boolean {
  const keys = new Set<string>();
  const patterns: RegExp[] = [];
  for (const v of values) {
    if (v instanceof RegExp) patterns.push(v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).some((k) => k.startsWith('$')) && typeOrder(v) === TypeOrder.Object) {
      throw mongoError('BadValue', 'cannot nest $ under $in');
    } else keys.add(canonicalKey(v));
  }
  return (value) => {
    if (keys.has(canonicalKey(value))) return true;
    return typeof value === 'string' && patterns.some((p) => p.test(value));
  };
}

const $in = (selector: string, values: unknown): Predicate => fieldPredicate(selector, inTest(requireArray('$in', values)));
const $nin = (selector: string, values: unknown): Predicate => {
  const isIn = $in(selector, values);
  return (doc) => !isIn(doc);
};

/** Range comparisons only match values of the same type bracket, as MongoDB's query language does. */
function rangeOperator(accept: (order: number) => boolean) {
  return (selector: string, bound: unknown): Predicate => {
    const bracket = typeOrder(bound);
    return fieldPredicate(selector, (value) => typeOrder(value) === bracket && accept(compareValues(value, bound)));
  };
}

const $gt = rangeOperator((c) => c > 0);
const $gte = rangeOperator((c) => c >= 0);
const $lt = rangeOperator((c) => c < 0);
const $lte = rangeOperator((c) => c <= 0);

const TYPE_ALIASES: Record<string, number> = {
  double: 1, string: 2, object: 3, array: 4, binData: 5, undefined: 6, objectId: 7, bool: 8, date: 9,
  null: 10, regex: 11, javascript: 13, symbol: 14, int: 16, timestamp: 17, long: 18, decimal: 19,
  minKey: -1, maxKey: 127,
};

/** The BSON type number a value serializes as (a JS integer in int32 range is an int, other numbers doubles). */
function bsonTypeNumber(value: unknown): number {
  if (value === undefined) return 6;
  if (value === null) return 10;
  if (typeof value === 'number') return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 ? 16 : 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 8;
  if (Array.isArray(value)) return 4;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 11;
  const names: Record<string, number> = {
    ObjectId: 7, Binary: 5, Long: 18, Decimal128: 19, Timestamp: 17, Int32: 16, Double: 1, Code: 13,
    BSONSymbol: 14, BSONRegExp: 11, MinKey: -1, MaxKey: 127,
  };
  return names[(value as { _bsontype?: string })._bsontype ?? ''] ?? 3;
}

const $type = (selector: string, spec: unknown): Predicate => {
  const wanted = (Array.isArray(spec) ? spec : [spec]).map((t) => {
    if (t === 'number') return 'number';
    const code = typeof t === 'number' ? t : TYPE_ALIASES[String(t)];
    if (code === undefined) throw mongoError('BadValue', `Unknown type name alias: ${String(t)}`);
    return code;
  });
  const matches = (value: unknown) => {
    const code = bsonTypeNumber(value);
    return wanted.some((w) => (w === 'number' ? [1, 16, 18, 19].includes(code) : w === code));
  };
  const depth = dotDepth(selector);
  const read = pathReader(selector, { unwrapArray: true });
  return (doc) => {
    const value = read(doc);
    if (value === undefined) return false;
    if (matches(value)) return true;
    return Array.isArray(value) && flatten(value, depth).some(matches);
  };
};

/** Aggregation comparisons order values across types by BSON's type order, numbers by value. */
function expressionComparison(accept: (order: number) => boolean) {
  return (obj: unknown, expr: unknown, options: Options): boolean => {
    const args = evalExpr(obj, expr, options);
    if (!Array.isArray(args) || args.length !== 2) throw mongoError('BadValue', `Expression takes exactly 2 arguments, got ${JSON.stringify(expr)}`);
    return accept(compareValues(args[0], args[1]));
  };
}

function $cmp(obj: unknown, expr: unknown, options: Options): number {
  const args = evalExpr(obj, expr, options) as unknown[];
  return compareValues(args[0], args[1]);
}

/** Sums numeric values, skipping others as MongoDB does; JS numbers stay on a plain loop until a Long or Decimal128 appears. */
function sumOf(values: unknown[]): unknown {
  let plain = 0;
  let exact: unknown = undefined;
  for (const v of values) {
    if (typeof v === 'number') plain += v;
    else if (isNumeric(v)) exact = addNumbers(exact ?? 0, v);
  }
  return exact === undefined ? plain : addNumbers(exact, plain);
}

function evaluateEach(coll: unknown[], expr: unknown, options: Options): unknown[] {
  return (accumulatorOperators.$push as (c: unknown[], e: unknown, o: Options) => unknown[])(coll, expr, options);
}

const accumulatorOverrides = {
  $sum: (coll: unknown[], expr: unknown, options: Options) =>
    typeof expr === 'number' ? coll.length * expr : sumOf(evaluateEach(coll, expr, options)),
  $avg: (coll: unknown[], expr: unknown, options: Options) => {
    const values = evaluateEach(coll, expr, options).filter(isNumeric);
    if (values.length === 0) return null;
    const total = sumOf(values);
    return isDecimal128(total) || isLong(total) ? toJsNumber(total) / values.length : (total as number) / values.length;
  },
  $min: (coll: unknown[], expr: unknown, options: Options) => extreme(evaluateEach(coll, expr, options), -1),
  $max: (coll: unknown[], expr: unknown, options: Options) => extreme(evaluateEach(coll, expr, options), 1),
};

function extreme(values: unknown[], direction: 1 | -1): unknown {
  let best: unknown = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (best === null || compareValues(v, best) * direction > 0) best = v;
  }
  return best;
}

/** `$add` with Long and Decimal128 operands, added by value and promoted as MongoDB promotes them. */
const expressionArithmetic = {
  $add: (obj: unknown, expr: unknown, options: Options) => {
    const args = evalExpr(obj, expr, options) as unknown[];
    if (!args.some((a) => isLong(a) || isDecimal128(a))) {
      return (expressionOperators.$add as (o: unknown, e: unknown, opts: Options) => unknown)(obj, expr, options);
    }
    if (args.some((a) => a === null || a === undefined)) return null;
    return args.reduce((total, a) => addNumbers(total, a), 0);
  },
};

/** `$sort` over BSON values by MongoDB's order (mingo's compares Long and Decimal128 as text). */
function $sort(coll: Iterator, spec: Document): Iterator {
  return coll.transform((docs: unknown[]) => Lazy(sortDocuments(docs as Document[], spec)));
}

/** `$group` in one pass when its shape allows (see group.ts), otherwise mingo's own. */
function $group(coll: Iterator, spec: Document, options: Options): Iterator {
  const plan = planGroup(spec);
  if (!plan) return (pipelineOperators.$group as (c: Iterator, s: Document, o: Options) => Iterator)(coll, spec, options);
  return coll.transform((docs: unknown[]) => Lazy(runGroup(docs as Document[], plan)));
}

export const storeContext = Context.init({
  accumulator: { ...accumulatorOperators, ...accumulatorOverrides } as never,
  expression: {
    ...expressionOperators,
    ...expressionArithmetic,
    $eq: expressionComparison((c) => c === 0),
    $ne: expressionComparison((c) => c !== 0),
    $gt: expressionComparison((c) => c > 0),
    $gte: expressionComparison((c) => c >= 0),
    $lt: expressionComparison((c) => c < 0),
    $lte: expressionComparison((c) => c <= 0),
    $cmp,
  } as never,
  pipeline: { ...pipelineOperators, $sort, $group } as never,
  projection: projectionOperators as never,
  query: { ...queryOperators, $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $type } as never,
  window: windowOperators as never,
});
