import { BSON, Long, ObjectId } from 'bson';
import type { StoredRecord } from './collection';
import type { Document } from './types';
import { canonicalKey, objectIdKey } from './values';

/** BSON's type bytes that are read without decoding the document. */
const BSON_STRING = 0x02;
const BSON_DOCUMENT = 0x03;
const BSON_ARRAY = 0x04;
const BSON_OBJECT_ID = 0x07;
/** `_id` and its terminating zero, as the name of a document's first element. */
const ID_NAME = [0x5f, 0x69, 0x64, 0x00];

/**
 * The BSON a stored document was decoded from, kept on the decoded document under a symbol: no serialiser, copy or
 * key listing sees it. A reply then copies those bytes instead of serialising the document again. Stored documents
 * are never modified in place (a write stores a new version), so the bytes stay exactly the document's.
 */
const ENCODING = Symbol('encoding');

/** The bytes a stored document was decoded from, if it was decoded from bytes the store still holds. */
export function storedEncoding(doc: Document): Uint8Array | undefined {
  return (doc as { [ENCODING]?: Uint8Array })[ENCODING];
}

function remember(doc: Document, bytes: Uint8Array): Document {
  Object.defineProperty(doc, ENCODING, { value: bytes });
  return doc;
}

/**
 * A stored record read back from a snapshot, whose document is decoded from its BSON when first read. A store
 * started from a snapshot of 400,000 documents then pays for decoding only the documents its queries read, and
 * a snapshot copies the bytes as they are. The bytes are kept once decoded: they are a view of the snapshot's
 * buffer, and serve every reply that sends the document whole.
 */
export class EncodedRecord implements StoredRecord {
  private decoded: Document | undefined;

  /** `decoded`, when given, is the document those bytes hold. */
  constructor(
    readonly id: string,
    readonly seq: number,
    private readonly bytes: Uint8Array,
    decoded?: Document,
  ) {
    this.decoded = decoded && remember(decoded, bytes);
  }

  get doc(): Document {
    // int64 stays Long, as in documents decoded from the wire.
    this.decoded ??= remember(BSON.deserialize(this.bytes, { promoteLongs: false }) as Document, this.bytes);
    return this.decoded;
  }

  /** The document's BSON. */
  get encoded(): Uint8Array {
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
  if (type === BSON_STRING) return canonicalKey(stringAt(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), value));
  return undefined;
}

/** The size of each BSON type's value that has a fixed size, by type byte. */
const FIXED_SIZES: Record<number, number> = { 0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0a: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0xff: 0, 0x7f: 0 };

/** The offset just past a BSON value of `type` that starts at `at`, or undefined for a type this reader does not know. */
function valueEnd(bytes: Uint8Array, view: DataView, type: number, at: number): number | undefined {
  const fixed = FIXED_SIZES[type];
  if (fixed !== undefined) return at + fixed;
  switch (type) {
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return at + 4 + view.getInt32(at, true);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return at + view.getInt32(at, true);
    case 0x05: // binary: length, subtype, bytes
      return at + 5 + view.getInt32(at, true);
    case 0x0b: // regular expression: two C strings
      return bytes.indexOf(0, bytes.indexOf(0, at) + 1) + 1;
    case 0x0c: // DBPointer: string, then an ObjectId
      return at + 4 + view.getInt32(at, true) + 12;
    default:
      return undefined;
  }
}

/**
 * Whether a document's value at a path (a dotted field, split) passes through an array, read from its BSON without
 * decoding it: what makes an index on that field multikey. A type this reader does not know counts as an array,
 * which only makes the planner more careful.
 */
export function encodedPathHasArray(bytes: Uint8Array, path: readonly string[]): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  for (const name of path) {
    const found = findElement(bytes, view, start, name);
    if (found === null) return true;
    if (found === undefined) return false;
    if (found.type === BSON_ARRAY) return true;
    if (found.type !== BSON_DOCUMENT) return false;
    start = found.value;
  }
  return false;
}

function nameMatches(bytes: Uint8Array, from: number, to: number, name: string): boolean {
  // Names are compared byte by byte when ASCII, as field names nearly always are; others through UTF-8.
  if (!isAscii(name)) return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8') === name;
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[from + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Whether a field name is ASCII, remembered per name: it is asked for every element a lookup steps over. */
const asciiNames = new Map<string, boolean>();

function isAscii(name: string): boolean {
  let ascii = asciiNames.get(name);
  if (ascii === undefined) asciiNames.set(name, (ascii = /^[\x00-\x7f]*$/.test(name)));
  return ascii;
}

/**
 * The scalar values of a document at some paths (dotted fields, split), read from its BSON without decoding the rest:
 * a document holding just those fields, as decoding would give them (int64 as Long). Undefined when one of them is
 * not a plain scalar (an array, a document, a rarer type) or a path crosses an array: the caller decodes instead.
 */
export function encodedFields(bytes: Uint8Array, paths: readonly (readonly string[])[]): Document | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Document = {};
  for (const path of paths) {
    let start = 0;
    let into = fields;
    for (let depth = 0; depth < path.length; depth++) {
      const name = path[depth];
      const found = findElement(bytes, view, start, name);
      if (found === null) return undefined;
      if (found === undefined) break;
      const last = depth === path.length - 1;
      if (!last) {
        if (found.type !== BSON_DOCUMENT) {
          if (found.type === BSON_ARRAY) return undefined;
          break;
        }
        into = (into[name] ??= {}) as Document;
        start = found.value;
        continue;
      }
      const value = scalarAt(bytes, view, found.type, found.value);
      if (value === NOT_SCALAR) return undefined;
      into[name] = value;
    }
  }
  return fields;
}

const NOT_SCALAR = Symbol('not a scalar');

function scalarAt(bytes: Uint8Array, view: DataView, type: number, at: number): unknown {
  switch (type) {
    case 0x01:
      return view.getFloat64(at, true);
    case BSON_STRING:
      return stringAt(bytes, view, at);
    case BSON_OBJECT_ID:
      return new ObjectId(bytes.subarray(at, at + 12));
    case 0x08:
      return bytes[at] === 1;
    case 0x09:
      return new Date(Long.fromBits(view.getInt32(at, true), view.getInt32(at + 4, true)).toNumber());
    case 0x0a:
      return null;
    case 0x10:
      return view.getInt32(at, true);
    case 0x12:
      return Long.fromBits(view.getInt32(at, true), view.getInt32(at + 4, true));
    default:
      return NOT_SCALAR;
  }
}

/** A BSON string value starting at `at`: its length, its UTF-8 bytes, and a terminating zero. */
function stringAt(bytes: Uint8Array, view: DataView, at: number): string {
  return Buffer.prototype.utf8Slice.call(bytes, at + 4, at + 3 + view.getInt32(at, true));
}

/**
 * The element of the document at `start` named `name`: its type byte and where its value starts; undefined when the
 * document has none, null when an element before it has a type this reader cannot step over.
 */
function findElement(bytes: Uint8Array, view: DataView, start: number, name: string): { type: number; value: number } | undefined | null {
  const end = start + view.getInt32(start, true) - 1;
  let at = start + 4;
  while (at < end) {
    const type = bytes[at];
    const nameEnd = bytes.indexOf(0, at + 1);
    const value = nameEnd + 1;
    if (nameMatches(bytes, at + 1, nameEnd, name)) return { type, value };
    const next = valueEnd(bytes, view, type, value);
    if (next === undefined) return null;
    at = next;
  }
  return undefined;
}
