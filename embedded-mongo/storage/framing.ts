import { crc32c } from '../protocol/crc32c';

/**
 * The framing of every record in journal and snapshot files: a 4-byte little-endian payload length, the 4-byte
 * CRC-32C of the payload, then the payload. A record is written whole by one write; one that a crash cut short or
 * that a disk garbled fails its length or checksum check, so it can never be half applied.
 */
export const RECORD_HEADER_BYTES = 8;

/** No record comes near this; a larger length field is garbage. */
const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

/** A record payload is at least one BSON document (5 bytes); a zero length is unwritten (zero-filled) space. */
const MIN_PAYLOAD_BYTES = 5;

export function frameRecord(payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32c(payload), 4);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

/** A file's records that check out, where they end, and what follows them. */
export interface ScannedRecords {
  records: { offset: number; payload: Buffer }[];
  /** Bytes up to the end of the last good record. */
  validLength: number;
  /** Why the bytes after `validLength` were not a record (a torn write at the end), or null when there are none. */
  tornTail: string | null;
}

/** Raised when a record in the middle of a file is damaged: something other than a crash changed the file. */
export class CorruptFileError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`${file} is corrupt at byte ${offset}: ${reason}. The data directory cannot be opened; restore it from a copy or remove the damaged file.`);
    this.name = 'CorruptFileError';
  }
}

/**
 * Reads the records of a file. A bad record with nothing valid after it is a torn write at the end (a record cut
 * short by a crash, or space the file system allocated but left unwritten): it is reported in `tornTail` and left
 * out, never half applied. A bad record followed by a good one means the file was damaged some other way, and is an
 * error naming the file and the offset, since skipping it would silently drop acknowledged writes.
 */
export function scanRecords(bytes: Buffer, file: string): ScannedRecords {
  const records: { offset: number; payload: Buffer }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const problem = checkRecord(bytes, offset);
    if (problem) {
      const later = nextGoodRecord(bytes, offset + 1);
      if (later === -1) return { records, validLength: offset, tornTail: problem };
      throw new CorruptFileError(file, offset, `${problem}, and a good record follows at byte ${later}`);
    }
    const length = bytes.readUInt32LE(offset);
    records.push({ offset, payload: bytes.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length) });
    offset += RECORD_HEADER_BYTES + length;
  }
  return { records, validLength: offset, tornTail: null };
}

/** What is wrong with the record at `offset`, or null when it checks out. */
function checkRecord(bytes: Buffer, offset: number): string | null {
  const remaining = bytes.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return `${remaining} bytes remain, fewer than a record header`;
  const length = bytes.readUInt32LE(offset);
  if (length < MIN_PAYLOAD_BYTES || length > MAX_RECORD_BYTES) return `the record length ${length} is impossible`;
  if (length > remaining - RECORD_HEADER_BYTES) return `the record declares ${length} bytes but ${remaining - RECORD_HEADER_BYTES} remain`;
  const expected = bytes.readUInt32LE(offset + 4);
  const actual = crc32c(bytes.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length));
  if (expected !== actual) return `the checksum is 0x${actual.toString(16)} but the record carries 0x${expected.toString(16)}`;
  return null;
}

/**
 * The offset of the first record from `start` on that checks out, or -1. Only positions whose length field fits the
 * file pay for a checksum, so a torn tail (usually one short write) is searched quickly.
 */
function nextGoodRecord(bytes: Buffer, start: number): number {
  for (let offset = start; offset + RECORD_HEADER_BYTES + MIN_PAYLOAD_BYTES <= bytes.length; offset++) {
    const length = bytes.readUInt32LE(offset);
    if (length < MIN_PAYLOAD_BYTES || offset + RECORD_HEADER_BYTES + length > bytes.length) continue;
    // The payload of every record is BSON: its first four bytes are its own length, which must fit the record.
    const inner = bytes.readInt32LE(offset + RECORD_HEADER_BYTES);
    if (inner < MIN_PAYLOAD_BYTES || inner > length) continue;
    if (checkRecord(bytes, offset) === null) return offset;
  }
  return -1;
}
