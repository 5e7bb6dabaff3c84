/**
 * The contract between the wire-protocol server (embedded-mongo/server, commands) and the storage engine
 * (embedded-mongo/engine). The server parses commands and shapes replies; the engine owns documents,
 * indexes, query semantics and transactions. Everything here is synchronous: the store is in memory and
 * single-threaded, so each engine call runs to completion before the next one starts, which is what makes a
 * statement (and a transaction's commit) all-or-nothing.
 *
 * Values: documents reach the engine as bson.deserialize() returns them with `{ promoteLongs: false }`:
 * strings, booleans, null, JS numbers for int32 and double, Long for int64, Decimal128, ObjectId, Date,
 * Binary, RegExp, nested objects and arrays. Results go back to bson.serialize() as they are.
 */
import type { PlanReport } from './planner';

export type Document = Record<string, unknown>;

/** One failed write inside a batch, shaped as MongoDB shapes `writeErrors[i]`. */
export interface WriteError {
  /** Position of the failed operation within the batch the command sent. */
  index: number;
  code: number;
  codeName?: string;
  errmsg: string;
  /** For duplicate keys (code 11000): the index's key pattern and the offending key value. */
  keyPattern?: Document;
  keyValue?: Document;
}

/**
 * Where a batch outside any transaction stopped because statement `index` touches what an open transaction has
 * written: nothing of that statement was applied; the caller waits for `until` and runs the rest from `index`.
 */
export interface Blocked {
  index: number;
  until: Promise<void>;
}

export interface InsertResult {
  n: number;
  writeErrors: WriteError[];
  blocked?: Blocked;
}

export interface UpdateStatement {
  q: Document;
  /** An update document ($set, $inc, ...), a replacement document, or an aggregation pipeline. */
  u: Document | Document[];
  upsert?: boolean;
  multi?: boolean;
  arrayFilters?: Document[];
}

export interface UpdateResult {
  /** Documents matched, plus upserted ones, as MongoDB counts `n`. */
  n: number;
  nModified: number;
  upserted: { index: number; _id: unknown }[];
  writeErrors: WriteError[];
  blocked?: Blocked;
}

export interface DeleteStatement {
  q: Document;
  /** 0 deletes every match; 1 deletes the first. */
  limit: number;
}

export interface DeleteResult {
  n: number;
  writeErrors: WriteError[];
  blocked?: Blocked;
}

export interface FindOptions {
  filter?: Document;
  projection?: Document;
  sort?: Document;
  skip?: number;
  /** 0 or absent means no limit. */
  limit?: number;
  /** An index hint; `{ $natural: 1 }` forces a full scan (the benchmark uses it as its baseline). */
  hint?: Document | string;
}

export interface AggregateOptions {
  /** An index hint for a leading `$match`; `{ $natural: 1 }` forces a full scan. */
  hint?: Document | string;
}

export interface FindAndModifyOptions {
  query?: Document;
  sort?: Document;
  update?: Document | Document[];
  remove?: boolean;
  /** Return the document after the change instead of before it. */
  new?: boolean;
  upsert?: boolean;
  fields?: Document;
  arrayFilters?: Document[];
}

export interface FindAndModifyResult {
  value: Document | null;
  lastErrorObject: { n: number; updatedExisting: boolean; upserted?: unknown };
}

export interface IndexSpec {
  key: Document;
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  background?: boolean;
}

export interface IndexInfo {
  v: 2;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
}

export interface CreateIndexesResult {
  createdCollectionAutomatically: boolean;
  numIndexesBefore: number;
  numIndexesAfter: number;
  note?: string;
}

export interface CollectionInfo {
  name: string;
  type: 'collection';
  options: Document;
  info: { readOnly: false };
  idIndex: { v: 2; key: { _id: 1 }; name: '_id_' };
}

/** What cloneDatabase copied. */
export interface CloneSummary {
  collections: number;
  documents: number;
  indexes: number;
}

export interface DatabaseInfo {
  name: string;
  sizeOnDisk: number;
  empty: boolean;
}

/**
 * The data operations, on the committed collections or inside one transaction. Method errors are thrown as
 * MongoError (see errors.ts) carrying MongoDB's code and codeName, except per-document write failures, which come
 * back in `writeErrors` so that ordered batches stop at the first one and unordered batches go on, as MongoDB does.
 *
 * Every document returned is a fresh copy (except from findShared and aggregateShared, whose callers promise not to
 * modify what they get): no caller can change stored data through a result, and no query, update or pipeline
 * changes a stored document except through a write method.
 */
export interface DataOperations {
  /**
   * Stores copies of the documents. With `handOver` the caller gives the documents themselves to the store and must
   * never touch them again (the server does this with documents it has just decoded from a request), which saves
   * copying every inserted document.
   */
  insert(db: string, collection: string, documents: Document[], ordered: boolean, handOver?: boolean): InsertResult;
  update(db: string, collection: string, updates: UpdateStatement[], ordered: boolean): UpdateResult;
  delete(db: string, collection: string, deletes: DeleteStatement[], ordered: boolean): DeleteResult;

  find(db: string, collection: string, options: FindOptions): Document[];
  /**
   * find for a caller that only reads the result and never modifies it (the server serialises it to BSON): the
   * documents may be the stored ones or share values with them, which saves copying every returned document.
   */
  findShared(db: string, collection: string, options: FindOptions): Document[];
  count(db: string, collection: string, query?: Document, skip?: number, limit?: number, hint?: Document | string): number;
  distinct(db: string, collection: string, key: string, query?: Document): unknown[];
  /** `collection` is null for a database-level pipeline (`aggregate: 1`). */
  aggregate(db: string, collection: string | null, pipeline: Document[], options?: AggregateOptions): Document[];
  /** aggregate for a caller that never modifies the result, as findShared. */
  aggregateShared(db: string, collection: string | null, pipeline: Document[], options?: AggregateOptions): Document[];
  findAndModify(db: string, collection: string, options: FindAndModifyOptions): FindAndModifyResult;
}

/**
 * A multi-document transaction, as the engine runs it: reads see the committed data as of its first statement plus
 * its own writes; its writes stay invisible to everyone else until `commit` applies them all in one step.
 */
export interface EngineTransaction {
  readonly state: 'active' | 'committed' | 'aborted';
  /** Settled when the transaction commits or aborts. */
  readonly finished: Promise<void>;
  /** Applies every write at once, or throws (WriteConflict, DuplicateKey) having applied nothing and aborted. */
  commit(): void;
  abort(): void;
}

/** The storage engine: catalog commands, the data operations on committed data, and transactions. */
export interface StorageEngine extends DataOperations {
  listDatabases(): DatabaseInfo[];
  dropDatabase(db: string): void;
  /**
   * Copies database `from`, as it is now, into the new database `to` (an embedded-store extension, for tests).
   * Throws NamespaceNotFound (26) when `from` does not exist and NamespaceExists (48) when `to` does.
   */
  cloneDatabase(from: string, to: string): CloneSummary;
  listCollections(db: string, filter?: Document): CollectionInfo[];
  /** Throws NamespaceExists (48) when the collection exists. */
  createCollection(db: string, collection: string): void;
  /** Returns false when there was no such collection. */
  dropCollection(db: string, collection: string): boolean;

  createIndexes(db: string, collection: string, specs: IndexSpec[]): CreateIndexesResult;
  /** Throws NamespaceNotFound (26) when the collection does not exist. */
  listIndexes(db: string, collection: string): IndexInfo[];
  /** `index` is a name, a list of names, a key pattern, or '*' for all but _id_. */
  dropIndexes(db: string, collection: string, index: string | string[] | Document): { nIndexesWas: number };

  /** Opens a transaction; its snapshot is the committed data as of now. */
  beginTransaction(): EngineTransaction;
  /** The data operations inside a transaction, or on committed data without one. */
  operations(transaction?: EngineTransaction): DataOperations & Explainer;

  /** Totals for serverStatus and dbStats. */
  stats(db?: string): { collections: number; objects: number; indexes: number };
}

/** Runs a query only to report what it does, for the explain command. */
export interface Explainer {
  explainQuery(db: string, collection: string, shape: { filter: Document; sort?: Document; skip?: number; limit?: number; hint?: Document | string }): PlanReport | null;
}
