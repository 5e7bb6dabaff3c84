import { Long } from 'bson';
import { mongoError } from '../engine/errors';
import {
  collectionName,
  describeType,
  hintOf,
  optionalBoolean,
  optionalDocument,
  optionalNonNegative,
  optionalNumber,
  requiredArray,
} from './arguments';
import { cursorReply, takeBatch } from './batches';
import type { CommandHandler } from './context';
import { explainAggregate } from './explain';
import { refuseOptions } from './refusals';
import { dataFor } from './transactions';

/** find options that change what is returned in ways the store does not model; refused rather than ignored. */
const UNSUPPORTED_FIND_OPTIONS = ['collation', 'tailable', 'awaitData', 'min', 'max', 'returnKey', 'showRecordId', 'let'] as const;
const UNSUPPORTED_AGGREGATE_OPTIONS = ['collation', 'let'] as const;

const find: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  refuseOptions(command, UNSUPPORTED_FIND_OPTIONS, 'find');
  const rawLimit = optionalNumber(command, 'limit');
  // A negative limit is the legacy spelling of "limit, in a single batch".
  const limit = rawLimit === undefined ? undefined : Math.abs(rawLimit);
  const singleBatch = optionalBoolean(command, 'singleBatch', false) || (rawLimit ?? 0) < 0;
  const hint = hintOf(command, 'find');
  // The reply is serialised at once and nothing modifies the documents in between, so they need not be copies.
  const documents = dataFor(context).findShared(db, collection, {
    filter: optionalDocument(command, 'filter') ?? {},
    projection: optionalDocument(command, 'projection'),
    sort: optionalDocument(command, 'sort'),
    skip: optionalNonNegative(command, 'skip'),
    limit: limit || undefined,
    hint,
  });
  return cursorReply(context, `${db}.${collection}`, documents, {
    batchSize: optionalNonNegative(command, 'batchSize'),
    singleBatch,
  });
};

const getMore: CommandHandler = ({ command, db, server, connection, sessionId }) => {
  const id = command.getMore;
  if (!(id instanceof Long)) {
    throw mongoError('TypeMismatch', `getMore: the cursor id must be a 64-bit integer (long), got ${describeType(id)}`);
  }
  const collection = command.collection;
  if (typeof collection !== 'string') {
    throw mongoError('TypeMismatch', `getMore: 'collection' must be a string, got ${describeType(collection)}`);
  }
  const namespace = `${db}.${collection}`;
  const cursor = server.cursors.claim(id, namespace, connection.id, sessionId);
  const nextBatch = takeBatch(cursor.documents, cursor.position, optionalNonNegative(command, 'batchSize'));
  cursor.position += nextBatch.length;
  let replyId = cursor.id;
  if (cursor.position >= cursor.documents.length) {
    server.cursors.close(cursor.id);
    replyId = Long.ZERO;
  }
  return { cursor: { nextBatch, id: replyId, ns: namespace } };
};

const killCursors: CommandHandler = ({ command, server }) => {
  collectionName(command);
  const ids = command.cursors;
  if (!Array.isArray(ids) || !ids.every((id) => id instanceof Long)) {
    throw mongoError('TypeMismatch', `killCursors: 'cursors' must be an array of 64-bit cursor ids`);
  }
  const cursorsKilled: Long[] = [];
  const cursorsNotFound: Long[] = [];
  for (const id of ids as Long[]) (server.cursors.close(id) ? cursorsKilled : cursorsNotFound).push(id);
  return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
};

const count: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  refuseOptions(command, ['collation'], 'count');
  const limit = optionalNumber(command, 'limit');
  const n = dataFor(context).count(
    db,
    collection,
    optionalDocument(command, 'query') ?? {},
    optionalNonNegative(command, 'skip'),
    limit === undefined ? undefined : Math.abs(limit),
    hintOf(command, 'count'),
  );
  return { n };
};

const distinct: CommandHandler = (context) => {
  const { command, db } = context;
  const collection = collectionName(command);
  refuseOptions(command, ['collation'], 'distinct');
  const key = command.key;
  if (typeof key !== 'string' || key.length === 0) {
    throw mongoError('TypeMismatch', `distinct: 'key' must be a field path string, got ${describeType(key)}`);
  }
  return { values: dataFor(context).distinct(db, collection, key, optionalDocument(command, 'query') ?? {}) };
};

const aggregate: CommandHandler = (context) => {
  const { command, db } = context;
  // `aggregate: 1` runs a database-level pipeline (one that starts with a stage such as $documents).
  const collection = command.aggregate === 1 ? null : collectionName(command);
  // The legacy form of explain: `aggregate` with `explain: true` answers as explain at queryPlanner verbosity.
  if (optionalBoolean(command, 'explain', false)) return explainAggregate(context, command, 'queryPlanner');
  refuseOptions(command, UNSUPPORTED_AGGREGATE_OPTIONS, 'aggregate');
  const pipeline = requiredArray(command, 'pipeline');
  const cursorOptions = optionalDocument(command, 'cursor');
  if (!cursorOptions) {
    throw mongoError('FailedToParse', "aggregate: the 'cursor' option is required, except for aggregate with the explain argument");
  }
  const documents = dataFor(context).aggregateShared(db, collection, pipeline, { hint: hintOf(command, 'aggregate') });
  const namespace = collection === null ? `${db}.$cmd.aggregate` : `${db}.${collection}`;
  return cursorReply(context, namespace, documents, { batchSize: optionalNonNegative(cursorOptions, 'batchSize') });
};

export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate,
};

