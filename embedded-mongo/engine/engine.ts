import { BSON } from 'bson';
import { ChangeLog, type ChangeOp } from './changes';
import { deepClone } from './clone';
import { Collection, ID_INDEX, withId, type ChangeObserver, type StoredRecord } from './collection';
import { EncodedRecord } from './encodedRecord';
import { mongoError } from './errors';
import { History } from './history';
import { Index } from './indexes';
import { Operations, type PlanRecorder } from './operations';
import type { PlanReport, PlanStats } from './planner';
import { compileFilter } from './query';
import { Transaction, type NamespaceChanges, type TransactionHost } from './transaction';
import type {
  AggregateOptions, CloneSummary, CollectionInfo, CreateIndexesResult, DatabaseInfo, DataOperations, DeleteResult, DeleteStatement,
  Document, EngineTransaction, Explainer, FindAndModifyOptions, FindAndModifyResult, FindOptions, IndexInfo, IndexSpec,
  InsertResult, StorageEngine, UpdateResult, UpdateStatement,
} from './types';
import { canonicalKey } from './values';
import { LockTable, WriteBlocked, type Workspace } from './workspace';

function validateName(kind: 'database' | 'collection', name: string): void {
  const invalid = kind === 'database' ? /[/\\. "$\0]/ : /[$\0]/;
  if (typeof name !== 'string' || name.length === 0 || invalid.test(name)) {
    throw mongoError('BadValue', `Invalid ${kind} name: ${JSON.stringify(name)}`);
  }
}

/** One collection as a snapshot holds it: its definition and its documents in natural order. */
export interface CollectionState {
  db: string;
  name: string;
  options: Document;
  indexes: IndexInfo[];
  /** The names of the indexes that are multikey. */
  multikey: string[];
  /** Documents, or their BSON when a document read back from a snapshot has not been decoded since. */
  docs: (Document | Uint8Array)[];
}

/**
 * The in-memory storage engine. Databases hold collections; a database exists while it has at least one
 * collection, as in MongoDB. Every method runs to completion synchronously, so a command never observes
 * another half done.
 *
 * Transactions: the engine keeps a logical clock that advances with every document change. A transaction reads
 * as of the clock at its start; while any transaction is open, the engine keeps the older versions of changed
 * documents (History) and the locks transactions hold (LockTable). Writes outside transactions wait for a
 * transaction that holds what they touch (WriteBlocked), as mongod's do.
 */
export class MemoryEngine implements StorageEngine, PlanRecorder, TransactionHost {
  private readonly databases = new Map<string, Map<string, Collection>>();

  /** How the most recent query found its documents: which index, and how many documents it examined. */
  readonly lastPlan: PlanStats = { index: null, docsExamined: 0 };
  lastReport: PlanReport | null = null;

  readonly history = new History();
  readonly locks = new LockTable();
  private readonly open = new Set<Transaction>();
  private clock = 0;
  /** Set by the durability layer: every change is then also collected for the journal. */
  private changeLog: ChangeLog | null = null;

  private readonly observer: ChangeObserver = {
    written: (collection, before, after) => {
      this.clock++;
      const record = (after ?? before) as StoredRecord;
      if (this.open.size > 0) this.history.record(collection.namespace, record.id, before ?? null, this.clock);
      if (this.changeLog) {
        if (after) this.changeLog.put(collection.db, collection.name, after.doc);
        else this.changeLog.delete(collection.db, collection.name, record.doc._id);
      }
    },
    clearing: (collection) => {
      this.clock++;
      if (this.open.size > 0) for (const record of collection.scan()) this.history.record(collection.namespace, record.id, record, this.clock);
      this.changeLog?.add({ op: 'clear', db: collection.db, coll: collection.name });
    },
  };

  /** Writes outside transactions: straight to the collections, waiting for transactions that hold what they touch. */
  private readonly committedWorkspace: Workspace = {
    source: (db, name) => this.collection(db, name),
    insert: (db, name, doc) => {
      const collection = this.collection(db, name) ?? this.ensureCollection(db, name).collection;
      if (this.locks.empty) return collection.insert(doc);
      const prepared = withId(doc);
      this.waitIfHeld(collection, canonicalKey(prepared._id), prepared);
      return collection.insert(prepared);
    },
    replace: (db, name, record, doc) => {
      const collection = this.collection(db, name) as Collection;
      if (!this.locks.empty) this.waitIfHeld(collection, record.id, doc);
      collection.replace(record, doc);
    },
    remove: (db, name, record) => {
      const collection = this.collection(db, name) as Collection;
      if (!this.locks.empty) this.waitIfHeld(collection, record.id, null);
      collection.remove(record);
    },
    checkWritable: (db, name, writes) => {
      const collection = this.collection(db, name);
      if (this.locks.empty || !collection) return;
      for (const { id, next } of writes) this.waitIfHeld(collection, id, next);
    },
    removeAll: (db, name, count) => {
      const collection = this.collection(db, name);
      if (!collection || count !== collection.size) return false;
      collection.clear();
      return true;
    },
    insertingMany: (db, name, count) => this.collection(db, name)?.prepareBulkInsert(count),
  };

  private readonly committed = new Operations(this.committedWorkspace, this);

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  validateNames(db: string, name: string): void {
    validateName('database', db);
    validateName('collection', name);
  }

  private ensureCollection(db: string, name: string, options: Document = {}): { collection: Collection; created: boolean } {
    const existing = this.collection(db, name);
    if (existing) return { collection: existing, created: false };
    this.validateNames(db, name);
    let collections = this.databases.get(db);
    if (!collections) {
      collections = new Map();
      this.databases.set(db, collections);
    }
    const collection = new Collection(db, name, options, this.observer);
    collections.set(name, collection);
    this.changeLog?.add({ op: 'create', db, coll: name, options });
    return { collection, created: true };
  }

  /** Throws WriteBlocked when an open transaction holds the document or one of the unique keys of its new version. */
  private waitIfHeld(collection: Collection, id: string, next: Document | null): void {
    const namespace = collection.namespace;
    const holder = this.locks.holder(LockTable.documentKey(namespace, id));
    if (holder) throw new WriteBlocked(holder.finished);
    if (next === null) return;
    for (const index of collection.indexes) {
      if (!index.unique) continue;
      for (const entry of index.entriesFor(next) ?? []) {
        const keyHolder = this.locks.holder(LockTable.uniqueKey(namespace, index.name, entry.key));
        if (keyHolder) throw new WriteBlocked(keyHolder.finished);
      }
    }
  }

  /** Aborts the open transactions that read or wrote a namespace a catalog change is about to change under them. */
  private abortTransactionsOn(touches: (namespace: string) => boolean): void {
    for (const transaction of [...this.open]) {
      if ([...transaction.touched].some(touches)) transaction.abort();
    }
  }

  listDatabases(): DatabaseInfo[] {
    return [...this.databases.entries()]
      .filter(([, collections]) => collections.size > 0)
      .map(([name, collections]) => {
        let sizeOnDisk = 0;
        for (const collection of collections.values()) for (const record of collection.scan()) sizeOnDisk += BSON.calculateObjectSize(record.doc);
        return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
      });
  }

  dropDatabase(db: string): void {
    if (!this.databases.has(db)) return;
    this.abortTransactionsOn((namespace) => namespace.startsWith(`${db}.`));
    for (const name of this.databases.get(db)?.keys() ?? []) this.history.dropNamespace(`${db}.${name}`);
    this.databases.delete(db);
    this.changeLog?.add({ op: 'dropDatabase', db });
  }

  /**
   * Makes database `to` a copy of database `from` as it is now: every collection with its options, indexes and
   * documents (committed ones; no open transaction's writes). The copy shares the stored documents and, until either
   * side writes, the maps that find them (Collection.copyTo), so it costs the structure only. Writes to either
   * database are never seen in the other. An extension of the embedded store: MongoDB has no such command.
   */
  cloneDatabase(from: string, to: string): CloneSummary {
    validateName('database', to);
    if (['admin', 'local', 'config'].includes(to)) throw mongoError('BadValue', `cloneDatabase: cannot clone into the ${to} database`);
    const source = this.databases.get(from);
    if (!source || source.size === 0) {
      throw mongoError('NamespaceNotFound', `cloneDatabase: source database '${from}' not found (expected an existing database to copy)`);
    }
    if ((this.databases.get(to)?.size ?? 0) > 0) {
      throw mongoError('NamespaceExists', `cloneDatabase: target database '${to}' already exists (expected a new name; drop it first to replace it)`);
    }
    const copies = new Map<string, Collection>();
    const summary: CloneSummary = { collections: 0, documents: 0, indexes: 0 };
    for (const [name, collection] of source) {
      copies.set(name, collection.copyTo(to, this.observer));
      summary.collections++;
      summary.documents += collection.size;
      summary.indexes += collection.indexes.length + 1;
    }
    this.databases.set(to, copies);
    this.changeLog?.add({ op: 'cloneDatabase', db: from, to });
    return summary;
  }

  /**
   * Takes a copy of every database of another engine, costing only the structure (see Collection.copyTo): how
   * in-memory stores start from a sample loaded once per process. The databases must not exist here yet.
   */
  copyDatabasesOf(other: MemoryEngine): void {
    for (const [db, collections] of other.databases) {
      if ((this.databases.get(db)?.size ?? 0) > 0) throw mongoError('NamespaceExists', `database '${db}' is loaded twice (expected each directory to hold other databases)`);
      this.databases.set(db, new Map([...collections].map(([name, collection]) => [name, collection.copyTo(db, this.observer)])));
    }
  }

  listCollections(db: string, filter?: Document): CollectionInfo[] {
    const infos: CollectionInfo[] = [...(this.databases.get(db)?.values() ?? [])].map((collection) => ({
      name: collection.name,
      type: 'collection',
      options: deepClone(collection.options),
      info: { readOnly: false },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }));
    const compiled = compileFilter(filter);
    return infos.filter((info) => compiled.test(info as unknown as Document));
  }

  createCollection(db: string, collection: string): void {
    if (this.collection(db, collection)) throw mongoError('NamespaceExists', `Collection ${db}.${collection} already exists.`);
    this.ensureCollection(db, collection);
  }

  dropCollection(db: string, collection: string): boolean {
    const collections = this.databases.get(db);
    if (!collections?.has(collection)) return false;
    const namespace = `${db}.${collection}`;
    this.abortTransactionsOn((touched) => touched === namespace);
    collections.delete(collection);
    this.history.dropNamespace(namespace);
    if (collections.size === 0) this.databases.delete(db);
    this.changeLog?.add({ op: 'drop', db, coll: collection });
    return true;
  }

  createIndexes(db: string, name: string, specs: IndexSpec[]): CreateIndexesResult {
    if (!Array.isArray(specs) || specs.length === 0) throw mongoError('BadValue', "Must specify at least one index to create in 'indexes'");
    const requested = specs.map((spec) => new Index(spec));
    const { collection, created } = this.ensureCollection(db, name);
    const before = collection.indexes.length + 1;
    const added: Index[] = [];
    try {
      for (const index of requested) {
        if (this.indexAlreadyExists(collection, index)) continue;
        // Open transactions checked their writes against the old indexes; they are aborted rather than trusted.
        if (added.length === 0) this.abortTransactionsOn((touched) => touched === collection.namespace);
        collection.addIndex(index);
        added.push(index);
      }
    } catch (error) {
      for (const index of added) collection.dropIndex(index);
      if (created) this.dropCollection(db, name);
      throw error;
    }
    if (added.length > 0) this.changeLog?.add({ op: 'createIndexes', db, coll: name, indexes: added.map((index) => index.info) });
    const result: CreateIndexesResult = { createdCollectionAutomatically: created, numIndexesBefore: before, numIndexesAfter: collection.indexes.length + 1 };
    if (added.length === 0) result.note = 'all indexes already exist';
    return result;
  }

  /** True for an identical existing index; a clash of name or key with different options is MongoDB's error. */
  private indexAlreadyExists(collection: Collection, index: Index): boolean {
    const idKey = canonicalKey({ _id: 1 });
    if (canonicalKey(index.key) === idKey || index.name === '_id_') {
      if (canonicalKey(index.key) === idKey && (index.name === '_id_' || index.name === '_id_1') && !index.unique && !index.sparse) return true;
      throw mongoError('BadValue', `The _id index cannot be redefined: ${JSON.stringify(index.info)}`);
    }
    const sameName = collection.findIndex(index.name);
    if (sameName) {
      if (sameName.sameSpec(index)) return true;
      throw mongoError(
        'IndexKeySpecsConflict',
        `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(index.info)}, existing index: ${JSON.stringify(sameName.info)}`,
      );
    }
    const sameKey = collection.indexes.find((existing) => canonicalKey(existing.key) === canonicalKey(index.key));
    if (sameKey && sameKey.sameSpec(index)) {
      throw mongoError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    }
    return false;
  }

  listIndexes(db: string, name: string): IndexInfo[] {
    const collection = this.collection(db, name);
    if (!collection) throw mongoError('NamespaceNotFound', `ns does not exist: ${db}.${name}`);
    return [deepClone(ID_INDEX), ...collection.indexes.map((index) => deepClone(index.info))];
  }

  dropIndexes(db: string, name: string, index: string | string[] | Document): { nIndexesWas: number } {
    const collection = this.collection(db, name);
    if (!collection) throw mongoError('NamespaceNotFound', `ns not found ${db}.${name}`);
    const nIndexesWas = collection.indexes.length + 1;
    const targets =
      index === '*'
        ? [...collection.indexes]
        : (Array.isArray(index) ? index : [index]).map((wanted) => {
            if (typeof wanted === 'string') {
              if (wanted === '_id_') throw mongoError('InvalidOptions', 'cannot drop _id index');
              const found = collection.findIndex(wanted);
              if (!found) throw mongoError('IndexNotFound', `index not found with name [${wanted}]`);
              return found;
            }
            if (canonicalKey(wanted) === canonicalKey({ _id: 1 })) throw mongoError('InvalidOptions', 'cannot drop _id index');
            const found = collection.indexes.find((existing) => canonicalKey(existing.key) === canonicalKey(wanted));
            if (!found) throw mongoError('IndexNotFound', `can't find index with key: ${JSON.stringify(wanted)}`);
            return found;
          });
    if (targets.length > 0) this.abortTransactionsOn((touched) => touched === collection.namespace);
    for (const target of targets) collection.dropIndex(target);
    if (targets.length > 0) this.changeLog?.add({ op: 'dropIndexes', db, coll: name, names: targets.map((target) => target.name) });
    return { nIndexesWas };
  }

  beginTransaction(): EngineTransaction {
    const transaction = new Transaction(this, this.clock);
    this.open.add(transaction);
    return transaction;
  }

  /** How many transactions are open (for serverStatus and tests). */
  get openTransactions(): number {
    return this.open.size;
  }

  ended(transaction: Transaction): void {
    this.open.delete(transaction);
    if (this.open.size === 0) this.history.clear();
    else this.history.prune(Math.min(...[...this.open].map((open) => open.readTs)));
  }

  /**
   * Applies a committed transaction: each collection's changes at once (uniqueness checked on the final state), and
   * when one collection fails, the collections already changed are put back, so the commit is all or nothing.
   */
  applyTransaction(changes: NamespaceChanges[]): void {
    const applied: { collection: Collection; undo: Map<string, Document | null>; created: boolean }[] = [];
    try {
      for (const { db, name, changes: byId } of changes) {
        const { collection, created } = this.ensureCollection(db, name);
        const undo = new Map<string, Document | null>();
        for (const id of byId.keys()) undo.set(id, collection.get(id)?.doc ?? null);
        applied.push({ collection, undo, created });
        collection.applyChanges(byId);
      }
    } catch (error) {
      for (const { collection, undo, created } of applied.reverse()) {
        collection.applyChanges(undo);
        if (created) this.dropCollection(collection.db, collection.name);
      }
      throw error;
    }
  }

  operations(transaction?: EngineTransaction): DataOperations & Explainer {
    if (!transaction) return this.committed;
    if (!(transaction instanceof Transaction) || !this.open.has(transaction)) {
      throw mongoError('NoSuchTransaction', 'Transaction is not open in this engine.');
    }
    return new Operations(transaction, this);
  }

  insert(db: string, name: string, documents: Document[], ordered: boolean, handOver = false): InsertResult {
    return this.committed.insert(db, name, documents, ordered, handOver);
  }

  update(db: string, name: string, updates: UpdateStatement[], ordered: boolean): UpdateResult {
    return this.committed.update(db, name, updates, ordered);
  }

  delete(db: string, name: string, deletes: DeleteStatement[], ordered: boolean): DeleteResult {
    return this.committed.delete(db, name, deletes, ordered);
  }

  find(db: string, name: string, options: FindOptions): Document[] {
    return this.committed.find(db, name, options);
  }

  findShared(db: string, name: string, options: FindOptions): Document[] {
    return this.committed.findShared(db, name, options);
  }

  count(db: string, name: string, query: Document = {}, skip?: number, limit?: number, hint?: Document | string): number {
    return this.committed.count(db, name, query, skip, limit, hint);
  }

  distinct(db: string, name: string, key: string, query: Document = {}): unknown[] {
    return this.committed.distinct(db, name, key, query);
  }

  aggregate(db: string, name: string | null, pipeline: Document[], options: AggregateOptions = {}): Document[] {
    return this.committed.aggregate(db, name, pipeline, options);
  }

  aggregateShared(db: string, name: string | null, pipeline: Document[], options: AggregateOptions = {}): Document[] {
    return this.committed.aggregateShared(db, name, pipeline, options);
  }

  findAndModify(db: string, name: string, options: FindAndModifyOptions): FindAndModifyResult {
    return this.committed.findAndModify(db, name, options);
  }

  stats(db?: string): { collections: number; objects: number; indexes: number } {
    const totals = { collections: 0, objects: 0, indexes: 0 };
    for (const [name, collections] of this.databases) {
      if (db !== undefined && name !== db) continue;
      for (const collection of collections.values()) {
        totals.collections++;
        totals.objects += collection.size;
        totals.indexes += collection.indexes.length + 1;
      }
    }
    return totals;
  }

  /** Starts collecting every change for the journal; returns the log the durability layer takes them from. */
  captureChanges(): ChangeLog {
    this.changeLog ??= new ChangeLog();
    return this.changeLog;
  }

  /**
   * Every collection with its definition and documents, as of now. Stored documents are never modified in place, so
   * the lists stay valid while later writes go on, and a snapshot can be written from them at leisure.
   */
  captureState(): CollectionState[] {
    const state: CollectionState[] = [];
    for (const collections of this.databases.values()) {
      for (const collection of collections.values()) {
        state.push({
          db: collection.db,
          name: collection.name,
          options: collection.options,
          indexes: collection.indexes.map((index) => index.info),
          multikey: collection.indexes.filter((index) => index.multikey).map((index) => index.name),
          docs: Array.from(collection.scan(), (record) => (record instanceof EncodedRecord ? record.encoded : record.doc)),
        });
      }
    }
    return state;
  }

  /**
   * Creates a collection with its indexes while loading a snapshot, each built when first used. `multikey` names the
   * indexes that were multikey, when the snapshot says (snapshots written before it did leave it undefined).
   */
  restoreCollection(db: string, name: string, options: Document, indexes: IndexInfo[], multikey?: string[]): void {
    const { collection } = this.ensureCollection(db, name, options);
    if (indexes.length > 0) this.createIndexes(db, name, indexes as IndexSpec[]);
    collection.deferIndexes(multikey ? new Set(multikey) : null);
  }

  /** Adds documents, as BSON and in natural order, while loading a snapshot. */
  restoreDocuments(db: string, name: string, docs: Iterable<Uint8Array>): void {
    const collection = this.collection(db, name);
    if (!collection) throw mongoError('InternalError', `snapshot documents for ${db}.${name} come before its collection`);
    collection.restore(docs);
  }

  /**
   * Bulk-loads documents given as BSON into a collection, creating it when missing (see Collection.load). For the
   * process that owns the store, while no transaction is open; returns how many were loaded.
   */
  load(db: string, name: string, docs: Iterable<Uint8Array>): number {
    if (this.openTransactions > 0) throw mongoError('InternalError', `cannot bulk-load ${db}.${name} while ${this.openTransactions} transaction(s) are open`);
    return this.ensureCollection(db, name).collection.load(docs);
  }

  /**
   * Replays one journal record. Document changes are gathered per collection and applied with applyChanges, so a
   * transaction's record is applied all at once, exactly as its commit was; catalog changes apply in order between.
   */
  replay(ops: ChangeOp[]): void {
    const pending = new Map<string, NamespaceChanges>();
    const flush = () => {
      for (const { db, name, changes } of pending.values()) this.ensureCollection(db, name).collection.applyChanges(changes);
      pending.clear();
    };
    const changesOf = (db: string, name: string) => {
      const key = `${db}.${name}`;
      let entry = pending.get(key);
      if (!entry) {
        entry = { db, name, changes: new Map() };
        pending.set(key, entry);
      }
      return entry.changes;
    };
    for (const op of ops) {
      switch (op.op) {
        case 'put': {
          const changes = changesOf(op.db, op.coll);
          for (const doc of op.docs) changes.set(canonicalKey(doc._id), doc);
          break;
        }
        case 'delete': {
          const changes = changesOf(op.db, op.coll);
          for (const id of op.ids) changes.set(canonicalKey(id), null);
          break;
        }
        default:
          flush();
          this.replayCatalog(op);
      }
    }
    flush();
  }

  private replayCatalog(op: Exclude<ChangeOp, { op: 'put' | 'delete' }>): void {
    switch (op.op) {
      case 'clear':
        this.collection(op.db, op.coll)?.clear();
        return;
      case 'create':
        this.ensureCollection(op.db, op.coll, op.options);
        return;
      case 'drop':
        this.dropCollection(op.db, op.coll);
        return;
      case 'dropDatabase':
        this.dropDatabase(op.db);
        return;
      case 'createIndexes':
        this.createIndexes(op.db, op.coll, op.indexes as IndexSpec[]);
        return;
      case 'dropIndexes':
        this.dropIndexes(op.db, op.coll, op.names);
        return;
      case 'cloneDatabase':
        this.cloneDatabase(op.db, op.to);
        return;
    }
  }
}
