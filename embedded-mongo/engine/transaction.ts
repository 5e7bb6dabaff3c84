import { Collection, withId, type StoredRecord } from './collection';
import { mongoError, writeConflict } from './errors';
import type { History } from './history';
import type { IndexAccess } from './indexes';
import type { OrderedKeys } from './orderedKeys';
import type { RecordSource } from './planner';
import type { Document, EngineTransaction } from './types';
import { canonicalKey } from './values';
import { LockTable, type Workspace } from './workspace';

/** One collection's worth of a committed transaction's changes: each id's new document, or null for a delete. */
export interface NamespaceChanges {
  db: string;
  name: string;
  changes: Map<string, Document | null>;
}

/** What a transaction needs of the engine. */
export interface TransactionHost {
  collection(db: string, name: string): Collection | undefined;
  readonly history: History;
  readonly locks: LockTable;
  /** Refuses invalid database and collection names, as creating a collection would. */
  validateNames(db: string, name: string): void;
  /** Applies a transaction's changes to the collections at once, or throws having changed nothing. */
  applyTransaction(changes: NamespaceChanges[]): void;
  ended(transaction: Transaction): void;
}

/** A transaction's own writes to one collection, and the unique keys its versions hold, per index. */
interface NamespaceWrites {
  db: string;
  name: string;
  docs: Map<string, StoredRecord | null>;
  uniqueKeys: Map<string, Map<string, Set<string>>>;
}

/**
 * Natural-order positions for documents a transaction inserts: after every committed document, in insertion order.
 * The commit gives them real positions.
 */
let provisionalSeq = 2 ** 50;

/**
 * A collection as a transaction sees it: the committed documents, except where `overrides` says otherwise (the
 * transaction's own versions, and older versions of documents changed since the transaction's snapshot).
 */
class TransactionView implements RecordSource {
  constructor(
    private readonly base: Collection,
    readonly overrides: ReadonlyMap<string, StoredRecord | null>,
  ) {}

  get namespace(): string {
    return this.base.namespace;
  }

  get(id: string): StoredRecord | undefined {
    const override = this.overrides.get(id);
    if (override === undefined) return this.base.get(id);
    return override ?? undefined;
  }

  *scan(): Generator<StoredRecord> {
    const extra = [...this.overrides.values()].filter((record): record is StoredRecord => record !== null).sort((a, b) => a.seq - b.seq);
    let next = 0;
    for (const record of this.base.scan()) {
      if (this.overrides.has(record.id)) continue;
      while (next < extra.length && extra[next].seq < record.seq) yield extra[next++];
      yield record;
    }
    while (next < extra.length) yield extra[next++];
  }

  findIndex(name: string) {
    return this.base.findIndex(name);
  }

  atSeq(seq: number): StoredRecord | undefined {
    return this.base.atSeq(seq);
  }

  private overridden: Set<number> | null = null;

  overriddenSeqs(): ReadonlySet<number> {
    if (!this.overridden) {
      this.overridden = new Set();
      for (const id of this.overrides.keys()) {
        const committed = this.base.get(id);
        if (committed) this.overridden.add(committed.seq);
      }
    }
    return this.overridden;
  }

  get idIndex(): IndexAccess {
    return this.base.idIndex;
  }

  accessPaths(): IndexAccess[] {
    return this.base.accessPaths();
  }

  orderedKeys(access: IndexAccess): OrderedKeys {
    return this.base.orderedKeys(access);
  }
}

/**
 * A multi-document transaction with snapshot isolation. Reads see the committed data as of the transaction's start
 * (older versions come from the engine's history) plus the transaction's own writes. Writes go to a private write set
 * and take locks on each document and unique key they write: first writer wins, so a second transaction writing the
 * same document or key, or a document committed by someone else since this one started, gets a WriteConflict (which
 * the driver retries). Commit applies the whole write set in one synchronous step; abort discards it.
 */
export class Transaction implements Workspace, EngineTransaction {
  state: 'active' | 'committed' | 'aborted' = 'active';
  readonly finished: Promise<void>;
  /** Namespaces this transaction has read or written; dropping one of them aborts the transaction. */
  readonly touched = new Set<string>();
  private readonly writes = new Map<string, NamespaceWrites>();
  private readonly lockKeys = new Set<string>();
  private finish!: () => void;

  constructor(
    private readonly host: TransactionHost,
    /** The engine's clock when the transaction started: committed changes after it are not in its snapshot. */
    readonly readTs: number,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  source(db: string, name: string): RecordSource | undefined {
    this.assertActive();
    const namespace = `${db}.${name}`;
    this.touched.add(namespace);
    const base = this.host.collection(db, name);
    const overrides = this.host.history.versionsAt(namespace, this.readTs);
    for (const [id, record] of this.writes.get(namespace)?.docs ?? []) overrides.set(id, record);
    if (overrides.size === 0) return base;
    return new TransactionView(base ?? new Collection(db, name), overrides);
  }

  insert(db: string, name: string, doc: Document): StoredRecord {
    this.assertActive();
    this.host.validateNames(db, name);
    const prepared = withId(doc);
    const id = canonicalKey(prepared._id);
    const namespace = `${db}.${name}`;
    const base = this.host.collection(db, name);
    const own = this.writes.get(namespace)?.docs.get(id);
    const duplicate = () => (base ?? new Collection(db, name)).duplicateKeyError('_id_', { _id: 1 }, { _id: prepared._id });
    if (own) throw duplicate();
    if (own === undefined) {
      this.claim(namespace, id);
      if (base?.get(id)) throw duplicate();
    }
    const record = { id, seq: provisionalSeq++, doc: prepared };
    this.put(db, name, base, record);
    return record;
  }

  replace(db: string, name: string, record: StoredRecord, doc: Document): void {
    this.assertActive();
    const namespace = `${db}.${name}`;
    if (!this.writes.get(namespace)?.docs.has(record.id)) this.claim(namespace, record.id);
    this.put(db, name, this.host.collection(db, name), { id: record.id, seq: record.seq, doc });
  }

  remove(db: string, name: string, record: StoredRecord): void {
    this.assertActive();
    const namespace = `${db}.${name}`;
    if (!this.writes.get(namespace)?.docs.has(record.id)) this.claim(namespace, record.id);
    this.put(db, name, this.host.collection(db, name), { id: record.id, seq: record.seq, doc: null });
  }

  /** Conflicts are raised by each write as it happens; a transaction's statement never has to wait. */
  checkWritable(): void {}

  /** A transaction's inserts are kept apart until its commit: the collection's indexes stay as they are. */
  insertingMany(): void {}

  removeAll(): boolean {
    return false;
  }

  commit(): void {
    this.assertActive();
    const changes: NamespaceChanges[] = [];
    for (const writes of this.writes.values()) {
      if (writes.docs.size === 0) continue;
      const byId = new Map<string, Document | null>();
      for (const [id, record] of writes.docs) byId.set(id, record ? record.doc : null);
      changes.push({ db: writes.db, name: writes.name, changes: byId });
    }
    try {
      this.host.applyTransaction(changes);
    } catch (error) {
      this.end('aborted');
      throw error;
    }
    this.end('committed');
  }

  abort(): void {
    if (this.state === 'active') this.end('aborted');
  }

  private end(state: 'committed' | 'aborted'): void {
    this.state = state;
    this.host.locks.release(this.lockKeys, this);
    this.lockKeys.clear();
    this.writes.clear();
    this.finish();
    this.host.ended(this);
  }

  private assertActive(): void {
    if (this.state !== 'active') {
      throw mongoError('NoSuchTransaction', `Transaction has been ${this.state === 'committed' ? 'committed' : 'aborted'}.`);
    }
  }

  /**
   * Checks that this transaction may write a document it has not written yet: no other open transaction holds it, and
   * no commit changed it after this transaction's snapshot (either would make this write lose the other's).
   */
  private claim(namespace: string, id: string): void {
    const holder = this.host.locks.holder(LockTable.documentKey(namespace, id));
    if (holder && holder !== this) throw writeConflict(`${namespace}: another transaction is writing this document`);
    if (this.host.history.changedAfter(namespace, id, this.readTs)) {
      throw writeConflict(`${namespace}: the document changed after this transaction started`);
    }
  }

  private lock(key: string, namespace: string): void {
    if (this.host.locks.acquire(key, this)) throw writeConflict(`${namespace}: another transaction is writing this document or unique key`);
    this.lockKeys.add(key);
  }

  private namespaceWrites(db: string, name: string): NamespaceWrites {
    const namespace = `${db}.${name}`;
    let writes = this.writes.get(namespace);
    if (!writes) {
      writes = { db, name, docs: new Map(), uniqueKeys: new Map() };
      this.writes.set(namespace, writes);
      this.touched.add(namespace);
    }
    return writes;
  }

  /**
   * Records a new version (or a delete) of one document in the write set, after checking it against every unique
   * index: a key held by a document this transaction sees is a duplicate key error (E11000); a key held by a
   * document another transaction is writing, or committed since this one started, is a WriteConflict, as in mongod.
   */
  private put(db: string, name: string, base: Collection | undefined, record: StoredRecord | { id: string; seq: number; doc: null }): void {
    const namespace = `${db}.${name}`;
    const writes = this.namespaceWrites(db, name);
    const { id } = record;
    const uniqueIndexes = base?.indexes.filter((index) => index.unique) ?? [];
    const keyLocks: string[] = [];
    if (record.doc !== null && base) {
      for (const index of uniqueIndexes) {
        for (const entry of index.entriesFor(record.doc) ?? []) {
          for (const owner of writes.uniqueKeys.get(index.name)?.get(entry.key) ?? []) {
            if (owner !== id) throw base.duplicateKeyError(index.name, index.key, index.keyValue(entry));
          }
          const lockKey = LockTable.uniqueKey(namespace, index.name, entry.key);
          const holder = this.host.locks.holder(lockKey);
          if (holder && holder !== this) throw writeConflict(`${namespace}: another transaction is writing the same key of index ${index.name}`);
          for (const owner of index.owners(entry.key) ?? []) {
            if (owner === id || writes.docs.has(owner)) continue;
            const ownerHeld = this.host.locks.holder(LockTable.documentKey(namespace, owner));
            if ((ownerHeld && ownerHeld !== this) || this.host.history.changedAfter(namespace, owner, this.readTs)) {
              throw writeConflict(`${namespace}: the document holding this key of index ${index.name} is being changed`);
            }
            throw base.duplicateKeyError(index.name, index.key, index.keyValue(entry));
          }
          keyLocks.push(lockKey);
        }
      }
    }
    this.lock(LockTable.documentKey(namespace, id), namespace);
    for (const key of keyLocks) this.lock(key, namespace);
    const previous = writes.docs.get(id);
    for (const index of uniqueIndexes) {
      let keys = writes.uniqueKeys.get(index.name);
      if (!keys) {
        keys = new Map();
        writes.uniqueKeys.set(index.name, keys);
      }
      for (const entry of previous ? index.entriesFor(previous.doc) ?? [] : []) keys.get(entry.key)?.delete(id);
      for (const entry of record.doc !== null ? index.entriesFor(record.doc) ?? [] : []) {
        const owners = keys.get(entry.key);
        if (owners) owners.add(id);
        else keys.set(entry.key, new Set([id]));
      }
    }
    writes.docs.set(id, record.doc === null ? null : (record as StoredRecord));
  }
}
