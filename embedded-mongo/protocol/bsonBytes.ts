/**
 * Work on encoded BSON without decoding it: finding where each element of a document starts and ends. The journal
 * writes inserted documents as the bytes the client sent (rather than serialising them again), which needs the bytes
 * of each document inside an insert command, and `_id` moved to the front as the store keeps documents.
 */

/** One element of an encoded document: its type, name and where it lies. */
interface Element {
  type: number;
  name: string;
  /** Offset of the type byte. */
  start: number;
  /** Offset of the value, just past the name's terminator. */
  value: number;
  /** Offset just past the element. */
  end: number;
}

/** The elements of the document at the start of `bytes`, in order; throws RangeError on lengths that do not fit. */
function* elements(bytes: Buffer): Generator<Element> {
  const last = bytes.readInt32LE(0) - 1;
  if (last >= bytes.length || bytes[last] !== 0) throw new RangeError('the document length does not fit');
  let offset = 4;
  while (offset < last) {
    const type = bytes[offset];
    const nameEnd = bytes.indexOf(0, offset + 1);
    if (nameEnd < 0 || nameEnd >= last) throw new RangeError('an element name runs past the document');
    const size = valueSize(bytes, type, nameEnd + 1);
    const end = nameEnd + 1 + size;
    if (size < 0 || end > last) throw new RangeError(`an element of type ${type} does not fit`);
    yield { type, name: bytes.toString('latin1', offset + 1, nameEnd), start: offset, value: nameEnd + 1, end };
    offset = end;
  }
}

const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The bytes of each document in an array field of an encoded document (an insert's `documents`), in order, or null
 * when the field is missing, is not an array of documents, or the bytes do not add up.
 */
export function documentsIn(document: Uint8Array, field: string): Uint8Array[] | null {
  try {
    const bytes = view(document);
    for (const element of elements(bytes)) {
      if (element.name !== field) continue;
      if (element.type !== 0x04) return null;
      const array = bytes.subarray(element.value, element.end);
      const found: Uint8Array[] = [];
      for (const item of elements(array)) {
        if (item.type !== 0x03) return null;
        found.push(array.subarray(item.value, item.end));
      }
      return found;
    }
    return null;
  } catch {
    return null;
  }
}

/**
 * Moves the `_id` element of an encoded document to the front: the bytes a driver sent (it appends the `_id` it
 * generates) become the bytes of the document as the store keeps it (`_id` first, as mongod keeps it). Returns the
 * bytes unchanged when `_id` is already first, and null when there is no `_id` or the bytes do not add up.
 */
export function moveIdFirst(document: Uint8Array): Uint8Array | null {
  try {
    const bytes = view(document);
    for (const element of elements(bytes)) {
      if (element.name !== '_id') continue;
      if (element.start === 4) return document;
      const moved = Buffer.allocUnsafe(bytes.length);
      moved.writeInt32LE(bytes.length, 0);
      bytes.copy(moved, 4, element.start, element.end);
      bytes.copy(moved, 4 + element.end - element.start, 4, element.start);
      bytes.copy(moved, element.end, element.end);
      return moved;
    }
    return null;
  } catch {
    return null;
  }
}

/** The size in bytes of a value of the given BSON type at `at`, or -1 for a type it does not know. */
function valueSize(bytes: Buffer, type: number, at: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return 4 + bytes.readInt32LE(at);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return bytes.readInt32LE(at);
    case 0x05: // binary: length, subtype, bytes
      return 4 + 1 + bytes.readInt32LE(at);
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0;
    case 0x07: // ObjectId
      return 12;
    case 0x08: // boolean
      return 1;
    case 0x0b: {
      // regular expression: pattern and options, two C strings
      const patternEnd = bytes.indexOf(0, at);
      const optionsEnd = patternEnd < 0 ? -1 : bytes.indexOf(0, patternEnd + 1);
      return optionsEnd < 0 ? -1 : optionsEnd + 1 - at;
    }
    case 0x0c: // DBPointer: string, then 12 bytes
      return 4 + bytes.readInt32LE(at) + 12;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      return -1;
  }
}
