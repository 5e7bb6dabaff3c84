import { Query } from 'mingo/query';
import { Aggregator } from 'mingo/aggregator';
import type { Options } from 'mingo/types';
import { MongoError, mongoError } from './errors';
import { storeContext } from './operators';
import { planProjection } from './projection';
import type { Document } from './types';

export const USE_REAL_MONGODB = 'use a real MongoDB through MONGODB_URI';

/** Options for every mingo call: the store's operator set, and no `$where`/`$function` JavaScript execution. */
export function mingoOptions(extra: Partial<Options> = {}): Partial<Options> {
  return { context: storeContext, scriptEnabled: false, useStrictMode: true, ...extra };
}

/** Real MongoDB query operators that the store does not evaluate; naming them beats matching nothing. */
const UNSUPPORTED_QUERY_OPERATORS = new Set([
  '$text', '$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$where', '$jsonSchema', '$comment',
]);

/**
 * Turns an error thrown inside mingo into the MongoDB error a client expects: MongoError passes through,
 * mingo's "unknown operator" becomes MongoDB's BadValue naming the operator.
 */
export function toMongoError(error: unknown, context: string): MongoError {
  if (error instanceof MongoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const operator = /(\$[A-Za-z0-9_]+)/.exec(message)?.[1];
  if (/unknown (top level |query )?operator/i.test(message) && operator) {
    if (UNSUPPORTED_QUERY_OPERATORS.has(operator)) {
      return mongoError('BadValue', `${operator} is not supported by the embedded store; ${USE_REAL_MONGODB}`);
    }
    return mongoError('BadValue', `unknown ${message.includes('top level') ? 'top level ' : ''}operator: ${operator}`);
  }
  if (/not registered|unregistered|unknown/i.test(message)) {
    return mongoError('BadValue', `${context}: ${message} (not supported by the embedded store; ${USE_REAL_MONGODB})`);
  }
  return mongoError('BadValue', `${context}: ${message}`);
}

export interface CompiledFilter {
  test(doc: Document): boolean;
  /** True when the filter is empty, so a scan need not call test at all. */
  matchesAll: boolean;
}

function findUnsupported(filter: unknown): string | undefined {
  if (Array.isArray(filter)) {
    for (const item of filter) {
      const found = findUnsupported(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof filter !== 'object' || filter === null || (filter as { _bsontype?: string })._bsontype) return undefined;
  for (const [key, value] of Object.entries(filter)) {
    if (UNSUPPORTED_QUERY_OPERATORS.has(key) && key !== '$comment') return key;
    const found = findUnsupported(value);
    if (found) return found;
  }
  return undefined;
}

/** Compiles a query filter once per command; the predicate is then run against each candidate document. */
export function compileFilter(filter: Document | undefined): CompiledFilter {
  const condition = { ...(filter ?? {}) };
  // `$comment` annotates a query for the profiler; it never filters.
  delete condition.$comment;
  if (Object.keys(condition).length === 0) return { test: () => true, matchesAll: true };
  const unsupported = findUnsupported(condition);
  if (unsupported) throw mongoError('BadValue', `${unsupported} is not supported by the embedded store; ${USE_REAL_MONGODB}`);
  let query: Query;
  try {
    query = new Query(condition, mingoOptions());
  } catch (error) {
    throw toMongoError(error, 'Invalid query');
  }
  return {
    matchesAll: false,
    test(doc) {
      try {
        return query.test(doc);
      } catch (error) {
        throw toMongoError(error, 'Query failed');
      }
    },
  };
}

/** `$slice` on one array: n keeps the first n (or the last -n), [skip, n] keeps n after skip (from the end if negative). */
function sliceArray(values: unknown[], spec: unknown): unknown[] {
  if (Array.isArray(spec)) {
    const [skip, count] = spec.map(Number);
    const start = skip < 0 ? Math.max(values.length + skip, 0) : skip;
    return values.slice(start, start + count);
  }
  const n = Number(spec);
  return n >= 0 ? values.slice(0, n) : values.slice(n);
}

function sliceInPlace(doc: Document, path: string, spec: unknown): void {
  const parts = path.split('.');
  let target: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    target = (target as Document)?.[part];
    if (typeof target !== 'object' || target === null) return;
  }
  const last = parts[parts.length - 1];
  const value = (target as Document)[last];
  if (Array.isArray(value)) (target as Document)[last] = sliceArray(value, spec);
}

const isSlice = (value: unknown) => typeof value === 'object' && value !== null && '$slice' in value;

/**
 * Applies a find projection to documents the caller already owns (copies), returning the projected copies.
 * A projection of only `$slice` and exclusions keeps every other field, as MongoDB's find does; mingo would
 * read `$slice` as an inclusion, so those slices are applied here.
 */
export function projectDocuments(docs: Document[], projection: Document | undefined): Document[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  const direct = planProjection(projection);
  if (direct) return docs.map(direct);
  const entries = Object.entries(projection);
  const slices = entries.filter(([, value]) => isSlice(value));
  const rest = entries.filter(([, value]) => !isSlice(value));
  const includes = rest.some(([field, value]) => field !== '_id' && (typeof value === 'object' || Boolean(value)));
  if (slices.length > 0 && !includes) {
    const excluded = rest.length > 0 ? runProjection(docs, Object.fromEntries(rest)) : docs;
    for (const doc of excluded) for (const [path, value] of slices) sliceInPlace(doc, path, (value as Document).$slice);
    return excluded;
  }
  return runProjection(docs, projection);
}

function runProjection(docs: Document[], projection: Document): Document[] {
  try {
    return new Aggregator([{ $project: projection }], mingoOptions()).run(docs) as Document[];
  } catch (error) {
    throw toMongoError(error, 'Invalid projection');
  }
}
