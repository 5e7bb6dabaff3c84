import { BSON } from 'bson';
import { flatten, resolve } from 'mingo/util';
import { runPipeline, validatePipeline } from './aggregate';
import { deepClone } from './clone';
import { Collection, ID_INDEX, type StoredRecord } from './collection';
import { MongoError, mongoError } from './errors';
import { Index } from './indexes';
import { matchRecords, resolveHint, type PlanStats } from './planner';
import { projectionKeepsInputIntact } from './copies';
import { compileFilter, projectDocuments } from './query';
import { sortDocuments } from './sort';
import type {
  AggregateOptions, CollectionInfo, CreateIndexesResult, DatabaseInfo, DeleteResult, DeleteStatement, Document, FindAndModifyOptions,
  FindAndModifyResult, FindOptions, IndexInfo, IndexSpec, InsertResult, StorageEngine, UpdateResult, UpdateStatement,
  WriteError,
} from './types';
import { applyUpdate, buildUpsert, updateKind } from './update';
import { canonicalKey, compareValues } from './values';

/** Turns any failure of one write into MongoDB's `writeErrors[i]` shape. */
function writeError(index: number, error: unknown): WriteError {
  if (error instanceof MongoError) {
    const result: WriteError = { index, code: error.code, codeName: error.codeName, errmsg: error.message };
    if (error.extra.keyPattern) result.keyPattern = error.extra.keyPattern as Document;
    if (error.extra.keyValue) result.keyValue = error.extra.keyValue as Document;
    return result;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { index, code: 1, codeName: 'InternalError', errmsg: message };
}

function validateName(kind: 'database' | 'collection', name: string): void {
  const invalid = kind === 'database' ? /[/\\. "$\0]/ : /[$\0]/;
  if (typeof name !== 'string' || name.length === 0 || invalid.test(name)) {
    throw mongoError('BadValue', `Invalid ${kind} name: ${JSON.stringify(name)}`);
  }
}

function nonNegative(name: string, value: number | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n) || n < 0) throw mongoError('BadValue', `${name} must be a non-negative number, got ${String(value)}`);
  return n;
}

/**
 * The in-memory storage engine. Databases hold collections; a database exists while it has at least one
 * collection, as in MongoDB. Every method runs to completion synchronously, so a command never observes
 * another half done.
 */
export class MemoryEngine implements StorageEngine {
  private readonly databases = new Map<string, Map<string, Collection>>();

  /** How the most recent query found its documents: which index, and how many documents it examined. */
  readonly lastPlan: PlanStats = { index: null, docsExamined: 0 };

  private collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  private ensureCollection(db: string, name: string): { collection: Collection; created: boolean } {
    const existing = this.collection(db, name);
    if (existing) return { collection: existing, created: false };
    validateName('database', db);
    validateName('collection', name);
    let collections = this.databases.get(db);
    if (!collections) {
      collections = new Map();
      this.databases.set(db, collections);
    }
    const collection = new Collection(db, name);
    collections.set(name, collection);
    return { collection, created: true };
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
    this.databases.delete(db);
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
    if (!collections?.delete(collection)) return false;
    if (collections.size === 0) this.databases.delete(db);
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
        collection.addIndex(index);
        added.push(index);
      }
    } catch (error) {
      for (const index of added) collection.dropIndex(index);
      if (created) this.dropCollection(db, name);
      throw error;
    }
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
    if (index === '*') {
      for (const existing of [...collection.indexes]) collection.dropIndex(existing);
      return { nIndexesWas };
    }
    const targets = (Array.isArray(index) ? index : [index]).map((wanted) => {
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
    for (const target of targets) collection.dropIndex(target);
    return { nIndexesWas };
  }

  insert(db: string, name: string, documents: Document[], ordered: boolean, handOver = false): InsertResult {
    const result: InsertResult = { n: 0, writeErrors: [] };
    if (documents.length === 0) return result;
    const { collection } = this.ensureCollection(db, name);
    for (let i = 0; i < documents.length; i++) {
      try {
        collection.insert(handOver ? documents[i] : deepClone(documents[i]));
        result.n++;
      } catch (error) {
        result.writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
    return result;
  }

  update(db: string, name: string, updates: UpdateStatement[], ordered: boolean): UpdateResult {
    const result: UpdateResult = { n: 0, nModified: 0, upserted: [], writeErrors: [] };
    for (let i = 0; i < updates.length; i++) {
      try {
        this.updateOne(db, name, updates[i], i, result);
      } catch (error) {
        result.writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
    return result;
  }

  private updateOne(db: string, name: string, statement: UpdateStatement, position: number, result: UpdateResult): void {
    const kind = updateKind(statement.u);
    if (statement.multi && kind === 'replacement') {
      throw mongoError('FailedToParse', 'multi update is not supported for replacement-style update');
    }
    const query = statement.q ?? {};
    const context = { query, arrayFilters: statement.arrayFilters };
    const compiled = compileFilter(query);
    const existing = this.collection(db, name);
    const matched = existing ? matchRecords(existing, query, compiled, this.lastPlan, { limit: statement.multi ? undefined : 1 }) : [];
    if (existing && matched.length > 0) {
      for (const record of matched) {
        const next = applyUpdate(record.doc, statement.u, context);
        const changed = canonicalKey(next) !== canonicalKey(record.doc);
        if (changed) existing.replace(record, next);
        result.n++;
        if (changed) result.nModified++;
      }
      return;
    }
    if (!statement.upsert) return;
    const doc = buildUpsert(statement.u, context);
    this.ensureCollection(db, name).collection.insert(doc);
    result.n++;
    result.upserted.push({ index: position, _id: deepClone(doc._id) });
  }

  delete(db: string, name: string, deletes: DeleteStatement[], ordered: boolean): DeleteResult {
    const result: DeleteResult = { n: 0, writeErrors: [] };
    const collection = this.collection(db, name);
    for (let i = 0; i < deletes.length; i++) {
      try {
        const { q = {}, limit } = deletes[i];
        if (limit !== 0 && limit !== 1) throw mongoError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`);
        const compiled = compileFilter(q);
        if (!collection) continue;
        const matched = matchRecords(collection, q, compiled, this.lastPlan, { limit: limit === 1 ? 1 : undefined });
        if (matched.length === collection.size) collection.clear();
        else for (const record of matched) collection.remove(record);
        result.n += matched.length;
      } catch (error) {
        result.writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
    return result;
  }

  /** Matching records in result order: natural order, or sorted; skip and limit applied. */
  private select(collection: Collection, filter: Document, options: { sort?: Document; skip?: number; limit?: number; hint?: Document | string }): StoredRecord[] {
    const compiled = compileFilter(filter);
    const skip = nonNegative('skip', options.skip);
    const limit = Math.abs(Number(options.limit ?? 0));
    const sorting = options.sort !== undefined && Object.keys(options.sort).length > 0;
    // Without a sort the scan can stop as soon as it has enough documents.
    const stopAfter = !sorting && limit > 0 ? skip + limit : undefined;
    let records = matchRecords(collection, filter, compiled, this.lastPlan, { hint: options.hint, limit: stopAfter });
    if (sorting) {
      const byDoc = new Map(records.map((r) => [r.doc, r]));
      records = sortDocuments(records.map((r) => r.doc), options.sort as Document).map((doc) => byDoc.get(doc) as StoredRecord);
    }
    return records.slice(skip, limit > 0 ? skip + limit : undefined);
  }

  find(db: string, name: string, options: FindOptions): Document[] {
    return this.findShared(db, name, options).map(deepClone);
  }

  findShared(db: string, name: string, options: FindOptions): Document[] {
    const collection = this.collection(db, name);
    const filter = options.filter ?? {};
    if (!collection) {
      compileFilter(filter);
      this.lastPlan.index = null;
      this.lastPlan.docsExamined = 0;
      return [];
    }
    const docs = this.select(collection, filter, options).map((r) => r.doc);
    const { projection } = options;
    // Most projections build new documents; the few that edit their input get copies to edit.
    const intact = !projection || projectionKeepsInputIntact(projection);
    return projectDocuments(intact ? docs : docs.map(deepClone), projection);
  }

  count(db: string, name: string, query: Document = {}, skip?: number, limit?: number): number {
    const collection = this.collection(db, name);
    if (!collection) {
      compileFilter(query);
      return 0;
    }
    return this.select(collection, query, { skip, limit }).length;
  }

  distinct(db: string, name: string, key: string, query: Document = {}): unknown[] {
    if (typeof key !== 'string' || key.length === 0) throw mongoError('BadValue', `distinct needs a field name as 'key', got ${JSON.stringify(key)}`);
    const collection = this.collection(db, name);
    if (!collection) {
      compileFilter(query);
      return [];
    }
    const seen = new Map<string, unknown>();
    for (const record of this.select(collection, query, {})) {
      const value = resolve(record.doc, key, { unwrapArray: true });
      if (value === undefined) continue;
      const values = Array.isArray(value) ? flatten(value, key.split('.').length - 1) : [value];
      for (const v of values) {
        const canonical = canonicalKey(v);
        if (!seen.has(canonical)) seen.set(canonical, v);
      }
    }
    return [...seen.values()].sort(compareValues).map(deepClone);
  }

  aggregate(db: string, name: string | null, pipeline: Document[], options: AggregateOptions = {}): Document[] {
    return this.aggregateShared(db, name, pipeline, options).map(deepClone);
  }

  aggregateShared(db: string, name: string | null, pipeline: Document[], options: AggregateOptions = {}): Document[] {
    validatePipeline(pipeline);
    const readCollection = (other: string, copy: boolean) => {
      const docs = [...(this.collection(db, other)?.scan() ?? [])].map((r) => r.doc);
      return copy ? docs.map(deepClone) : docs;
    };
    const collection = name === null ? undefined : this.collection(db, name);
    if (!collection) return runPipeline([], pipeline, readCollection);
    // A leading $match is answered like a find, so that it can use the _id index and secondary indexes.
    let stages = pipeline;
    let records: StoredRecord[];
    const first = stages[0];
    if (first && '$match' in first) {
      const filter = (first.$match ?? {}) as Document;
      records = matchRecords(collection, filter, compileFilter(filter), this.lastPlan, { hint: options.hint });
      stages = stages.slice(1);
    } else {
      // Without a $match every document is read anyway; the hint is still checked, as mongod does.
      if (options.hint !== undefined) resolveHint(collection, options.hint);
      records = [...collection.scan()];
      this.lastPlan.index = null;
      this.lastPlan.docsExamined = records.length;
    }
    return runPipeline(records.map((r) => r.doc), stages, readCollection);
  }

  findAndModify(db: string, name: string, options: FindAndModifyOptions): FindAndModifyResult {
    const { remove = false, update, upsert = false } = options;
    if (remove && update !== undefined) throw mongoError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (!remove && update === undefined) throw mongoError('FailedToParse', 'Either an update or remove=true must be specified');
    if (remove && upsert) throw mongoError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
    if (remove && options.new) throw mongoError('FailedToParse', 'Cannot specify both new=true and remove=true; remove always returns the deleted document');
    if (update !== undefined) updateKind(update);
    const query = options.query ?? {};
    const collection = this.collection(db, name);
    const [record] = collection ? this.select(collection, query, { sort: options.sort, limit: 1 }) : [];
    const project = (doc: Document | null) => (doc === null ? null : projectDocuments([deepClone(doc)], options.fields)[0]);
    if (remove) {
      if (!record || !collection) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
      collection.remove(record);
      return { value: project(record.doc), lastErrorObject: { n: 1, updatedExisting: false } };
    }
    const context = { query, arrayFilters: options.arrayFilters };
    if (record && collection) {
      const next = applyUpdate(record.doc, update as Document | Document[], context);
      if (canonicalKey(next) !== canonicalKey(record.doc)) collection.replace(record, next);
      return { value: project(options.new ? next : record.doc), lastErrorObject: { n: 1, updatedExisting: true } };
    }
    if (!upsert) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
    const doc = buildUpsert(update as Document | Document[], context);
    this.ensureCollection(db, name).collection.insert(doc);
    return {
      value: options.new ? project(doc) : null,
      lastErrorObject: { n: 1, updatedExisting: false, upserted: deepClone(doc._id) },
    };
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
}
