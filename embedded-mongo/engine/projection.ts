import { levers } from './levers';
import type { Document } from './types';

/**
 * Find projections that only include or exclude fields (`{ _id: 1 }`, `{ a: 1, 'b.c': 1 }`, `{ a: 0 }`), built
 * directly: each document is walked once, field by field, in its own order. Mingo's projection resolves every field
 * as a path and assembles the result through intermediate objects, which costs several times more per document; a
 * test picking ids out of 90,000 documents, or a loan schedule of every loan, feels that. Anything else (exclusion of
 * dotted paths, `$slice`, `$elemMatch`, expressions, literals, paths inside `_id`) is mingo's.
 *
 * The result is MongoDB's: included fields in the order the document has them (`_id` first, where it is stored); a
 * dotted path included through a document keeps that document (empty when it lacks the field) and through an array
 * keeps its documents and nested arrays, projected, and drops its other elements; a missing field stays absent.
 * Values are shared with the input, as mingo's projection shares them.
 */
export type Projector = (doc: Document) => Document;

/** The fields to keep at one level of a document: true for the whole value, or what to keep inside it. */
type Inclusion = Map<string, Inclusion | true>;

/** A projection value that includes (true) or excludes (false) its field; undefined for anything else. */
function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return value !== 0;
  return undefined;
}

/** Sets a field, a field named `__proto__` included (an assignment would set the object's prototype instead). */
function put(out: Document, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** A document a dotted path may enter: a plain object, not a BSON value such as an ObjectId or a date. */
function isDocument(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function keepIncluded(doc: Document, inclusion: Inclusion): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) {
    const inner = inclusion.get(key);
    if (inner === undefined) continue;
    if (inner === true) {
      put(out, key, doc[key]);
      continue;
    }
    const kept = keepInside(doc[key], inner);
    if (kept !== undefined) put(out, key, kept);
  }
  return out;
}

/** What a dotted path keeps of the value it passes through: a document projected, an array element by element. */
function keepInside(value: unknown, inclusion: Inclusion): unknown {
  if (Array.isArray(value)) {
    const kept: unknown[] = [];
    for (const element of value) {
      const inner = keepInside(element, inclusion);
      if (inner !== undefined) kept.push(inner);
    }
    return kept;
  }
  return isDocument(value) ? keepIncluded(value, inclusion) : undefined;
}

/** Adds a path to an inclusion tree; false when it collides with another path (MongoDB's error, mingo's to raise). */
function include(tree: Inclusion, parts: string[]): boolean {
  const [head, ...rest] = parts;
  const existing = tree.get(head);
  if (rest.length === 0) {
    if (existing !== undefined) return false;
    tree.set(head, true);
    return true;
  }
  if (existing === true) return false;
  const inner: Inclusion = existing ?? new Map();
  tree.set(head, inner);
  return include(inner, rest);
}

/** The projector of a specification, or null when mingo must build it (see above). */
export function planProjection(projection: Document): Projector | null {
  if (!levers.directProjection) return null;
  const included: string[][] = [];
  const excluded: string[] = [];
  let idIncluded = true;
  for (const [field, value] of Object.entries(projection)) {
    const wanted = flag(value);
    const parts = field.split('.');
    if (wanted === undefined || parts.some((part) => part.length === 0 || part.startsWith('$') || part === '__proto__')) return null;
    if (field === '_id') idIncluded = wanted;
    else if (parts[0] === '_id') return null;
    else if (wanted) included.push(parts);
    else if (parts.length > 1) return null;
    else excluded.push(field);
  }
  // Mixing inclusion and exclusion (other than of _id) is MongoDB's error, which mingo raises with its message.
  if (included.length > 0 && excluded.length > 0) return null;
  if (included.length > 0 || (excluded.length === 0 && idIncluded)) {
    const tree: Inclusion = new Map();
    for (const parts of included) if (!include(tree, parts)) return null;
    if (idIncluded) tree.set('_id', true);
    return (doc) => keepIncluded(doc, tree);
  }
  const dropped = new Set(excluded);
  if (!idIncluded) dropped.add('_id');
  return (doc) => {
    const out: Document = {};
    for (const key of Object.keys(doc)) if (!dropped.has(key)) put(out, key, doc[key]);
    return out;
  };
}
