import { evalExpr } from 'mingo/core';
import type { Options } from 'mingo/types';
import { isEqual } from 'mingo/util';
import { levers } from './levers';
import { pathReader } from './paths';
import { mingoOptions } from './query';
import type { Document } from './types';
import { compareValues } from './values';

/**
 * Aggregation expressions compiled once per stage into closures over a document. Mingo evaluates an expression by
 * walking its specification for every document (looking each operator up by name, building an options object per
 * call), which costs more than the work itself when a `$group` sums a `$cond` over tens of thousands of documents.
 *
 * The operators the agencies' pipelines use are compiled here: field paths, `$$ROOT`/`$$CURRENT`, literals, `$cond`,
 * `$eq`/`$ne`/`$gt`/`$gte`/`$lt`/`$lte`/`$cmp`, `$and`/`$or`/`$not`, `$in`, `$ifNull`, `$size`, `$add`, `$subtract`,
 * `$multiply` and `$literal`. Each answers exactly what the general path (mingo with the store's operator set)
 * answers: for the values it expects (numbers for arithmetic, an array for `$in` and `$size`) it computes the result
 * itself; for anything else (a Long to multiply, a string to `$size`) it hands that one document to the general path,
 * which computes the same result or raises the same error. Every other operator and every variable but `$$ROOT` and
 * `$$CURRENT` goes to the general path as a whole.
 */
export type CompiledExpression = (doc: Document) => unknown;

/** The general path for one expression: mingo, with the store's operator set, over one document. */
function general(expr: unknown): CompiledExpression {
  const shared = mingoOptions() as Options;
  return (doc) => evalExpr(doc, expr, shared);
}

/** What mingo treats as a document of expressions: a plain object (BSON values such as ObjectId are literals). */
function isPlainObject(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** MongoDB truthiness as mingo's strict mode has it: everything but false, 0, null and missing (NaN aside). */
const truthy = (value: unknown) => !!value || value === '';

/** An expression as a closure: compiled where this module knows its operators, mingo's evaluation elsewhere. */
export function compileExpression(expr: unknown): CompiledExpression {
  if (!levers.compiledExpressions) return general(expr);
  return compile(expr);
}

function compile(expr: unknown): CompiledExpression {
  if (typeof expr === 'string') return expr.startsWith('$') ? compilePath(expr) : () => expr;
  if (Array.isArray(expr)) {
    const items = expr.map(compile);
    return (doc) => items.map((item) => item(doc));
  }
  if (!isPlainObject(expr)) return () => expr;
  const keys = Object.keys(expr);
  if (keys.length > 0 && keys[0].startsWith('$')) {
    if (keys.length !== 1) return general(expr);
    return compileOperator(keys[0], expr[keys[0]], expr);
  }
  // A document of expressions: each field evaluated, missing ones kept as undefined, as mingo builds it.
  const fields = keys.map((key) => [key, compile(expr[key])] as const);
  return (doc) => {
    const out: Document = {};
    for (const [key, field] of fields) out[key] = field(doc);
    return out;
  };
}

/** `$field.path`, `$$ROOT[.path]` and `$$CURRENT[.path]`; other variables are the general path's. */
function compilePath(expr: string): CompiledExpression {
  if (expr === '$$KEEP' || expr === '$$PRUNE' || expr === '$$DESCEND') return () => expr;
  if (expr.startsWith('$$')) {
    const dot = expr.indexOf('.');
    const variable = dot === -1 ? expr : expr.slice(0, dot);
    if (variable !== '$$ROOT' && variable !== '$$CURRENT') return general(expr);
    if (dot === -1) return (doc) => doc;
    const read = pathReader(expr.slice(dot + 1));
    return (doc) => read(doc);
  }
  if (expr.length === 1) return general(expr);
  const read = pathReader(expr.slice(1));
  return (doc) => read(doc);
}

/** The arguments of an operator that takes a list, compiled, or null when it was not given a list. */
function compileList(argument: unknown): CompiledExpression[] | null {
  return Array.isArray(argument) ? argument.map(compile) : null;
}

function compileOperator(name: string, argument: unknown, whole: Document): CompiledExpression {
  const fallback = general(whole);
  switch (name) {
    case '$literal':
      return () => argument;
    case '$cond': {
      const parts = Array.isArray(argument)
        ? argument.length === 3 ? argument : null
        : isPlainObject(argument) ? [argument.if, argument.then, argument.else] : null;
      if (!parts) return fallback;
      const [test, then, otherwise] = parts.map(compile);
      return (doc) => (truthy(test(doc)) ? then(doc) : otherwise(doc));
    }
    case '$eq':
      return comparison(argument, fallback, (order) => order === 0);
    case '$ne':
      return comparison(argument, fallback, (order) => order !== 0);
    case '$gt':
      return comparison(argument, fallback, (order) => order > 0);
    case '$gte':
      return comparison(argument, fallback, (order) => order >= 0);
    case '$lt':
      return comparison(argument, fallback, (order) => order < 0);
    case '$lte':
      return comparison(argument, fallback, (order) => order <= 0);
    case '$cmp':
      return comparison(argument, fallback, (order) => order);
    case '$and': {
      const items = compileList(argument);
      if (!items) return fallback;
      return (doc) => {
        for (const item of items) if (!truthy(item(doc))) return false;
        return true;
      };
    }
    case '$or': {
      const items = compileList(argument);
      if (!items) return fallback;
      return (doc) => {
        for (const item of items) if (truthy(item(doc))) return true;
        return false;
      };
    }
    case '$not': {
      // Mingo's $not negates without strict truthiness: an empty string is false here.
      const items = Array.isArray(argument) ? argument : [argument];
      if (items.length !== 1) return fallback;
      const item = compile(items[0]);
      return (doc) => !item(doc);
    }
    case '$in': {
      if (!Array.isArray(argument) || argument.length !== 2) return fallback;
      const [item, list] = argument.map(compile);
      return (doc) => {
        const values = list(doc);
        if (!Array.isArray(values)) return fallback(doc);
        const value = item(doc);
        for (const candidate of values) if (isEqual(candidate, value)) return true;
        return false;
      };
    }
    case '$ifNull': {
      const items = compileList(argument);
      if (!items) return fallback;
      return (doc) => {
        let value: unknown;
        for (const item of items) {
          value = item(doc);
          if (value !== null && value !== undefined) return value;
        }
        return value;
      };
    }
    case '$size': {
      const item = compile(argument);
      return (doc) => {
        const value = item(doc);
        if (value === null || value === undefined) return null;
        return Array.isArray(value) ? value.length : fallback(doc);
      };
    }
    case '$add':
      return arithmetic(argument, fallback, 0, (total, n) => total + n);
    case '$multiply':
      return arithmetic(argument, fallback, 1, (total, n) => total * n);
    case '$subtract': {
      const items = compileList(argument);
      if (!items || items.length !== 2) return fallback;
      const [a, b] = items;
      return (doc) => {
        const x = a(doc);
        const y = b(doc);
        if (x === null || x === undefined || y === null || y === undefined) return null;
        return typeof x === 'number' && typeof y === 'number' ? x - y : fallback(doc);
      };
    }
    default:
      return fallback;
  }
}

/** A comparison of two expressions by MongoDB's order of values, as the store's operator set compares them. */
function comparison(argument: unknown, fallback: CompiledExpression, accept: (order: number) => unknown): CompiledExpression {
  const items = compileList(argument);
  if (!items || items.length !== 2) return fallback;
  const [a, b] = items;
  return (doc) => {
    const x = a(doc);
    const y = b(doc);
    // Strings and plain numbers, the common case, compare without the general comparison's type dispatch.
    if (typeof x === 'string' && typeof y === 'string') return accept(x < y ? -1 : x > y ? 1 : 0);
    if (typeof x === 'number' && typeof y === 'number' && !Number.isNaN(x) && !Number.isNaN(y)) return accept(x < y ? -1 : x > y ? 1 : 0);
    if (typeof x === 'boolean' && typeof y === 'boolean') return accept(x === y ? 0 : x ? 1 : -1);
    return accept(compareValues(x, y));
  };
}

/**
 * `$add` and `$multiply` over plain numbers, in argument order as mingo folds them; a null or missing argument makes
 * the result null; anything else (a Long, a Decimal128, a date) is the general path's.
 */
function arithmetic(argument: unknown, fallback: CompiledExpression, start: number, fold: (total: number, n: number) => number): CompiledExpression {
  const items = compileList(argument);
  if (!items) return fallback;
  return (doc) => {
    let total = start;
    let plain = true;
    let missing = false;
    for (const item of items) {
      const value = item(doc);
      if (value === null || value === undefined) missing = true;
      else if (typeof value === 'number' && !Number.isNaN(value)) total = fold(total, value);
      else plain = false;
    }
    if (!plain) return fallback(doc);
    return missing ? null : total;
  };
}
