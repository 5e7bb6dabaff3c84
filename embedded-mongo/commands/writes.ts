import type { DeleteStatement, Document, UpdateStatement, WriteError } from '../engine/types';
import { mongoError } from '../engine/errors';
import { MAX_WRITE_BATCH_SIZE } from '../protocol/limits';
import { asNumber, collectionName, describeType, optionalBoolean, requiredArray } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { refuseOptions } from './refusals';

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
 * the document would come back in a different field order than from mongod.
 */
function idFirst(document: Document): Document {
  if (!('_id' in document) || Object.keys(document)[0] === '_id') return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}

const insert: CommandHandler = (context) => {
  const { command, db, server } = context;
  const collection = collectionName(command);
  const documents = requiredArray(command, 'documents').map(idFirst);
  const ordered = optionalBoolean(command, 'ordered', true);
  checkBatchSize('insert', documents.length);
  // The documents were decoded from this request and nothing else holds them, so the store keeps them as they are.
  const result = server.engine.insert(db, collection, documents, ordered, true);
  countWrites(context, 'insert', attempted(documents.length, ordered, result.writeErrors));
  return { n: result.n, ...writeErrorsField(result.writeErrors) };
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
  const { command, db, server } = context;
  const collection = collectionName(command);
  const ordered = optionalBoolean(command, 'ordered', true);
  const statements = requiredArray(command, 'updates');
  checkBatchSize('update', statements.length);
  const result = server.engine.update(db, collection, statements.map(toUpdateStatement), ordered);
  countWrites(context, 'update', attempted(statements.length, ordered, result.writeErrors));
  const reply: Document = { n: result.n, nModified: result.nModified };
  if (result.upserted.length > 0) reply.upserted = result.upserted.map(({ index, _id }) => ({ index, _id }));
  return { ...reply, ...writeErrorsField(result.writeErrors) };
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
  const { command, db, server } = context;
  const collection = collectionName(command);
  const ordered = optionalBoolean(command, 'ordered', true);
  const statements = requiredArray(command, 'deletes');
  checkBatchSize('delete', statements.length);
  const result = server.engine.delete(db, collection, statements.map(toDeleteStatement), ordered);
  countWrites(context, 'delete', attempted(statements.length, ordered, result.writeErrors));
  return { n: result.n, ...writeErrorsField(result.writeErrors) };
};

const findAndModify: CommandHandler = ({ command, db, server }) => {
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
  const result = server.engine.findAndModify(db, collection, {
    query: document('query') ?? {},
    sort: document('sort'),
    fields: document('fields'),
    update: remove ? undefined : (update as Document | Document[]),
    remove,
    new: optionalBoolean(command, 'new', false),
    upsert: optionalBoolean(command, 'upsert', false),
    arrayFilters: Array.isArray(command.arrayFilters) ? (command.arrayFilters as Document[]) : undefined,
  });
  const lastErrorObject: Document = {
    n: result.lastErrorObject.n,
    updatedExisting: result.lastErrorObject.updatedExisting,
  };
  if (result.lastErrorObject.upserted !== undefined) lastErrorObject.upserted = result.lastErrorObject.upserted;
  if (remove) delete lastErrorObject.updatedExisting;
  return { lastErrorObject, value: result.value };
};

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: remove,
  findAndModify,
  findandmodify: findAndModify,
};
