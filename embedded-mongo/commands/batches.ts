import { Long } from 'bson';
import type { Document } from '../engine/types';
import { encodeDocuments, EncodedDocuments } from '../protocol/encodedDocuments';
import { MAX_BSON_OBJECT_SIZE } from '../protocol/limits';
import type { CommandContext } from './context';

/** mongod returns at most 101 documents in the first batch of find and aggregate unless told otherwise. */
export const DEFAULT_FIRST_BATCH_SIZE = 101;

/**
 * A reply must itself fit in one BSON document, so a batch stops before its documents reach 16 MiB. The margin
 * leaves room for the reply's own fields (cursor id, namespace, ok).
 */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 64 * 1024;

/**
 * Takes the next batch from `documents` starting at `start`: at most `batchSize` (0 = no count limit) and 16 MiB.
 * The batch is encoded to BSON here, once; the reply serialiser splices those bytes in as they are.
 */
export function takeBatch(documents: readonly Document[], start: number, batchSize: number | undefined): EncodedDocuments {
  const countLimit = batchSize && batchSize > 0 ? batchSize : Infinity;
  return encodeDocuments(documents, start, countLimit, MAX_BATCH_BYTES);
}

export interface FirstBatchOptions {
  batchSize?: number;
  singleBatch?: boolean;
}

/**
 * Shapes `{ cursor: { id, ns, firstBatch } }` for a finished result. When documents remain (and the client did not
 * ask for a single batch) a server cursor keeps them for getMore; otherwise the id is 0, meaning exhausted.
 */
export function cursorReply(
  context: CommandContext,
  namespace: string,
  documents: Document[],
  options: FirstBatchOptions = {},
): Document {
  const batchSize = options.batchSize ?? DEFAULT_FIRST_BATCH_SIZE;
  // batchSize 0 on a first batch means "open the cursor but return nothing yet", as on mongod.
  const firstBatch = batchSize === 0 ? new EncodedDocuments(new Uint8Array(0), 0) : takeBatch(documents, 0, batchSize);
  let id = Long.ZERO;
  if (!options.singleBatch && firstBatch.length < documents.length) {
    const cursor = context.server.cursors.open(namespace, documents, context.connection.id, context.sessionId);
    cursor.position = firstBatch.length;
    id = cursor.id;
  }
  return { cursor: { firstBatch, id, ns: namespace } };
}
