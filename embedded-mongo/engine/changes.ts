import type { Document, IndexInfo } from './types';

/**
 * One effect on stored data, as the journal records it: the new version of documents (put), removals by `_id`, and
 * the catalog changes. Changes are physical, the documents as stored, so that replaying them needs no query, update
 * or `_id` generation and gives back exactly the state that was acknowledged.
 */
export type ChangeOp =
  | { op: 'put'; db: string; coll: string; docs: Document[] }
  | { op: 'delete'; db: string; coll: string; ids: unknown[] }
  | { op: 'clear'; db: string; coll: string }
  | { op: 'create'; db: string; coll: string; options: Document }
  | { op: 'drop'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'createIndexes'; db: string; coll: string; indexes: IndexInfo[] }
  | { op: 'dropIndexes'; db: string; coll: string; names: string[] }
  /** A copy of database `db` as it was at this point of the journal, made into the new database `to`. */
  | { op: 'cloneDatabase'; db: string; to: string };

/**
 * The changes made since the last `take`: the engine appends to it as it changes data, and the durability layer takes
 * them after each command (or commit) to write them as one journal record. Consecutive puts or deletes on the same
 * collection share one op, so a bulk insert is one op holding every document.
 */
export class ChangeLog {
  private ops: ChangeOp[] = [];

  get empty(): boolean {
    return this.ops.length === 0;
  }

  put(db: string, coll: string, doc: Document): void {
    const last = this.ops[this.ops.length - 1];
    if (last?.op === 'put' && last.db === db && last.coll === coll) last.docs.push(doc);
    else this.ops.push({ op: 'put', db, coll, docs: [doc] });
  }

  delete(db: string, coll: string, id: unknown): void {
    const last = this.ops[this.ops.length - 1];
    if (last?.op === 'delete' && last.db === db && last.coll === coll) last.ids.push(id);
    else this.ops.push({ op: 'delete', db, coll, ids: [id] });
  }

  add(op: ChangeOp): void {
    this.ops.push(op);
  }

  take(): ChangeOp[] {
    const ops = this.ops;
    this.ops = [];
    return ops;
  }
}
