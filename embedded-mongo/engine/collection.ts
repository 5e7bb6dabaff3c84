import { ObjectId } from 'bson';
import { MongoError, mongoError } from './errors';
import { Index, type IndexEntry } from './indexes';
import type { Document } from './types';
import { canonicalKey, formatValue } from './values';

/** A stored document with its insertion sequence, which is the collection's natural order. */
export interface StoredRecord {
  id: string;
  seq: number;
  doc: Document;
}

/** The `_id_` index as listIndexes shows it; the collection's primary map is that index. */
export const ID_INDEX = { v: 2 as const, key: { _id: 1 }, name: '_id_' as const };

/**
 * One collection: its documents keyed by the canonical form of `_id` (so ObjectId, Long and number ids all
 * look up by value), in insertion order, and its secondary indexes. Stored documents are never modified in
 * place: a write builds the new version, checks every unique index, and only then swaps it in, which is
 * what makes each document write all-or-nothing.
 */
export class Collection {
  private readonly records = new Map<string, StoredRecord>();
  readonly indexes: Index[] = [];
  private nextSeq = 0;

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Document = {},
  ) {}

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): StoredRecord | undefined {
    return this.records.get(id);
  }

  /** All records in natural (insertion) order. */
  scan(): IterableIterator<StoredRecord> {
    return this.records.values();
  }

  findIndex(name: string): Index | undefined {
    return this.indexes.find((index) => index.name === name);
  }

  /** Builds MongoDB's duplicate key error for an index and the key that collided. */
  duplicateKeyError(indexName: string, keyPattern: Document, keyValue: Document): MongoError {
    const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ');
    return mongoError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.namespace} index: ${indexName} dup key: { ${shown} }`,
      { keyPattern, keyValue },
    );
  }

  /**
   * Computes the index entries of a new document version, one list per index in `indexes` order, throwing a
   * duplicate key error on any collision.
   */
  private entriesFor(id: string, doc: Document): (IndexEntry[] | null)[] {
    const entries: (IndexEntry[] | null)[] = [];
    for (const index of this.indexes) {
      const forIndex = index.entriesFor(doc);
      const conflict = index.conflict(id, forIndex);
      if (conflict) throw this.duplicateKeyError(index.name, index.key, index.keyValue(conflict));
      entries.push(forIndex);
    }
    return entries;
  }

  /** Stores a new document (the caller's copy becomes stored data). Throws MongoError on any failure. */
  insert(doc: Document): StoredRecord {
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
    validateId(doc._id);
    const id = canonicalKey(doc._id);
    if (this.records.has(id)) throw this.duplicateKeyError('_id_', { _id: 1 }, { _id: doc._id });
    const entries = this.entriesFor(id, doc);
    this.indexes.forEach((index, i) => index.add(id, entries[i]));
    const record = { id, seq: this.nextSeq++, doc };
    this.records.set(id, record);
    return record;
  }

  /** Replaces a stored document with its new version; `_id` is the same (update code checks that first). */
  replace(record: StoredRecord, doc: Document): void {
    const entries = this.entriesFor(record.id, doc);
    for (const index of this.indexes) index.remove(record.id, index.entriesFor(record.doc));
    this.indexes.forEach((index, i) => index.add(record.id, entries[i]));
    this.records.set(record.id, { ...record, doc });
  }

  remove(record: StoredRecord): void {
    for (const index of this.indexes) index.remove(record.id, index.entriesFor(record.doc));
    this.records.delete(record.id);
  }

  /** Removes every document at once, cheaper than removing them one by one from every index. */
  clear(): void {
    this.records.clear();
    for (const index of this.indexes) index.clear();
  }

  /** Adds an index, building it over the existing documents; fails with 11000 when they hold duplicates. */
  addIndex(index: Index): void {
    for (const record of this.records.values()) {
      const entries = index.entriesFor(record.doc);
      const conflict = index.conflict(record.id, entries);
      if (conflict) {
        // Undo the partial build so that the failed index leaves no trace.
        for (const built of this.records.values()) {
          if (built === record) break;
          index.remove(built.id, index.entriesFor(built.doc));
        }
        const error = this.duplicateKeyError(index.name, index.key, index.keyValue(conflict));
        throw new MongoError(error.code, error.codeName, `Index build failed: ${error.message}`, error.extra);
      }
      index.add(record.id, entries);
    }
    this.indexes.push(index);
  }

  dropIndex(index: Index): void {
    this.indexes.splice(this.indexes.indexOf(index), 1);
  }
}

/** MongoDB refuses arrays, regular expressions and undefined as `_id`. */
export function validateId(id: unknown): void {
  if (Array.isArray(id)) throw mongoError('BadValue', `The '_id' value cannot be of type array, got ${formatValue(id)}`);
  if (id instanceof RegExp) throw mongoError('BadValue', `The '_id' value cannot be of type regex, got ${String(id)}`);
}
