import type { Blocked, DeleteStatement, Document, FindAndModifyResult, UpdateStatement, WriteError } from '../engine/types';
import { MongoError, mongoError } from '../engine/errors';
import { WriteBlocked } from '../engine/workspace';
import { moveIdFirst } from '../protocol/bsonBytes';
import { MAX_WRITE_BATCH_SIZE } from '../protocol/limits';
import { asNumber, collectionName, describeType, optionalBoolean, requiredArray } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { refuseOptions } from './refusals';
import { dataFor } from './transactions';

const UNSUPPORTED_STATEMENT_OPTIONS = ['collation'] as const;

function checkBatchSize(name: string, size: number): void {
  if (size > MAX_WRITE_BATCH_SIZE) {
    throw mongoError(
      'InvalidOptions',
      `${name}: a write batch holds at most ${MAX_WRITE_BATCH_SIZE} operations, got ${size}`,
    );
  }
}

/**
 * An ordered batch stops at its first error, so mongod counts the statements up to and including that one;
 * an unordered batch attempts (and counts) them all.
 */
function attempted(total: number, ordered: boolean, writeErrors: WriteError[]): number {
  if (!ordered || writeErrors.length === 0) return total;
  return Math.min(total, writeErrors[0].index + 1);
}

/** The write-command reply fields mongod sends: `writeErrors` only when there are some. */
function writeErrorsField(writeErrors: WriteError[]): Document {
  if (writeErrors.length === 0) return {};
  return {
    writeErrors: writeErrors.map((error) => {
      const shaped: Document = { index: error.index, code: error.code, errmsg: error.errmsg };
      if (error.codeName !== undefined) shaped.codeName = error.codeName;
      if (error.keyPattern !== undefined) shaped.keyPattern = error.keyPattern;
      if (error.keyValue !== undefined) shaped.keyValue = error.keyValue;
      return shaped;
    }),
  };
}

function countWrites(context: CommandContext, counter: 'insert' | 'update' | 'delete', amount: number): void {
  context.server.opcounters.add(counter, amount);
}

/**
 * mongod stores `_id` as the first field. Drivers append a generated `_id` after the caller's fields, so without this
 * the document would come back in a different field order than from mongod. The document's bytes as it came (kept for
 * the journal) are reordered the same way.
 */
function idFirst(document: Document, encodings: Map<Document, Uint8Array> | undefined): Document {
  if (!('_id' in document) || Object.keys(document)[0] === '_id') return document;
  const { _id, ...rest } = document;
  const reordered = { _id, ...rest };
  const encoded = encodings?.get(document);
  if (encoded) {
    encodings?.delete(document);
    const moved = moveIdFirst(encoded);
    if (moved) encodings?.set(reordered, moved);
  }
  return reordered;
}

/**
 * Runs a batch to the end. Outside a transaction a statement that touches what an open transaction has written
 * stops the batch before it changes anything (`blocked`); the batch then waits for that transaction to end and
 * carries on from that statement, as mongod's writes wait for the transaction's locks.
 */
function runBatch<R extends { blocked?: Blocked }>(run: (from: number) => R, absorb: (total: R, rest: R, offset: number) => void): R | Promise<R> {
  const first = run(0);
  if (!first.blocked) return first;
  return (async () => {
    let blocked: Blocked | undefined = first.blocked;
    delete first.blocked;
    while (blocked) {
      await blocked.until;
      const offset: number = blocked.index;
      const rest = run(offset);
      blocked = rest.blocked ? { index: offset + rest.blocked.index, until: rest.blocked.until } : undefined;
      delete rest.blocked;
      absorb(first, rest, offset);
    }
    return first;
  })();
}

function shiftErrors(errors: WriteError[], offset: number): WriteError[] {
  return errors.map((error) => ({ ...error, index: error.index + offset }));
}

/**
 * Inside a transaction a failed statement fails the whole command (mongod throws rather than report writeErrors),
 * and the transaction is aborted by the session layer.
 */
function throwInTransaction(context: CommandContext, writeErrors: WriteError[]): void {
  if (!context.transaction || writeErrors.length === 0) return;
  const [first] = writeErrors;
  const extra: Document = {};
  if (first.keyPattern) extra.keyPattern = first.keyPattern;
  if (first.keyValue) extra.keyValue = first.keyValue;
  throw new MongoError(first.code, first.codeName ?? 'UnknownError', first.errmsg, extra);
}

/** Resolves a value or a promise through a function, staying synchronous when it can. */
function then<T, R>(value: T | Promise<T>, next: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

const insert: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  const documents = requiredArray(command, 'documents').map((document) => idFirst(document, context.encodings));
  const ordered = optionalBoolean(command, 'ordered', true);
  checkBatchSize('insert', documents.length);
  const data = dataFor(context);
  // The documents were decoded from this request and nothing else holds them, so the store keeps them as they are.
  const outcome = runBatch(
    (from) => data.insert(db, collection, from === 0 ? documents : documents.slice(from), ordered, true),
    (total, rest, offset) => {
      total.n += rest.n;
      total.writeErrors.push(...shiftErrors(rest.writeErrors, offset));
    },
  );
  return then(outcome, (result) => {
    countWrites(context, 'insert', attempted(documents.length, ordered, result.writeErrors));
    throwInTransaction(context, result.writeErrors);
    return { n: result.n, ...writeErrorsField(result.writeErrors) };
  });
};

function toUpdateStatement(statement: Document, index: number): UpdateStatement {
  const { q, u } = statement;
  if (typeof q !== 'object' || q === null || Array.isArray(q)) {
    throw mongoError('TypeMismatch', `update: statement ${index} needs a 'q' filter document, got ${describeType(q)}`);
  }
  if (typeof u !== 'object' || u === null) {
    throw mongoError('TypeMismatch', `update: statement ${index} needs a 'u' update document or pipeline, got ${describeType(u)}`);
  }
  refuseOptions(statement, UNSUPPORTED_STATEMENT_OPTIONS, `update (statement ${index})`);
  const result: UpdateStatement = {
    q: q as Document,
    u: u as Document | Document[],
    upsert: optionalBoolean(statement, 'upsert', false),
    multi: optionalBoolean(statement, 'multi', false),
  };
  if (Array.isArray(statement.arrayFilters)) result.arrayFilters = statement.arrayFilters as Document[];
  return result;
}

const update: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  const ordered = optionalBoolean(command, 'ordered', true);
  const statements = requiredArray(command, 'updates');
  checkBatchSize('update', statements.length);
  const parsed = statements.map(toUpdateStatement);
  const data = dataFor(context);
  const outcome = runBatch(
    (from) => data.update(db, collection, from === 0 ? parsed : parsed.slice(from), ordered),
    (total, rest, offset) => {
      total.n += rest.n;
      total.nModified += rest.nModified;
      total.upserted.push(...rest.upserted.map(({ index, _id }) => ({ index: index + offset, _id })));
      total.writeErrors.push(...shiftErrors(rest.writeErrors, offset));
    },
  );
  return then(outcome, (result) => {
    countWrites(context, 'update', attempted(statements.length, ordered, result.writeErrors));
    throwInTransaction(context, result.writeErrors);
    const reply: Document = { n: result.n, nModified: result.nModified };
    if (result.upserted.length > 0) reply.upserted = result.upserted.map(({ index, _id }) => ({ index, _id }));
    return { ...reply, ...writeErrorsField(result.writeErrors) };
  });
};

function toDeleteStatement(statement: Document, index: number): DeleteStatement {
  const { q } = statement;
  if (typeof q !== 'object' || q === null || Array.isArray(q)) {
    throw mongoError('TypeMismatch', `delete: statement ${index} needs a 'q' filter document, got ${describeType(q)}`);
  }
  const limit = asNumber(statement.limit);
  if (limit !== 0 && limit !== 1) {
    throw mongoError('BadValue', `delete: statement ${index} needs 'limit' 0 (all matches) or 1 (one), got ${String(statement.limit)}`);
  }
  refuseOptions(statement, UNSUPPORTED_STATEMENT_OPTIONS, `delete (statement ${index})`);
  return { q: q as Document, limit };
}

const remove: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  const ordered = optionalBoolean(command, 'ordered', true);
  const statements = requiredArray(command, 'deletes');
  checkBatchSize('delete', statements.length);
  const parsed = statements.map(toDeleteStatement);
  const data = dataFor(context);
  const outcome = runBatch(
    (from) => data.delete(db, collection, from === 0 ? parsed : parsed.slice(from), ordered),
    (total, rest, offset) => {
      total.n += rest.n;
      total.writeErrors.push(...shiftErrors(rest.writeErrors, offset));
    },
  );
  return then(outcome, (result) => {
    countWrites(context, 'delete', attempted(statements.length, ordered, result.writeErrors));
    throwInTransaction(context, result.writeErrors);
    return { n: result.n, ...writeErrorsField(result.writeErrors) };
  });
};

const findAndModify: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  const remove = optionalBoolean(command, 'remove', false);
  const update = command.update;
  if (remove && update !== undefined) {
    throw mongoError('FailedToParse', 'findAndModify: cannot specify both an update and remove=true');
  }
  if (!remove && (typeof update !== 'object' || update === null)) {
    throw mongoError('FailedToParse', 'findAndModify: either an update or remove=true must be specified');
  }
  refuseOptions(command, UNSUPPORTED_STATEMENT_OPTIONS, 'findAndModify');
  const document = (field: string): Document | undefined => {
    const value = command[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw mongoError('TypeMismatch', `findAndModify: '${field}' must be a document, got ${describeType(value)}`);
    }
    return value as Document;
  };
  const options = {
    query: document('query') ?? {},
    sort: document('sort'),
    fields: document('fields'),
    update: remove ? undefined : (update as Document | Document[]),
    remove,
    new: optionalBoolean(command, 'new', false),
    upsert: optionalBoolean(command, 'upsert', false),
    arrayFilters: Array.isArray(command.arrayFilters) ? (command.arrayFilters as Document[]) : undefined,
  };
  const data = dataFor(context);
  const run = (): Document | Promise<Document> => {
    try {
      return findAndModifyReply(data.findAndModify(db, collection, options), remove);
    } catch (error) {
      // A document held by an open transaction: wait for it to end, then look for the document again.
      if (error instanceof WriteBlocked) return error.until.then(run);
      throw error;
    }
  };
  return run();
};

/** mongod's reply: `lastErrorObject` (without `updatedExisting` for a remove) and the document. */
function findAndModifyReply(result: FindAndModifyResult, remove: boolean): Document {
  const lastErrorObject: Document = {
    n: result.lastErrorObject.n,
    updatedExisting: result.lastErrorObject.updatedExisting,
  };
  if (result.lastErrorObject.upserted !== undefined) lastErrorObject.upserted = result.lastErrorObject.upserted;
  if (remove) delete lastErrorObject.updatedExisting;
  return { lastErrorObject, value: result.value };
}

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: remove,
  findAndModify,
  findandmodify: findAndModify,
};
