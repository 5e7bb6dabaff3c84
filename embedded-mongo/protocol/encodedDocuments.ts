import { BSON } from 'bson';
import { storedEncoding } from '../engine/encodedRecord';
import type { Document } from '../engine/types';
import { MAX_BSON_OBJECT_SIZE } from './limits';

/**
 * A batch of documents already encoded as the elements of a BSON array. Cursor replies carry their batch in this
 * form: each document is serialised exactly once, and the byte size that limits a batch to 16 MiB is the length of
 * that encoding, so no separate size pass over the documents is needed.
 */
export class EncodedDocuments {
  constructor(
    /** The array's elements (type byte, index key, document) without the array's own length and terminator. */
    readonly elements: Uint8Array,
    /** How many documents the elements hold. */
    readonly length: number,
  ) {}
}

/** Where documents are serialised: reused across batches, grown when a batch needs more room. */
const SCRATCH_BYTES = 1024 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

function grow(keep: number): void {
  const grown = Buffer.allocUnsafe(scratch.length * 2);
  scratch.copy(grown, 0, 0, keep);
  scratch = grown;
}

/**
 * Serialises one array element (0x03, the index as a key, the document) at `offset` of the scratch buffer and
 * returns the offset after it. `serializeWithBufferAndIndex` writes straight into the buffer, which is several
 * times cheaper than `serialize` per document; when the buffer is too small it throws, and it grows and retries.
 */
function writeElement(index: number, document: Document, offset: number): number {
  const key = String(index);
  // A stored document sent whole is copied as the bytes it was decoded from.
  const stored = storedEncoding(document);
  for (;;) {
    if (offset + key.length + 2 + (stored?.length ?? 5) > scratch.length) {
      grow(offset);
      continue;
    }
    scratch[offset] = 0x03;
    scratch.write(key, offset + 1, 'latin1');
    scratch[offset + 1 + key.length] = 0;
    if (stored) {
      scratch.set(stored, offset + key.length + 2);
      return offset + key.length + 2 + stored.length;
    }
    try {
      return BSON.serializeWithBufferAndIndex(document, scratch, { index: offset + key.length + 2 }) + 1;
    } catch (error) {
      if (!(error instanceof RangeError) || scratch.length > 4 * MAX_BSON_OBJECT_SIZE) throw error;
      grow(offset);
    }
  }
}

/**
 * Encodes documents from `start` until `countLimit` documents or `maxBytes` bytes; at least one document is always
 * taken, or a document near 16 MiB could never be fetched.
 */
export function encodeDocuments(documents: readonly Document[], start: number, countLimit: number, maxBytes: number): EncodedDocuments {
  let offset = 0;
  let count = 0;
  for (let i = start; i < documents.length && count < countLimit; i++) {
    const next = writeElement(count, documents[i], offset);
    if (count > 0 && next > maxBytes) break;
    offset = next;
    count++;
  }
  const elements = Buffer.from(scratch.subarray(0, offset));
  // A batch of large documents grows the scratch buffer; it is not kept at that size for ever.
  if (scratch.length > 4 * SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  return new EncodedDocuments(elements, count);
}

function isPlainObject(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Whether a reply holds an EncodedDocuments anywhere in its nested plain objects (replies nest it one level deep). */
function holdsEncoded(document: Document): boolean {
  for (const key in document) {
    const value = document[key];
    if (value instanceof EncodedDocuments) return true;
    if (isPlainObject(value) && holdsEncoded(value)) return true;
  }
  return false;
}

const cString = (text: string) => Buffer.from(`${text}\0`, 'utf8');

function int32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeInt32LE(value, 0);
  return bytes;
}

/** BSON array bytes whose elements are the encoded documents, spliced in without decoding them. */
function arrayOf(encoded: EncodedDocuments): Uint8Array[] {
  return [int32(4 + encoded.elements.length + 1), encoded.elements, Buffer.from([0])];
}

/** The parts of one BSON document; fields other than encoded batches are serialised by `bson` itself. */
function documentParts(document: Document): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const key of Object.keys(document)) {
    const value = document[key];
    if (value instanceof EncodedDocuments) {
      parts.push(Buffer.from([0x04]), cString(key), ...arrayOf(value));
    } else if (isPlainObject(value) && holdsEncoded(value)) {
      parts.push(Buffer.from([0x03]), cString(key), ...documentParts(value));
    } else {
      // A one-field document is `size, element, 0`: its middle is exactly this field's element bytes.
      const single = BSON.serialize({ [key]: value });
      parts.push(single.subarray(4, single.length - 1));
    }
  }
  const size = 4 + parts.reduce((total, part) => total + part.length, 0) + 1;
  return [int32(size), ...parts, Buffer.from([0])];
}

/** mongod lets a reply exceed maxBsonObjectSize by this much, for the fields around a full batch. */
const REPLY_SLACK = 16 * 1024;

/**
 * Serialises a command reply, splicing in any EncodedDocuments batches it carries. Throws when the reply is larger
 * than a reply may be; the size is checked on the bytes, so no separate size pass is needed.
 */
export function serializeReply(reply: Document): Uint8Array {
  const bytes = holdsEncoded(reply) ? Buffer.concat(documentParts(reply)) : BSON.serialize(reply);
  if (bytes.length > MAX_BSON_OBJECT_SIZE + REPLY_SLACK) {
    throw new Error(`the reply exceeds maxBsonObjectSize (${MAX_BSON_OBJECT_SIZE} bytes)`);
  }
  return bytes;
}
