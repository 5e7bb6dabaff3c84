import { flatten, resolve } from 'mingo/util';
import { mongoError } from './errors';
import { OrderedKeys } from './orderedKeys';
import { compileFilter, USE_REAL_MONGODB, type CompiledFilter } from './query';
import type { Document, IndexInfo, IndexSpec } from './types';
import { canonicalKey } from './values';

/** One key a document contributes to an index; multikey (array) fields contribute one per element. */
export interface IndexEntry {
  /** Canonical key of the whole key tuple: what uniqueness is decided on (for a non-unique compound index, unused). */
  key: string;
  /** Canonical key of the first field alone: what equality and `$in` lookups on that field use. */
  firstKey: string;
  values: unknown[];
  /**
   * Set when some indexed field of the document holds an array (even of one element, or none): the key's values are
   * then elements, not the field's value, and the index is multikey, as MongoDB counts it.
   */
  fromArray?: true;
}

/** Whether a document's entries make an index multikey: more than one key, or keys made from an array. */
export function makesMultikey(entries: readonly IndexEntry[] | null): boolean {
  return entries !== null && (entries.length > 1 || entries.some((entry) => entry.fromArray === true));
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
 * What the planner needs of an index, the `_id` index included: its shape, equality lookups on its first field,
 * and its keys in order (built on first use, see Collection.orderedKeys).
 */
export interface IndexAccess {
  readonly name: string;
  readonly key: Document;
  readonly fields: readonly string[];
  readonly directions: readonly (1 | -1)[];
  readonly unique: boolean;
  readonly sparse: boolean;
  /** A partial index holds only the documents its filter selects. */
  readonly isPartial: boolean;
  /** Some document produced more than one key (an array value), so index order is not sort order. */
  readonly multikey: boolean;
  /** The keys in index order, once built; kept up to date by every write from then on. */
  ordered: OrderedKeys | null;
  entriesFor(doc: Document): IndexEntry[] | null;
  /** Ids of the documents whose first indexed field equals one of the values. */
  lookup(values: unknown[]): Iterable<string>;
}

/**
 * A secondary index: a map from each key a document produces to the ids of the documents that produce it,
 * used both to enforce uniqueness and to answer equality lookups on the index's first field, and, once a query
 * has asked for it, the same keys in index order for sorts and ranges.
 */
export class Index implements IndexAccess {
  readonly name: string;
  readonly key: Document;
  readonly fields: string[];
  readonly directions: (1 | -1)[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partialFilterExpression?: Document;
  readonly expireAfterSeconds?: number;
  private readonly partial: CompiledFilter | null;
  /** Whole key to owners: kept for unique indexes (uniqueness) and single-field ones (their lookups). */
  private byKey: KeyMap = new Map();
  /** First field's key to owners: the lookups of a compound index. */
  private byFirstKey: KeyMap = new Map();
  /** Whether the two maps are shared with a copy of this index (see copy): they are then copied before any change. */
  private mapsShared = false;
  private readonly keyed: boolean;
  private isMultikey = false;
  /** False while a deferred index does not know whether it is multikey: it must be built to tell. */
  private multikeyKnown = true;
  /**
   * Set while the key maps are yet to be built from these records: an index restored from a snapshot is built on
   * first use, not as its documents load (see deferBuild).
   */
  private unbuilt: (() => Iterable<IndexedRecord>) | null = null;
  /**
   * The index this one was copied from while both were unbuilt (see copy): while the two collections still hold the
   * same documents, building this one builds that one and shares its maps.
   */
  private source: { index: Index; sinceCopy: () => SinceCopy | null } | null = null;
  ordered: OrderedKeys | null = null;
  private readonly dotted: boolean[];

  constructor(spec: IndexSpec) {
    if (typeof spec.key !== 'object' || spec.key === null || Object.keys(spec.key).length === 0) {
      throw mongoError('BadValue', `An index specification needs a non-empty 'key' document, got ${JSON.stringify(spec.key)}`);
    }
    this.directions = Object.entries(spec.key).map(([field, direction]) => parseDirection(field, direction));
    this.key = spec.key;
    this.fields = Object.keys(spec.key);
    this.dotted = this.fields.map((field) => field.includes('.'));
    this.keyed = spec.unique === true || this.fields.length === 1;
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

  /**
   * The fields a document's keys for this index are read from, its partial filter's included, or null when that
   * filter reads more than fields it names (`$and`, `$expr`, ...).
   */
  get fieldsRead(): string[] | null {
    const filtered = Object.keys(this.partialFilterExpression ?? {});
    if (filtered.some((field) => field.startsWith('$'))) return null;
    return [...new Set([...this.fields, ...filtered])];
  }

  /** Whether equality lookups may use this index: a partial or sparse index does not hold every document. */
  get answersEquality(): boolean {
    return this.partial === null;
  }

  get isPartial(): boolean {
    return this.partial !== null;
  }

  /** Whether the key maps wait to be built when first used (see deferBuild). */
  get deferred(): boolean {
    return this.unbuilt !== null;
  }

  get multikey(): boolean {
    if (!this.multikeyKnown) this.build();
    return this.isMultikey;
  }

  /** Records that a document added without its keys (see Collection.load) makes a deferred index multikey. */
  noteMultikey(): void {
    this.isMultikey = true;
  }

  /** Whether the index is multikey, when that is known without building it. */
  get multikeyIfKnown(): boolean | undefined {
    return this.multikeyKnown ? this.isMultikey : undefined;
  }

  /**
   * Forgets the keys, to build them from `records` when a lookup or a uniqueness check first needs them. A store
   * loading a snapshot adds hundreds of thousands of documents at once, most of whose indexes no command of that run
   * may ever use: keeping every index up to date document by document is most of the cost of loading.
   *
   * Until then the index is the function of `records` that building it computes, so a write adds and removes no keys
   * of it (it only keeps its ordered keys, built apart, and its multikey flag): the build reads the records as they
   * are by then. `multikey` is the flag as the snapshot saved it, if it did: the planner reads it for every plan, and
   * should not build an index to learn it.
   */
  deferBuild(records: () => Iterable<IndexedRecord>, multikey?: boolean): void {
    this.clear();
    this.unbuilt = records;
    this.isMultikey = multikey === true;
    this.multikeyKnown = multikey !== undefined;
  }

  /** Builds the key maps a deferred index is still without. */
  private build(): void {
    const records = this.unbuilt;
    if (records === null) return;
    const source = this.source;
    this.source = null;
    this.unbuilt = null;
    this.multikeyKnown = true;
    const since = source?.sinceCopy() ?? null;
    if (source && since) {
      // The original index's maps, built once for every copy, and moved where this copy's writes took its documents.
      source.index.build();
      this.byKey = source.index.byKey;
      this.byFirstKey = source.index.byFirstKey;
      this.mapsShared = source.index.mapsShared = true;
      this.isMultikey = source.index.isMultikey;
      eachChangeSinceCopy(since, (id, before, now) => {
        if (before) this.removeKeys(id, this.entriesFor(before.doc));
        if (now) this.addKeys(id, this.entriesFor(now.doc));
      });
      return;
    }
    for (const record of records()) this.addKeys(record.id, this.entriesFor(record.doc));
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
    // The common compound case, every field a scalar: one entry, without building tuples.
    const scalars = this.scalarValues(doc);
    if (scalars) {
      if (this.sparse && scalars.every((value) => value === undefined)) return null;
      const values = scalars.map((value) => value ?? null);
      const firstKey = canonicalKey(values[0]);
      // Only a unique compound index keeps whole keys (see `keyed`); the others need just the first field's.
      return [{ key: this.keyed ? canonicalKey(values) : firstKey, firstKey, values }];
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
      if (!entries.has(key)) entries.set(key, { key, firstKey, values, fromArray: true });
    }
    return [...entries.values()];
  }

  /** Each field's value when none is an array, or null when one is (the multikey case). */
  private scalarValues(doc: Document): unknown[] | null {
    const values = new Array<unknown>(this.fields.length);
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i];
      const value = this.dotted[i] ? resolve(doc, field, { unwrapArray: true }) : doc[field];
      if (Array.isArray(value)) return null;
      values[i] = value;
    }
    return values;
  }

  /** The first entry that another document already holds, when this index is unique. */
  conflict(docId: string, entries: IndexEntry[] | null): IndexEntry | undefined {
    if (!this.unique || entries === null) return undefined;
    this.build();
    return entries.find((entry) => {
      const owners = this.byKey.get(entry.key);
      if (owners === undefined) return false;
      return typeof owners === 'string' ? owners !== docId : owners.size > 1 || !owners.has(docId);
    });
  }

  /** The ids of the documents that hold a key (by its canonical form). */
  owners(key: string): Iterable<string> {
    this.build();
    const owners = this.byKey.get(key);
    return owners === undefined ? [] : typeof owners === 'string' ? [owners] : owners;
  }

  /**
   * A copy of this index for a copied collection, costing only the structure: both share the key maps until one of
   * them changes (each copies them first, see ownMaps), and each gets its own ordered blocks over shared entries.
   */
  copy(records?: () => Iterable<IndexedRecord>, sinceCopy?: () => SinceCopy | null): Index {
    const copy = new Index(this.info as IndexSpec);
    if (this.unbuilt !== null && records && sinceCopy) {
      // Unbuilt, the copy stays so: built when first used, from this index's build while the copy changed few of the
      // documents, so that the copies of one loaded sample share one build and none builds what it never uses.
      copy.deferBuild(records, this.multikeyIfKnown);
      copy.source = { index: this, sinceCopy };
      return copy;
    }
    this.build();
    copy.byKey = this.byKey;
    copy.byFirstKey = this.byFirstKey;
    copy.mapsShared = true;
    this.mapsShared = true;
    copy.isMultikey = this.isMultikey;
    copy.ordered = this.ordered?.copy() ?? null;
    return copy;
  }

  /** Takes private copies of key maps shared with a copy of the index, before changing them. */
  private ownMaps(): void {
    if (!this.mapsShared) return;
    this.byKey = copyKeyMap(this.byKey);
    this.byFirstKey = copyKeyMap(this.byFirstKey);
    this.mapsShared = false;
  }

  add(docId: string, seq: number, entries: IndexEntry[] | null): void {
    if (entries === null) return;
    if (this.unbuilt === null) this.addKeys(docId, entries);
    else if (makesMultikey(entries)) this.isMultikey = true;
    for (const entry of entries) this.ordered?.insert({ values: entry.values, seq, id: docId });
  }

  /** Adds a document's keys to the key maps (not to the ordered keys, which are built and kept apart). */
  private addKeys(docId: string, entries: IndexEntry[] | null): void {
    if (entries === null) return;
    this.ownMaps();
    if (makesMultikey(entries)) this.isMultikey = true;
    for (const entry of entries) {
      if (this.keyed) addTo(this.byKey, entry.key, docId);
      if (this.fields.length > 1) addTo(this.byFirstKey, entry.firstKey, docId);
    }
  }

  remove(docId: string, seq: number, entries: IndexEntry[] | null): void {
    if (this.unbuilt === null) this.removeKeys(docId, entries);
    for (const entry of entries ?? []) this.ordered?.remove({ values: entry.values, seq, id: docId });
  }

  /** Removes a document's keys from the key maps (not from the ordered keys, see addKeys). */
  private removeKeys(docId: string, entries: IndexEntry[] | null): void {
    if (entries === null || entries.length === 0) return;
    this.ownMaps();
    for (const entry of entries) {
      if (this.keyed) removeFrom(this.byKey, entry.key, docId);
      if (this.fields.length > 1) removeFrom(this.byFirstKey, entry.firstKey, docId);
    }
  }

  /** Forgets every document, when the whole collection is deleted. */
  clear(): void {
    this.byKey = new Map();
    this.byFirstKey = new Map();
    this.mapsShared = false;
    this.ordered = null;
    this.isMultikey = false;
    this.multikeyKnown = true;
    this.unbuilt = null;
    this.source = null;
  }

  /** Ids of the documents whose first indexed field equals one of the values. */
  lookup(values: unknown[]): Set<string> {
    this.build();
    const map = this.fields.length > 1 ? this.byFirstKey : this.byKey;
    const ids = new Set<string>();
    for (const value of values) {
      const owners = map.get(canonicalKey(value));
      if (typeof owners === 'string') ids.add(owners);
      else if (owners) for (const id of owners) ids.add(id);
    }
    return ids;
  }

  keyValue(entry: IndexEntry): Document {
    return Object.fromEntries(this.fields.map((field, i) => [field, entry.values[i]]));
  }
}

/** What an index is built from: a stored document with its id and insertion sequence. */
interface IndexedRecord {
  id: string;
  seq: number;
  doc: Document;
}

/**
 * What a copied collection changed since it was copied (see Collection.copyTo), which lets an index of the copy
 * start from its original's keys: nothing (the two still share their records), or the ids it wrote, with the records
 * it started from and those it holds now.
 */
export type SinceCopy =
  | { same: true }
  | { same: false; before: ReadonlyMap<string, IndexedRecord>; now: ReadonlyMap<string, IndexedRecord>; changed: ReadonlySet<string> };

/** Visits each document a copy wrote since it was copied, as it was then and as it is now (undefined where absent). */
export function eachChangeSinceCopy(
  since: SinceCopy,
  visit: (id: string, before: IndexedRecord | undefined, now: IndexedRecord | undefined) => void,
): void {
  if (since.same) return;
  for (const id of since.changed) visit(id, since.before.get(id), since.now.get(id));
}

/**
 * Key to the ids that hold it. Most keys have one owner (every key of a unique index does), so a lone owner is kept
 * as its id and a Set is made only for a second: hundreds of thousands of one-element Sets cost far more to build and
 * to collect than the strings.
 */
type KeyMap = Map<string, string | Set<string>>;

/**
 * Sets of owners that more than one key map holds (after a copy, see copyKeyMap). They are changed in place, so a map
 * about to change one takes its own copy of it first (see ownersToChange); each Set is copied only if it changes.
 */
const SHARED_OWNERS = new WeakSet<Set<string>>();

/** A copy of a key map for an index of a copied collection: the map itself, its Sets shared until they change. */
function copyKeyMap(map: KeyMap): KeyMap {
  const copy: KeyMap = new Map(map);
  for (const owners of map.values()) if (typeof owners !== 'string') SHARED_OWNERS.add(owners);
  return copy;
}

/** A key's Set of owners, ready to be changed in place: copied first when another map shares it. */
function ownersToChange(map: KeyMap, key: string, ids: Set<string>): Set<string> {
  if (!SHARED_OWNERS.has(ids)) return ids;
  const own = new Set(ids);
  map.set(key, own);
  return own;
}

function addTo(map: KeyMap, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, id);
  else if (typeof ids !== 'string') ownersToChange(map, key, ids).add(id);
  else if (ids !== id) map.set(key, new Set([ids, id]));
}

function removeFrom(map: KeyMap, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) map.delete(key);
    return;
  }
  const own = ownersToChange(map, key, ids);
  own.delete(id);
  if (own.size === 1) map.set(key, own.values().next().value as string);
}
