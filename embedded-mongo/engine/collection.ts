import { BSON, ObjectId } from 'bson';
import { deepClone } from './clone';
import { EncodedRecord, encodedFields, encodedIdKey, encodedPathHasArray } from './encodedRecord';
import { MongoError, mongoError } from './errors';
import { eachChangeSinceCopy, type Index, type IndexAccess, type IndexEntry, type SinceCopy } from './indexes';
import { OrderedKeys, type KeyEntry } from './orderedKeys';
import type { Document } from './types';
import { canonicalKey, formatValue } from './values';

/** A stored document with its insertion sequence, which is the collection's natural order. */
export interface StoredRecord {
  id: string;
  seq: number;
  doc: Document;
}

/** The fewest documents one insert must bring for it to count as a bulk load (see prepareBulkInsert). */
const BULK_INSERT = 1_000;

/** What a collection overrides of itself: nothing. */
const NO_SEQS: ReadonlySet<number> = new Set();

/** The `_id_` index as listIndexes shows it; the collection's primary map is that index. */
export const ID_INDEX = { v: 2 as const, key: { _id: 1 }, name: '_id_' as const };

/**
 * Told of every change to stored documents, after it is made: the engine records older versions for transactions
 * that still read them, and collects changes for the journal. `before` is absent for an insert, `after` for a delete.
 */
export interface ChangeObserver {
  written(collection: Collection, before: StoredRecord | undefined, after: StoredRecord | undefined): void;
  /** Called just before every document of the collection is removed at once. */
  clearing(collection: Collection): void;
}

/** The `_id` index as the planner sees it: the primary map answers lookups, and ordered keys are built on demand. */
class IdIndex implements IndexAccess {
  readonly name = '_id_';
  readonly key = { _id: 1 };
  readonly fields = ['_id'];
  readonly directions = [1 as const];
  readonly unique = true;
  readonly sparse = false;
  readonly isPartial = false;
  readonly multikey = false;
  ordered: OrderedKeys | null = null;

  entriesFor(doc: Document): IndexEntry[] {
    const key = canonicalKey(doc._id);
    return [{ key, firstKey: key, values: [doc._id] }];
  }

  lookup(values: unknown[]): Iterable<string> {
    return values.map(canonicalKey);
  }
}

/**
 * One collection: its documents keyed by the canonical form of `_id` (so ObjectId, Long and number ids all
 * look up by value), in insertion order, and its secondary indexes. Stored documents are never modified in
 * place: a write builds the new version, checks every unique index, and only then swaps it in, which is
 * what makes each document write all-or-nothing.
 */
export class Collection {
  private records = new Map<string, StoredRecord>();
  /** Whether `records` is shared with a copy of this collection (see copyTo): it is then copied before any change. */
  private recordsShared = false;
  /**
   * The same records by their insertion sequence (undefined where a document was removed). An index walk finds
   * documents by sequence through it, an array read instead of a map lookup; and since sequences follow natural order,
   * reading them in ascending order reads the documents in the order they sit in memory.
   */
  private bySeq: (StoredRecord | undefined)[] = [];
  /** The sequence `bySeq[0]` stands for: sequences restart above every earlier one after a clear, the array at 0. */
  private seqBase = 0;
  readonly indexes: Index[] = [];
  readonly idIndex = new IdIndex();
  private nextSeq = 0;
  /**
   * The collection this one was copied from (copyTo): its ordered keys and key maps serve this one's while both hold
   * the same documents, and after this one's first writes too, caught up with them, while it changed few (sinceCopy).
   */
  private original: Collection | null = null;
  /** The original's records when copied, while the original still holds them: what this copy started from. */
  private copiedRecords: ReadonlyMap<string, StoredRecord> | null = null;
  /** The ids this copy wrote since it was copied, while they are few enough for catching an index up to pay (see changed). */
  private changedSinceCopy: Set<string> | null = null;

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Document = {},
    private readonly observer?: ChangeObserver,
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

  /** The record with an insertion sequence, if the collection still holds it. */
  atSeq(seq: number): StoredRecord | undefined {
    return seq >= this.seqBase ? this.bySeq[seq - this.seqBase] : undefined;
  }

  /** A collection overrides nothing: it is the committed data itself. */
  overriddenSeqs(): ReadonlySet<number> {
    return NO_SEQS;
  }

  /**
   * A copy of this collection in another database, as it is now, that costs only its structure. Stored documents and
   * their records are never modified in place, so the two collections share them; they also share the map of records
   * and the indexes' key maps until one of them changes (whichever changes first copies them, see ownRecords and
   * Index.ownMaps), so copying a database of 180,000 documents takes milliseconds, and its first write to a
   * collection pays for that collection's maps. Each gets its own array by sequence and its own ordered keys.
   */
  copyTo(db: string, observer?: ChangeObserver): Collection {
    const copy = new Collection(db, this.name, deepClone(this.options), observer);
    copy.records = this.records;
    copy.recordsShared = true;
    this.recordsShared = true;
    copy.bySeq = this.bySeq.slice();
    copy.seqBase = this.seqBase;
    copy.nextSeq = this.nextSeq;
    copy.original = this;
    copy.copiedRecords = this.records;
    copy.changedSinceCopy = new Set();
    const sinceCopy = () => copy.sinceCopy();
    for (const index of this.indexes) copy.indexes.push(index.copy(copy.allRecords, sinceCopy));
    copy.idIndex.ordered = this.idIndex.ordered?.copy() ?? null;
    return copy;
  }

  /** Takes a private copy of a records map shared with a copy of the collection, before changing it. */
  private ownRecords(): void {
    if (!this.recordsShared) return;
    this.records = new Map(this.records);
    this.recordsShared = false;
  }

  private keep(record: StoredRecord): void {
    this.ownRecords();
    this.changed(record.id);
    this.records.set(record.id, record);
    this.bySeq[record.seq - this.seqBase] = record;
  }

  private forget(record: StoredRecord): void {
    this.ownRecords();
    this.changed(record.id);
    this.records.delete(record.id);
    this.bySeq[record.seq - this.seqBase] = undefined;
  }

  /**
   * Notes a copy's write. Past a quarter of the documents it started from, catching an index up with the changes
   * would cost about what building it costs, and the copy stops keeping them.
   */
  private changed(id: string): void {
    const changed = this.changedSinceCopy;
    if (changed === null) return;
    changed.add(id);
    if (this.copiedRecords === null || changed.size > this.copiedRecords.size / 4) this.forgetCopy();
  }

  /** Stops catching indexes up with the original (see sinceCopy), letting go of the records it started from. */
  private forgetCopy(): void {
    this.changedSinceCopy = null;
    this.copiedRecords = null;
  }

  /**
   * How this copy's documents differ from its original's, when an index of it is first built: not at all (the two
   * share their records), by the ids it wrote since it was copied (while the original wrote nothing), or in ways
   * no longer known (null: the index is then built from the documents).
   */
  private sinceCopy(): SinceCopy | null {
    const original = this.original;
    if (original === null) return null;
    if (original.records === this.records) return { same: true };
    if (this.copiedRecords !== null && original.records !== this.copiedRecords) this.forgetCopy();
    if (this.changedSinceCopy === null || this.copiedRecords === null) return null;
    return { same: false, before: this.copiedRecords, now: this.records, changed: this.changedSinceCopy };
  }

  /** All records in natural (insertion) order. */
  scan(): IterableIterator<StoredRecord> {
    return this.records.values();
  }

  findIndex(name: string): Index | undefined {
    return this.indexes.find((index) => index.name === name);
  }

  /** The `_id` index and then the secondary indexes, in creation order: what a query may use. */
  accessPaths(): IndexAccess[] {
    return [this.idIndex, ...this.indexes];
  }

  /** An index's keys in index order, built from the documents on first use and maintained by every write after. */
  orderedKeys(access: IndexAccess): OrderedKeys {
    if (access.ordered) return access.ordered;
    const since = this.sinceCopy();
    const twin = since === null ? undefined : this.twinOf(access);
    if (since !== null && twin !== undefined) {
      // The original's keys, built once for every copy, and moved where this copy's writes took its documents.
      const keys = (this.original as Collection).orderedKeys(twin).copy();
      eachChangeSinceCopy(since, (id, before, now) => {
        for (const entry of (before && access.entriesFor(before.doc)) ?? []) keys.remove({ values: entry.values, seq: before!.seq, id });
        for (const entry of (now && access.entriesFor(now.doc)) ?? []) keys.insert({ values: entry.values, seq: now!.seq, id });
      });
      return (access.ordered = keys);
    }
    const keys = new OrderedKeys(access.directions);
    const entries: KeyEntry[] = [];
    for (const record of this.records.values()) {
      for (const entry of access.entriesFor(record.doc) ?? []) entries.push({ values: entry.values, seq: record.seq, id: record.id });
    }
    keys.load(keys.sort(entries));
    access.ordered = keys;
    return keys;
  }

  /** The original's index that this one was copied from: the same name and the same definition. */
  private twinOf(access: IndexAccess): IndexAccess | undefined {
    const original = this.original;
    if (original === null) return undefined;
    if (access === this.idIndex) return original.idIndex;
    const twin = original.findIndex(access.name);
    return twin?.sameSpec(access as Index) ? twin : undefined;
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
  insert(doc: Document, encoded?: Uint8Array): StoredRecord {
    const prepared = withId(doc);
    const id = canonicalKey(prepared._id);
    if (this.records.has(id)) throw this.duplicateKeyError('_id_', { _id: 1 }, { _id: prepared._id });
    const entries = this.entriesFor(id, prepared);
    // Given its BSON (a bulk load), the record keeps it for the snapshot, which then need not encode it again.
    const record = encoded && prepared === doc ? new EncodedRecord(id, this.nextSeq++, encoded, prepared) : { id, seq: this.nextSeq++, doc: prepared };
    this.indexes.forEach((index, i) => index.add(id, record.seq, entries[i]));
    this.idIndex.ordered?.insert({ values: [prepared._id], seq: record.seq, id });
    this.keep(record);
    this.observer?.written(this, undefined, record);
    return record;
  }

  /**
   * Adds documents read back from a snapshot, as BSON, in their natural order. The snapshot was written from a
   * consistent collection, so its documents are not checked again for unique keys (a repeated `_id` can only mean a
   * damaged file); each is decoded when first read (see EncodedRecord). The indexes must have been deferred first
   * (see deferIndexes): the documents are added to none of them.
   */
  restore(encoded: Iterable<Uint8Array>): void {
    for (const bytes of encoded) {
      let record: StoredRecord;
      const key = encodedIdKey(bytes);
      if (key !== undefined) {
        record = new EncodedRecord(key, this.nextSeq++, bytes);
      } else {
        const doc = BSON.deserialize(bytes, { promoteLongs: false }) as Document;
        if (doc._id === undefined) throw mongoError('InternalError', `a snapshot holds a document without _id in ${this.namespace}`);
        record = { id: canonicalKey(doc._id), seq: this.nextSeq++, doc };
      }
      if (this.records.has(record.id)) throw mongoError('InternalError', `a snapshot holds the _id ${record.id} twice in ${this.namespace}`);
      this.add(record);
    }
  }

  /** Stores a record whose indexes are all deferred (restore, load): only the `_id` keys are kept as it comes. */
  private add(record: StoredRecord): void {
    if (this.idIndex.ordered) this.idIndex.ordered.insert({ values: [record.doc._id], seq: record.seq, id: record.id });
    this.keep(record);
    this.observer?.written(this, undefined, record);
  }

  /**
   * Before an insert of `count` documents into a collection holding no more than that: a bulk load (sample data,
   * an import), whose non-unique secondary indexes are left to be built when first used (see Index.deferBuild)
   * instead of taking every document's keys one by one, most of the cost of such a load. Unique indexes are kept
   * up to date: each document is checked against them as it comes. A small insert into a large collection changes
   * nothing, since rebuilding an index would cost more than adding its keys.
   */
  prepareBulkInsert(count: number): void {
    if (count < BULK_INSERT || count < this.records.size) return;
    this.deferNonUniqueIndexes();
  }

  private deferNonUniqueIndexes(): void {
    for (const index of this.indexes) if (!index.unique && !index.deferred) index.deferBuild(this.allRecords, index.multikey);
  }

  /**
   * Adds documents given as BSON in one bulk load by the process that owns the store (the sample data): each stays
   * encoded until first read, as a snapshot's do (see restore), and the non-unique secondary indexes are built when
   * first used. Unlike a snapshot's, the documents are checked: a repeated `_id`, or a key a unique index already
   * holds, fails the load with MongoDB's duplicate key error, and the documents before it stay, as after an ordered
   * insert. Unique keys are read from the few fields they need; a document is decoded only when those are not
   * plain scalars, or when its `_id` is neither an ObjectId nor a string.
   */
  load(encoded: Iterable<Uint8Array>): number {
    this.deferNonUniqueIndexes();
    const unique = this.indexes.filter((index) => index.unique);
    // Unique keys are checked from the few fields they read, taken from the bytes; a document whose fields are not
    // plain scalars (or an index whose filter reads more) is decoded and inserted as any other.
    const read = unique.map((index) => index.fieldsRead);
    const keyPaths = read.includes(null) ? null : [...new Set(read.flat() as string[])].map((field) => field.split('.'));
    // A document added as BSON gives no keys to the deferred indexes: whether it makes one multikey is read from its
    // bytes, so that planning a query (which asks) does not build the index.
    const scanned = this.indexes.filter((index) => index.deferred).map((index) => ({ index, paths: index.fields.map((field) => field.split('.')) }));
    let loaded = 0;
    for (const bytes of encoded) {
      const id = encodedIdKey(bytes);
      const fields = id === undefined || keyPaths === null ? undefined : encodedFields(bytes, keyPaths);
      if (id === undefined || fields === undefined) {
        this.insert(BSON.deserialize(bytes, { promoteLongs: false }) as Document, bytes);
      } else {
        if (this.records.has(id)) throw this.duplicateKeyError('_id_', { _id: 1 }, { _id: BSON.deserialize(bytes, { promoteLongs: false })._id });
        const entries = unique.map((index) => index.entriesFor(fields));
        unique.forEach((index, i) => {
          const conflict = index.conflict(id, entries[i]);
          if (conflict) throw this.duplicateKeyError(index.name, index.key, index.keyValue(conflict));
        });
        const record = new EncodedRecord(id, this.nextSeq++, bytes);
        unique.forEach((index, i) => index.add(id, record.seq, entries[i]));
        for (const { index, paths } of scanned) {
          if (index.multikeyIfKnown === false && paths.some((path) => encodedPathHasArray(bytes, path))) index.noteMultikey();
        }
        this.add(record);
      }
      loaded++;
    }
    return loaded;
  }

  /**
   * Defers building every secondary index until it is first used (see Index.deferBuild), when a snapshot is loaded.
   * `multikey` names the indexes the snapshot saved as multikey, or is null when it saved none.
   */
  deferIndexes(multikey: ReadonlySet<string> | null): void {
    for (const index of this.indexes) index.deferBuild(this.allRecords, multikey ? multikey.has(index.name) : undefined);
  }

  /** Every record as the collection holds it when called: what a deferred index is built from. */
  private readonly allRecords = () => this.records.values();

  /** Replaces a stored document with its new version; `_id` is the same (update code checks that first). */
  replace(record: StoredRecord, doc: Document): void {
    const entries = this.entriesFor(record.id, doc);
    for (const index of this.indexes) index.remove(record.id, record.seq, index.entriesFor(record.doc));
    this.indexes.forEach((index, i) => index.add(record.id, record.seq, entries[i]));
    const next = { ...record, doc };
    this.keep(next);
    this.observer?.written(this, record, next);
  }

  remove(record: StoredRecord): void {
    for (const index of this.indexes) index.remove(record.id, record.seq, index.entriesFor(record.doc));
    this.idIndex.ordered?.remove({ values: [record.doc._id], seq: record.seq, id: record.id });
    this.forget(record);
    this.observer?.written(this, record, undefined);
  }

  /** Removes every document at once, cheaper than removing them one by one from every index. */
  clear(): void {
    this.observer?.clearing(this);
    this.records = new Map();
    this.recordsShared = false;
    this.forgetCopy();
    this.bySeq = [];
    this.seqBase = this.nextSeq;
    for (const index of this.indexes) index.clear();
    this.idIndex.ordered = null;
  }

  /**
   * Applies many document changes as one: each id gets its new version, or is removed for null. Uniqueness is
   * checked against the final state (so two documents may swap unique keys), and when any check fails nothing is
   * changed. A transaction's commit and the replay of a journal record go through here.
   */
  applyChanges(changes: ReadonlyMap<string, Document | null>): void {
    if (this.onlyNew(changes)) {
      this.insertAll(changes.values());
      return;
    }
    const before = new Map<string, StoredRecord>();
    for (const id of changes.keys()) {
      const record = this.records.get(id);
      if (!record) continue;
      before.set(id, record);
      for (const index of this.indexes) index.remove(id, record.seq, index.entriesFor(record.doc));
    }
    const seqBefore = this.nextSeq;
    const added: { id: string; seq: number; entries: (IndexEntry[] | null)[] }[] = [];
    try {
      for (const [id, doc] of changes) {
        if (doc === null) continue;
        validateId(doc._id);
        if (canonicalKey(doc._id) !== id) throw mongoError('InternalError', `a change keyed ${id} carries _id ${formatValue(doc._id)}`);
        const entries = this.entriesFor(id, doc);
        const seq = before.get(id)?.seq ?? this.nextSeq++;
        this.indexes.forEach((index, i) => index.add(id, seq, entries[i]));
        added.push({ id, seq, entries });
      }
    } catch (error) {
      for (const { id, seq, entries } of added) this.indexes.forEach((index, i) => index.remove(id, seq, entries[i]));
      for (const [id, record] of before) for (const index of this.indexes) index.add(id, record.seq, index.entriesFor(record.doc));
      this.nextSeq = seqBefore;
      throw error;
    }
    let position = 0;
    for (const [id, doc] of changes) {
      const old = before.get(id);
      if (doc === null) {
        if (!old) continue;
        this.idIndex.ordered?.remove({ values: [old.doc._id], seq: old.seq, id });
        this.forget(old);
        this.observer?.written(this, old, undefined);
        continue;
      }
      const record = { id, seq: added[position++].seq, doc };
      if (!old) this.idIndex.ordered?.insert({ values: [doc._id], seq: record.seq, id });
      this.keep(record);
      this.observer?.written(this, old, record);
    }
  }

  /** Whether every change inserts a document the collection does not hold (a bulk insert being replayed, say). */
  private onlyNew(changes: ReadonlyMap<string, Document | null>): boolean {
    for (const [id, doc] of changes) if (doc === null || this.records.has(id)) return false;
    return true;
  }

  /**
   * Inserts new documents one by one, which for documents the collection does not hold is the same as applying them
   * at once, and cheaper; when one fails, those already inserted are removed again.
   */
  private insertAll(docs: Iterable<Document | null>): void {
    const inserted: StoredRecord[] = [];
    try {
      for (const doc of docs) inserted.push(this.insert(doc as Document));
    } catch (error) {
      for (const record of inserted.reverse()) this.remove(record);
      throw error;
    }
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
          index.remove(built.id, built.seq, index.entriesFor(built.doc));
        }
        const error = this.duplicateKeyError(index.name, index.key, index.keyValue(conflict));
        throw new MongoError(error.code, error.codeName, `Index build failed: ${error.message}`, error.extra);
      }
      index.add(record.id, record.seq, entries);
    }
    this.indexes.push(index);
  }

  dropIndex(index: Index): void {
    this.indexes.splice(this.indexes.indexOf(index), 1);
  }
}

/** The document with an `_id`: its own, checked, or a new ObjectId placed first, as mongod does. */
export function withId(doc: Document): Document {
  const prepared = doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc;
  validateId(prepared._id);
  return prepared;
}

/** MongoDB refuses arrays, regular expressions and undefined as `_id`. */
export function validateId(id: unknown): void {
  if (Array.isArray(id)) throw mongoError('BadValue', `The '_id' value cannot be of type array, got ${formatValue(id)}`);
  if (id instanceof RegExp) throw mongoError('BadValue', `The '_id' value cannot be of type regex, got ${String(id)}`);
}
