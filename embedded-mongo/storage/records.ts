import { BSON } from 'bson';
import type { ChangeOp } from '../engine/changes';
import type { Document, IndexInfo } from '../engine/types';

/**
 * Record payloads are streams of BSON documents laid end to end (each starts with its own length), rather than one
 * document holding arrays: a bulk insert of 100,000 documents stays one record without a 16 MiB document limit, and
 * each document is serialised once, straight into the record's buffer.
 */
export class DocumentStreamWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  add(document: Document): void {
    for (;;) {
      try {
        this.length = BSON.serializeWithBufferAndIndex(document, this.buffer, { index: this.length }) + 1;
        return;
      } catch (error) {
        // The buffer is too small for this document: double it (keeping what is written) and try again.
        if (!(error instanceof RangeError)) throw error;
        const grown = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(grown, 0, 0, this.length);
        this.buffer = grown;
      }
    }
  }

  /** Appends a document already encoded as BSON. */
  addEncoded(bytes: Uint8Array): void {
    while (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Empties the stream, keeping its buffer for the next record. */
  reset(): void {
    this.length = 0;
  }

  get byteLength(): number {
    return this.length;
  }

  /** The bytes written so far (a view, valid until the next `add`). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Splits a stream of BSON documents into each document's bytes (views of the payload), checking their lengths. */
export function splitDocumentStream(payload: Buffer): Buffer[] {
  const documents: Buffer[] = [];
  let offset = 0;
  while (offset < payload.length) {
    const size = offset + 4 <= payload.length ? payload.readInt32LE(offset) : -1;
    if (size < 5 || offset + size > payload.length) throw new Error(`a BSON document at byte ${offset} of a record declares ${size} bytes but ${payload.length - offset} remain`);
    documents.push(payload.subarray(offset, offset + size));
    offset += size;
  }
  return documents;
}

/** Decodes a stream of BSON documents, with int64 kept as Long, exactly as documents decoded from the wire. */
export function readDocumentStream(payload: Buffer): Document[] {
  return splitDocumentStream(payload).map((bytes) => BSON.deserialize(bytes, { promoteLongs: false }) as Document);
}

/**
 * Encodes one command's (or one transaction's) changes as a journal record payload: a header, then its documents.
 * A document found in `encodings` (an inserted document, as the client sent it) is written as those bytes.
 */
export function encodeChanges(ops: ChangeOp[], encodings?: ReadonlyMap<Document, Uint8Array>): Buffer {
  const stream = new DocumentStreamWriter();
  for (const op of ops) {
    switch (op.op) {
      case 'put':
        stream.add({ op: 'put', db: op.db, coll: op.coll, count: op.docs.length });
        for (const doc of op.docs) {
          const encoded = encodings?.get(doc);
          if (encoded) stream.addEncoded(encoded);
          else stream.add(doc);
        }
        break;
      case 'delete':
        stream.add({ op: 'delete', db: op.db, coll: op.coll, count: op.ids.length });
        for (const id of op.ids) stream.add({ _id: id });
        break;
      default:
        stream.add({ ...op });
    }
  }
  return Buffer.from(stream.bytes());
}

/** Decodes a journal record payload back into the changes it holds. */
export function decodeChanges(payload: Buffer): ChangeOp[] {
  const documents = readDocumentStream(payload);
  const ops: ChangeOp[] = [];
  for (let i = 0; i < documents.length; ) {
    const header = documents[i++];
    const db = String(header.db);
    const coll = String(header.coll);
    switch (header.op) {
      case 'put': {
        const count = Number(header.count);
        ops.push({ op: 'put', db, coll, docs: documents.slice(i, i + count) });
        i += count;
        break;
      }
      case 'delete': {
        const count = Number(header.count);
        ops.push({ op: 'delete', db, coll, ids: documents.slice(i, i + count).map((doc) => doc._id) });
        i += count;
        break;
      }
      case 'clear':
      case 'drop':
        ops.push({ op: header.op, db, coll });
        break;
      case 'create':
        ops.push({ op: 'create', db, coll, options: (header.options ?? {}) as Document });
        break;
      case 'dropDatabase':
        ops.push({ op: 'dropDatabase', db });
        break;
      case 'createIndexes':
        ops.push({ op: 'createIndexes', db, coll, indexes: header.indexes as IndexInfo[] });
        break;
      case 'dropIndexes':
        ops.push({ op: 'dropIndexes', db, coll, names: header.names as string[] });
        break;
      case 'cloneDatabase':
        ops.push({ op: 'cloneDatabase', db, to: String(header.to) });
        break;
      default:
        throw new Error(`unknown change '${String(header.op)}' in a journal record`);
    }
  }
  return ops;
}
