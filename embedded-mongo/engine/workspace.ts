import type { StoredRecord } from './collection';
import type { RecordSource } from './planner';
import type { Document } from './types';

/**
 * Where the data operations (insert, update, find, ...) read and write: the committed collections, or one
 * transaction's view of them. The operations are the same code either way; only the workspace differs.
 */
export interface Workspace {
  /** The collection as this workspace sees it, or undefined when it has none by that name. */
  source(db: string, name: string): RecordSource | undefined;
  /** Stores a new document (generating its `_id` when missing); the caller's object becomes stored data. */
  insert(db: string, name: string, doc: Document): StoredRecord;
  /** Stores a new version of a document read from `source`. */
  replace(db: string, name: string, record: StoredRecord, doc: Document): void;
  remove(db: string, name: string, record: StoredRecord): void;
  /**
   * Throws before a statement changes anything when one of its writes cannot go ahead now (another transaction holds
   * the document), so that a statement is never half applied and then repeated.
   */
  checkWritable(db: string, name: string, writes: readonly { id: string; next: Document | null }[]): void;
  /** Removes every document of a collection at once when it may; false when the caller must remove them one by one. */
  removeAll(db: string, name: string, count: number): boolean;
  /** Told before an insert of `count` documents, which may be a bulk load (see Collection.prepareBulkInsert). */
  insertingMany(db: string, name: string, count: number): void;
}

/**
 * Thrown by a write outside any transaction that touches what an open transaction has written: mongod makes such a
 * write wait until the transaction ends, and so does the store (the command waits for `until`, then carries on).
 */
export class WriteBlocked extends Error {
  constructor(readonly until: Promise<void>) {
    super('the write waits for a transaction that holds the document');
    this.name = 'WriteBlocked';
  }
}

/** Who holds a lock: an open transaction, with a promise settled when it ends. */
export interface LockHolder {
  readonly finished: Promise<void>;
}

/**
 * The documents and unique keys that open transactions have written: first writer wins. Another transaction that
 * writes the same document or unique key gets a WriteConflict; a write outside any transaction waits.
 */
export class LockTable {
  private readonly holders = new Map<string, LockHolder>();

  get empty(): boolean {
    return this.holders.size === 0;
  }

  static documentKey(namespace: string, id: string): string {
    return `${namespace}\0${id}`;
  }

  static uniqueKey(namespace: string, index: string, key: string): string {
    return `${namespace}\0${index}\0${key}`;
  }

  holder(key: string): LockHolder | undefined {
    return this.holders.get(key);
  }

  /** Takes a lock unless another holder has it; returns the other holder, or undefined when taken (or already held). */
  acquire(key: string, holder: LockHolder): LockHolder | undefined {
    const current = this.holders.get(key);
    if (current && current !== holder) return current;
    this.holders.set(key, holder);
    return undefined;
  }

  release(keys: Iterable<string>, holder: LockHolder): void {
    for (const key of keys) if (this.holders.get(key) === holder) this.holders.delete(key);
  }
}
