import { resolve } from 'mingo/util';
import { levers } from './levers';
import type { Document } from './types';

/**
 * Field path readers compiled once per query or stage. Mingo's `resolve` handles every case (arrays along the path,
 * numeric path parts, `unwrapArray`) on every call, which makes it the single largest cost of a filter or a `$group`
 * over tens of thousands of documents. Most paths meet none of those cases: a reader here walks plain objects
 * directly, exactly as `resolve` would, and hands the whole path to `resolve` the moment it meets an array.
 */
export type PathReader = (doc: unknown) => unknown;

/** The properties every object inherits; mingo reads them only when the object holds them itself. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype).filter((name) => name !== '__proto__'));

/** One step of mingo's path walk (its `getValue`) for a key that is not an array index. */
function step(value: unknown, key: string, inherited: boolean): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? (value as unknown as Document)[key] : undefined;
  if (value === Object.prototype) return undefined;
  if (inherited && !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
  return (value as Document)[key];
}

/** Where a walk may start: an object that is not an array, a date or a pattern (mingo returns those as they are). */
function isDocument(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof RegExp);
}

const ARRAY_INDEX = /^\d+$/;

/**
 * A reader equal to `resolve(doc, path, options)`. Paths that mingo refuses (`__proto__`, `constructor.prototype`)
 * or that hold array indexes always go through `resolve`, as does any document where the walk meets an array.
 */
export function pathReader(path: string, options?: { unwrapArray: true }): PathReader {
  const general: PathReader = (doc) => resolve(doc as Document, path, options);
  const parts = path.split('.');
  if (parts.some((part) => ARRAY_INDEX.test(part) || part === '__proto__' || part === 'prototype' || part === '')) return general;
  const inherited = parts.map((part) => INHERITED.has(part));
  if (parts.length === 1) {
    const [key] = parts;
    const guarded = inherited[0];
    return (doc) => (levers.directFieldReads && isDocument(doc) ? step(doc, key, guarded) : general(doc));
  }
  return (doc) => {
    if (!levers.directFieldReads || !isDocument(doc)) return general(doc);
    let value: unknown = doc;
    for (let i = 0; i < parts.length; i++) {
      if (Array.isArray(value)) return general(doc);
      value = step(value, parts[i], inherited[i]);
      if (value === undefined) return undefined;
    }
    return value;
  };
}
