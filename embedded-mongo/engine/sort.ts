import { mongoError } from './errors';
import { pathReader, type PathReader } from './paths';
import type { Document } from './types';
import { compareValues } from './values';

type Direction = 1 | -1;

/** Parses a sort specification, refusing what MongoDB refuses (directions other than 1/-1, `$meta` sorts). */
export function parseSort(spec: Document): [string, Direction][] {
  return Object.entries(spec).map(([path, direction]) => {
    const n = typeof direction === 'number' ? direction : Number(direction?.valueOf?.());
    if (n === 1 || n === -1) return [path, n];
    if (typeof direction === 'object' && direction !== null && '$meta' in direction) {
      throw mongoError('BadValue', `Sorting by $meta is not supported by the embedded store; use a real MongoDB through MONGODB_URI`);
    }
    throw mongoError('BadValue', `$sort key ordering must be 1 (for ascending) or -1 (for descending), got ${JSON.stringify(direction)} for '${path}'`);
  });
}

/**
 * The value a document sorts by on one key. An array sorts by its smallest element when ascending and its
 * largest when descending; a missing field sorts as null, as in MongoDB.
 */
function sortValue(doc: Document, read: PathReader, direction: Direction): unknown {
  const value = read(doc);
  if (!Array.isArray(value)) return value ?? null;
  if (value.length === 0) return undefined;
  let best = value[0];
  for (const element of value) if (compareValues(element, best) * direction < 0) best = element;
  return best;
}

/** A stable sort of documents by a MongoDB sort specification; returns a new array. */
export function sortDocuments<T extends Document>(docs: T[], spec: Document): T[] {
  const keys = parseSort(spec);
  if (keys.length === 0) return docs.slice();
  const readers = keys.map(([path]) => pathReader(path, { unwrapArray: true }));
  const decorated = docs.map((doc, position) => ({ doc, position, values: keys.map(([, dir], i) => sortValue(doc, readers[i], dir)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const order = compareValues(a.values[i], b.values[i]);
      if (order !== 0) return order * keys[i][1];
    }
    return a.position - b.position;
  });
  return decorated.map((d) => d.doc);
}
