import { flatten, resolve } from 'mingo/util';
import { runPipeline, validatePipeline } from './aggregate';
import { deepClone } from './clone';
import type { StoredRecord } from './collection';
import { projectionKeepsInputIntact } from './copies';
import { MongoError, mongoError } from './errors';
import { planStats, resolveHint, runQuery, type PlanReport, type PlanStats, type QueryShape, type RecordSource } from './planner';
import { planGroup, runGroup } from './group';
import { compileFilter, projectDocuments, toMongoError } from './query';
import type {
  AggregateOptions, Blocked, DataOperations, DeleteResult, DeleteStatement, Document, FindAndModifyOptions, FindAndModifyResult,
  FindOptions, InsertResult, UpdateResult, UpdateStatement, WriteError,
} from './types';
import { applyUpdate, buildUpsert, updateKind } from './update';
import { canonicalKey, compareValues } from './values';
import { WriteBlocked, type Workspace } from './workspace';

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

function nonNegative(name: string, value: number | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n) || n < 0) throw mongoError('BadValue', `${name} must be a non-negative number, got ${String(value)}`);
  return n;
}

/** Where the latest query's plan is kept: PlanStats for tests and the benchmark, the full report for explain. */
export interface PlanRecorder {
  readonly lastPlan: PlanStats;
  lastReport: PlanReport | null;
}

/** The leading stages of a pipeline that run as a find: `$match`, then `$sort`, `$skip` and `$limit`, each optional. */
function leadingQuery(pipeline: Document[]): { shape: Omit<QueryShape, 'hint'>; consumed: number } | null {
  let consumed = 0;
  const shape: Omit<QueryShape, 'hint'> = { filter: {} };
  const spec = (name: string) => (pipeline[consumed] && name in pipeline[consumed] ? pipeline[consumed][name] : undefined);
  const match = spec('$match');
  if (typeof match === 'object' && match !== null && !Array.isArray(match)) {
    shape.filter = match as Document;
    consumed++;
  }
  const sort = spec('$sort');
  if (typeof sort === 'object' && sort !== null && !Array.isArray(sort)) {
    shape.sort = sort as Document;
    consumed++;
  }
  // Malformed $skip and $limit stay in the pipeline, which refuses them with MongoDB's messages.
  const skip = Number(spec('$skip'));
  if (Number.isInteger(skip) && skip >= 0) {
    shape.skip = skip;
    consumed++;
  }
  const limit = Number(spec('$limit'));
  if (Number.isInteger(limit) && limit > 0) {
    shape.limit = limit;
    consumed++;
  }
  return consumed > 0 ? { shape, consumed } : null;
}

/**
 * The data operations of the engine (insert, update, delete, find, count, distinct, aggregate, findAndModify) over
 * one workspace: the committed collections, or a transaction. Every method runs to completion synchronously, so a
 * command never observes another half done; a write outside a transaction that must wait for one stops before the
 * statement that must wait and reports where (`blocked`), so the caller can wait and carry on from there.
 */
export class Operations implements DataOperations {
  constructor(
    private readonly workspace: Workspace,
    private readonly plans: PlanRecorder,
  ) {}

  /** Runs a query over a source and records its plan. */
  private query(source: RecordSource, shape: QueryShape): StoredRecord[] {
    const { records, report } = runQuery(source, shape, () => compileFilter(shape.filter));
    planStats(report, this.plans.lastPlan);
    this.plans.lastReport = report;
    return records;
  }

  /** What a query on a collection that does not exist did: nothing, after checking the filter. */
  private nothing(filter: Document): [] {
    compileFilter(filter);
    this.plans.lastPlan.index = null;
    this.plans.lastPlan.docsExamined = 0;
    this.plans.lastReport = null;
    return [];
  }

  insert(db: string, name: string, documents: Document[], ordered: boolean, handOver = false): InsertResult {
    const result: InsertResult = { n: 0, writeErrors: [] };
    this.workspace.insertingMany(db, name, documents.length);
    return eachStatement(documents, ordered, result, (document) => {
      this.workspace.insert(db, name, handOver ? document : deepClone(document));
      result.n++;
    });
  }

  update(db: string, name: string, updates: UpdateStatement[], ordered: boolean): UpdateResult {
    const result: UpdateResult = { n: 0, nModified: 0, upserted: [], writeErrors: [] };
    return eachStatement(updates, ordered, result, (update, i) => this.updateOne(db, name, update, i, result));
  }

  private updateOne(db: string, name: string, statement: UpdateStatement, position: number, result: UpdateResult): void {
    const kind = updateKind(statement.u);
    if (statement.multi && kind === 'replacement') {
      throw mongoError('FailedToParse', 'multi update is not supported for replacement-style update');
    }
    const query = statement.q ?? {};
    const context = { query, arrayFilters: statement.arrayFilters };
    const source = this.workspace.source(db, name);
    const matched = source ? this.query(source, { filter: query, limit: statement.multi ? 0 : 1 }) : this.nothing(query);
    if (matched.length > 0) {
      const changes: { record: StoredRecord; next: Document }[] = [];
      for (const record of matched) {
        const next = applyUpdate(record.doc, statement.u, context);
        if (canonicalKey(next) !== canonicalKey(record.doc)) changes.push({ record, next });
      }
      this.workspace.checkWritable(db, name, changes.map(({ record, next }) => ({ id: record.id, next })));
      for (const { record, next } of changes) {
        this.workspace.replace(db, name, record, next);
        result.nModified++;
      }
      result.n += matched.length;
      return;
    }
    if (!statement.upsert) return;
    const doc = buildUpsert(statement.u, context);
    const record = this.workspace.insert(db, name, doc);
    result.n++;
    result.upserted.push({ index: position, _id: deepClone(record.doc._id) });
  }

  delete(db: string, name: string, deletes: DeleteStatement[], ordered: boolean): DeleteResult {
    const result: DeleteResult = { n: 0, writeErrors: [] };
    return eachStatement(deletes, ordered, result, ({ q = {}, limit }) => {
      if (limit !== 0 && limit !== 1) throw mongoError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`);
      const source = this.workspace.source(db, name);
      if (!source) {
        this.nothing(q);
        return;
      }
      const matched = this.query(source, { filter: q, limit });
      this.workspace.checkWritable(db, name, matched.map((record) => ({ id: record.id, next: null })));
      if (!this.workspace.removeAll(db, name, matched.length)) for (const record of matched) this.workspace.remove(db, name, record);
      result.n += matched.length;
    });
  }

  /** Matching records in result order (natural, the index's, or sorted), skip and limit applied. */
  private select(source: RecordSource, filter: Document, options: { sort?: Document; skip?: number; limit?: number; hint?: Document | string }): StoredRecord[] {
    const skip = nonNegative('skip', options.skip);
    const limit = Math.abs(Number(options.limit ?? 0));
    const sorting = options.sort !== undefined && Object.keys(options.sort).length > 0;
    return this.query(source, { filter, sort: sorting ? options.sort : undefined, skip, limit, hint: options.hint });
  }

  find(db: string, name: string, options: FindOptions): Document[] {
    return this.findShared(db, name, options).map(deepClone);
  }

  findShared(db: string, name: string, options: FindOptions): Document[] {
    const source = this.workspace.source(db, name);
    const filter = options.filter ?? {};
    if (!source) return this.nothing(filter);
    const docs = this.select(source, filter, options).map((r) => r.doc);
    const { projection } = options;
    // Most projections build new documents; the few that edit their input get copies to edit.
    const intact = !projection || projectionKeepsInputIntact(projection);
    return projectDocuments(intact ? docs : docs.map(deepClone), projection);
  }

  count(db: string, name: string, query: Document = {}, skip?: number, limit?: number, hint?: Document | string): number {
    const source = this.workspace.source(db, name);
    if (!source) return this.nothing(query).length;
    return this.select(source, query, { skip, limit, hint }).length;
  }

  distinct(db: string, name: string, key: string, query: Document = {}): unknown[] {
    if (typeof key !== 'string' || key.length === 0) throw mongoError('BadValue', `distinct needs a field name as 'key', got ${JSON.stringify(key)}`);
    const source = this.workspace.source(db, name);
    if (!source) return this.nothing(query);
    const seen = new Map<string, unknown>();
    for (const record of this.select(source, query, {})) {
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
      const docs = [...(this.workspace.source(db, other)?.scan() ?? [])].map((r) => r.doc);
      return copy ? docs.map(deepClone) : docs;
    };
    const source = name === null ? undefined : this.workspace.source(db, name);
    if (!source) {
      this.plans.lastReport = null;
      return runPipeline([], pipeline, readCollection);
    }
    // Leading $match, $sort, $skip and $limit run as a find, so that they use the indexes as a find does.
    const leading = leadingQuery(pipeline);
    let records: StoredRecord[];
    if (leading) {
      records = this.query(source, { ...leading.shape, hint: options.hint });
    } else {
      // Without a $match every document is read anyway; the hint is still checked, as mongod does.
      if (options.hint !== undefined) resolveHint(source, options.hint);
      records = this.query(source, { filter: {}, hint: { $natural: 1 } });
    }
    const rest = pipeline.slice(leading?.consumed ?? 0);
    // A $group right after the query runs over the stored records themselves: no array of documents, no iterators.
    const group = rest.length > 0 ? planGroup(rest[0].$group) : null;
    if (group) {
      try {
        return runPipeline(runGroup(records, group, (record) => record.doc), rest.slice(1), readCollection);
      } catch (error) {
        throw toMongoError(error, 'PlanExecutor error during aggregation');
      }
    }
    return runPipeline(records.map((r) => r.doc), rest, readCollection);
  }

  /** The stages of a pipeline that did not run as a find, for explain. */
  static remainingStages(pipeline: Document[]): Document[] {
    return pipeline.slice(leadingQuery(pipeline)?.consumed ?? 0);
  }

  findAndModify(db: string, name: string, options: FindAndModifyOptions): FindAndModifyResult {
    const { remove = false, update, upsert = false } = options;
    if (remove && update !== undefined) throw mongoError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (!remove && update === undefined) throw mongoError('FailedToParse', 'Either an update or remove=true must be specified');
    if (remove && upsert) throw mongoError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
    if (remove && options.new) throw mongoError('FailedToParse', 'Cannot specify both new=true and remove=true; remove always returns the deleted document');
    if (update !== undefined) updateKind(update);
    const query = options.query ?? {};
    const source = this.workspace.source(db, name);
    const [record] = source ? this.select(source, query, { sort: options.sort, limit: 1 }) : this.nothing(query);
    const project = (doc: Document | null) => (doc === null ? null : projectDocuments([deepClone(doc)], options.fields)[0]);
    if (remove) {
      if (!record) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
      this.workspace.checkWritable(db, name, [{ id: record.id, next: null }]);
      this.workspace.remove(db, name, record);
      return { value: project(record.doc), lastErrorObject: { n: 1, updatedExisting: false } };
    }
    const context = { query, arrayFilters: options.arrayFilters };
    if (record) {
      const next = applyUpdate(record.doc, update as Document | Document[], context);
      if (canonicalKey(next) !== canonicalKey(record.doc)) {
        this.workspace.checkWritable(db, name, [{ id: record.id, next }]);
        this.workspace.replace(db, name, record, next);
      }
      return { value: project(options.new ? next : record.doc), lastErrorObject: { n: 1, updatedExisting: true } };
    }
    if (!upsert) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
    const inserted = this.workspace.insert(db, name, buildUpsert(update as Document | Document[], context));
    return {
      value: options.new ? project(inserted.doc) : null,
      lastErrorObject: { n: 1, updatedExisting: false, upserted: deepClone(inserted.doc._id) },
    };
  }

  /** Runs a query only to report its plan and counts, for explain; null when the collection does not exist. */
  explainQuery(db: string, name: string, shape: QueryShape): PlanReport | null {
    const source = this.workspace.source(db, name);
    if (!source) {
      this.nothing(shape.filter);
      return null;
    }
    this.select(source, shape.filter, shape);
    return this.plans.lastReport;
  }
}

/**
 * Applies a write command's statements in turn, as mongod does: a failed statement becomes a write error at its
 * index (and ends an ordered batch); a statement blocked by another transaction's write ends the batch, noting
 * where it stopped so the command can wait and go on from there.
 */
function eachStatement<S, R extends { writeErrors: WriteError[]; blocked?: Blocked }>(statements: S[], ordered: boolean, result: R, apply: (statement: S, index: number) => void): R {
  for (let i = 0; i < statements.length; i++) {
    try {
      apply(statements[i], i);
    } catch (error) {
      if (error instanceof WriteBlocked) {
        result.blocked = { index: i, until: error.until };
        break;
      }
      result.writeErrors.push(writeError(i, error));
      if (ordered) break;
    }
  }
  return result;
}
