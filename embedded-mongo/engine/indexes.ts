import { flatten, resolve } from 'mingo/util';
import { mongoError } from './errors';
import { compileFilter, USE_REAL_MONGODB, type CompiledFilter } from './query';
import type { Document, IndexInfo, IndexSpec } from './types';
import { canonicalKey } from './values';

/** One key a document contributes to an index; multikey (array) fields contribute one per element. */
export interface IndexEntry {
  /** Canonical key of the whole key tuple: what uniqueness is decided on. */
  key: string;
  /** Canonical key of the first field alone: what equality and `$in` lookups on that field use. */
  firstKey: string;
  values: unknown[];
}

/**
 * Reads one field's direction in a key pattern. String key types (text, 2dsphere, hashed, ...) are MongoDB
 * index types the store does not have, so they are refused by name rather than built as something else.
 */
function parseDirection(field: string, direction: unknown): 1 | -1 {
  const n = typeof direction === 'number' ? direction : Number((direction as { valueOf?(): unknown })?.valueOf?.());
  if (n === 1 || n === -1) return n;
  if (typeof direction === 'string') {
    throw mongoError('NotImplemented', `Index type '${direction}' on field '${field}' is not supported by the embedded store; ${USE_REAL_MONGODB}`);
  }
  if (Number.isFinite(n) && n !== 0) return n > 0 ? 1 : -1;
  throw mongoError('BadValue', `Values in the index key pattern can't be 0 or non-numbers, got ${JSON.stringify(direction)} for '${field}'`);
}

/** MongoDB's default index name: each field and direction joined by underscores, e.g. `name_1_age_-1`. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key).map(([field, direction]) => `${field}_${String(direction)}`).join('_');
}

/**
 * A secondary index: a map from each key a document produces to the ids of the documents that produce it,
 * used both to enforce uniqueness and to answer equality lookups on the index's first field.
 */
export class Index {
  readonly name: string;
  readonly key: Document;
  readonly fields: string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partialFilterExpression?: Document;
  readonly expireAfterSeconds?: number;
  private readonly partial: CompiledFilter | null;
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byFirstKey = new Map<string, Set<string>>();

  constructor(spec: IndexSpec) {
    if (typeof spec.key !== 'object' || spec.key === null || Object.keys(spec.key).length === 0) {
      throw mongoError('BadValue', `An index specification needs a non-empty 'key' document, got ${JSON.stringify(spec.key)}`);
    }
    for (const [field, direction] of Object.entries(spec.key)) parseDirection(field, direction);
    this.key = spec.key;
    this.fields = Object.keys(spec.key);
    this.name = spec.name ?? defaultIndexName(spec.key);
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
    this.partialFilterExpression = spec.partialFilterExpression;
    this.expireAfterSeconds = spec.expireAfterSeconds;
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : null;
  }

  get info(): IndexInfo {
    const info: IndexInfo & { expireAfterSeconds?: number } = { v: 2, key: this.key, name: this.name };
    if (this.unique) info.unique = true;
    if (this.sparse) info.sparse = true;
    if (this.partialFilterExpression) info.partialFilterExpression = this.partialFilterExpression;
    if (this.expireAfterSeconds !== undefined) info.expireAfterSeconds = this.expireAfterSeconds;
    return info;
  }

  /** Whether another spec describes this same index (MongoDB then treats createIndexes as a no-op). */
  sameSpec(other: Index): boolean {
    return (
      canonicalKey(this.key) === canonicalKey(other.key) &&
      this.unique === other.unique &&
      this.sparse === other.sparse &&
      canonicalKey(this.partialFilterExpression ?? null) === canonicalKey(other.partialFilterExpression ?? null)
    );
  }

  /** Whether equality lookups may use this index: a partial or sparse index does not hold every document. */
  get answersEquality(): boolean {
    return this.partial === null;
  }

  /** The keys a document produces, or null when the index leaves the document out (sparse, partial). */
  entriesFor(doc: Document): IndexEntry[] | null {
    if (this.partial && !this.partial.test(doc)) return null;
    if (this.fields.length === 1) {
      // The common single-field index on a scalar: one entry, without the general case's tuple building.
      const field = this.fields[0];
      const value = field.includes('.') ? resolve(doc, field, { unwrapArray: true }) : doc[field];
      if (!Array.isArray(value)) {
        if (value === undefined && this.sparse) return null;
        const key = canonicalKey(value ?? null);
        return [{ key, firstKey: key, values: [value ?? null] }];
      }
    }
    const perField = this.fields.map((field) => {
      const value = resolve(doc, field, { unwrapArray: true });
      if (value === undefined) return [undefined];
      if (!Array.isArray(value)) return [value];
      const elements = flatten(value, field.split('.').length - 1);
      return elements.length === 0 ? [undefined] : elements;
    });
    if (this.sparse && perField.every((values) => values.length === 1 && values[0] === undefined)) return null;
    let tuples: unknown[][] = [[]];
    for (const values of perField) tuples = tuples.flatMap((tuple) => values.map((v) => [...tuple, v ?? null]));
    const entries = new Map<string, IndexEntry>();
    for (const values of tuples) {
      const firstKey = canonicalKey(values[0]);
      const key = values.length === 1 ? firstKey : canonicalKey(values);
      if (!entries.has(key)) entries.set(key, { key, firstKey, values });
    }
    return [...entries.values()];
  }

  /** The first entry that another document already holds, when this index is unique. */
  conflict(docId: string, entries: IndexEntry[] | null): IndexEntry | undefined {
    if (!this.unique || entries === null) return undefined;
    return entries.find((entry) => {
      const owners = this.byKey.get(entry.key);
      return owners !== undefined && (owners.size > 1 || !owners.has(docId));
    });
  }

  add(docId: string, entries: IndexEntry[] | null): void {
    for (const entry of entries ?? []) {
      addTo(this.byKey, entry.key, docId);
      if (this.fields.length > 1) addTo(this.byFirstKey, entry.firstKey, docId);
    }
  }

  remove(docId: string, entries: IndexEntry[] | null): void {
    for (const entry of entries ?? []) {
      removeFrom(this.byKey, entry.key, docId);
      if (this.fields.length > 1) removeFrom(this.byFirstKey, entry.firstKey, docId);
    }
  }

  /** Forgets every document, when the whole collection is deleted. */
  clear(): void {
    this.byKey.clear();
    this.byFirstKey.clear();
  }

  /** Ids of the documents whose first indexed field equals one of the values. */
  lookup(values: unknown[]): Set<string> {
    const map = this.fields.length > 1 ? this.byFirstKey : this.byKey;
    const ids = new Set<string>();
    for (const value of values) for (const id of map.get(canonicalKey(value)) ?? []) ids.add(id);
    return ids;
  }

  keyValue(entry: IndexEntry): Document {
    return Object.fromEntries(this.fields.map((field, i) => [field, entry.values[i]]));
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids) ids.add(id);
  else map.set(key, new Set([id]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const ids = map.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) map.delete(key);
}
