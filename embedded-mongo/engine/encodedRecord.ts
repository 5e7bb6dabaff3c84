import { BSON } from 'bson';
import type { StoredRecord } from './collection';
import type { Document } from './types';
import { canonicalKey, objectIdKey } from './values';

/** BSON's type bytes for the two `_id` types read without decoding the document. */
const BSON_STRING = 0x02;
const BSON_OBJECT_ID = 0x07;
/** `_id` and its terminating zero, as the name of a document's first element. */
const ID_NAME = [0x5f, 0x69, 0x64, 0x00];

/**
 * A stored record read back from a snapshot, whose document is decoded from its BSON when first read. A store
 * started from a snapshot of 400,000 documents then pays for decoding only the documents its queries read, and
 * a snapshot written before they are read copies their bytes as they are.
 */
export class EncodedRecord implements StoredRecord {
  private decoded: Document | undefined;
  private bytes: Uint8Array | undefined;

  constructor(
    readonly id: string,
    readonly seq: number,
    bytes: Uint8Array,
  ) {
    this.bytes = bytes;
  }

  get doc(): Document {
    if (this.decoded === undefined) {
      // int64 stays Long, as in documents decoded from the wire.
      this.decoded = BSON.deserialize(this.bytes as Uint8Array, { promoteLongs: false }) as Document;
      this.bytes = undefined;
    }
    return this.decoded;
  }

  /** The document's BSON while it has not been decoded. */
  get encoded(): Uint8Array | undefined {
    return this.bytes;
  }
}

/**
 * The canonical key of an encoded document's `_id`, read from its bytes when `_id` is the first element and an
 * ObjectId or a string (as the driver and the store write it), or undefined when the document must be decoded.
 */
export function encodedIdKey(bytes: Uint8Array): string | undefined {
  const type = bytes[4];
  for (let i = 0; i < ID_NAME.length; i++) if (bytes[5 + i] !== ID_NAME[i]) return undefined;
  const value = 5 + ID_NAME.length;
  if (type === BSON_OBJECT_ID) return objectIdKey(bytes.subarray(value, value + 12));
  if (type === BSON_STRING) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + value, 4).getInt32(0, true);
    return canonicalKey(Buffer.from(bytes.buffer, bytes.byteOffset + value + 4, length - 1).toString('utf8'));
  }
  return undefined;
}
