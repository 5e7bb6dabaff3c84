import { BSON } from 'bson';
import { MAX_BSON_OBJECT_SIZE } from './limits';
import { ProtocolError } from './header';
import type { Document } from '../engine/types';

/**
 * Reads one BSON document at `offset`. Int64 stays a `Long` (promoteLongs: false) so that 64-bit values round-trip
 * exactly; int32 and double become JS numbers, Decimal128 stays Decimal128. Returns the document and its byte size.
 */
export function readBsonDocument(bytes: Buffer, offset: number, what: string): { document: Document; size: number } {
  if (offset + 5 > bytes.length) {
    throw new ProtocolError(`${what}: expected a BSON document at byte ${offset} but the message ends`);
  }
  const size = bytes.readInt32LE(offset);
  if (size < 5 || offset + size > bytes.length) {
    throw new ProtocolError(`${what}: BSON document declares ${size} bytes but ${bytes.length - offset} remain`);
  }
  if (size > MAX_BSON_OBJECT_SIZE + 16 * 1024) {
    throw new ProtocolError(`${what}: BSON document of ${size} bytes exceeds maxBsonObjectSize`);
  }
  try {
    const document = BSON.deserialize(bytes.subarray(offset, offset + size), { promoteLongs: false }) as Document;
    return { document, size };
  } catch (error) {
    throw new ProtocolError(`${what}: invalid BSON (${(error as Error).message})`);
  }
}

/** Reads a NUL-terminated UTF-8 string; returns it and the offset just past the terminator. */
export function readCString(bytes: Buffer, offset: number, what: string): { value: string; next: number } {
  const end = bytes.indexOf(0, offset);
  if (end < 0) throw new ProtocolError(`${what}: unterminated string at byte ${offset}`);
  return { value: bytes.toString('utf8', offset, end), next: end + 1 };
}
