import { crc32c } from './crc32c';
import { HEADER_SIZE, OpCode, ProtocolError, writeHeader } from './header';
import { readBsonDocument, readCString } from './bsonReader';
import { serializeReply } from './encodedDocuments';
import type { Document } from '../engine/types';

/** OP_MSG flag bits. Bits 0-15 are "required": a receiver must reject any it does not know. */
export const MsgFlags = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const;

const KNOWN_REQUIRED_BITS = MsgFlags.checksumPresent | MsgFlags.moreToCome;

export interface OpMsgRequest {
  /** The command body, with every document-sequence section merged in as an array field. */
  command: Document;
  /** The client does not want a reply (unacknowledged writes). */
  moreToCome: boolean;
  exhaustAllowed: boolean;
}

/** Parses an OP_MSG frame (header included). Throws ProtocolError on anything malformed. */
export function parseOpMsg(frame: Buffer): OpMsgRequest {
  if (frame.length < HEADER_SIZE + 5) throw new ProtocolError('OP_MSG is too short to hold flags and a section');
  const flags = frame.readUInt32LE(HEADER_SIZE);
  const unknownRequired = flags & 0xffff & ~KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) {
    throw new ProtocolError(`OP_MSG sets unknown required flag bits 0x${unknownRequired.toString(16)}`);
  }
  let end = frame.length;
  if (flags & MsgFlags.checksumPresent) {
    end -= 4;
    if (end < HEADER_SIZE + 5) throw new ProtocolError('OP_MSG with checksum is too short');
    const expected = frame.readUInt32LE(end);
    const actual = crc32c(frame.subarray(0, end));
    if (expected !== actual) {
      throw new ProtocolError(
        `OP_MSG checksum mismatch: message carries 0x${expected.toString(16)}, content hashes to 0x${actual.toString(16)}`,
      );
    }
  }

  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  let offset = HEADER_SIZE + 4;
  while (offset < end) {
    const kind = frame[offset];
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG carries more than one body section (kind 0)');
      const { document, size } = readBsonDocument(frame.subarray(0, end), offset, 'OP_MSG body');
      body = document;
      offset += size;
    } else if (kind === 1) {
      const { identifier, documents, next } = readSequence(frame.subarray(0, end), offset);
      sequences.push([identifier, documents]);
      offset = next;
    } else {
      throw new ProtocolError(`OP_MSG section kind ${kind} is unknown (expected 0 or 1)`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG has no body section (kind 0)');
  for (const [identifier, documents] of sequences) {
    if (identifier in body) {
      throw new ProtocolError(`OP_MSG document sequence '${identifier}' duplicates a field of the body`);
    }
    body[identifier] = documents;
  }
  return {
    command: body,
    moreToCome: (flags & MsgFlags.moreToCome) !== 0,
    exhaustAllowed: (flags & MsgFlags.exhaustAllowed) !== 0,
  };
}

function readSequence(bytes: Buffer, offset: number): { identifier: string; documents: Document[]; next: number } {
  if (offset + 4 > bytes.length) throw new ProtocolError('OP_MSG document sequence is truncated');
  const size = bytes.readInt32LE(offset);
  const sectionEnd = offset + size;
  if (size < 5 || sectionEnd > bytes.length) {
    throw new ProtocolError(`OP_MSG document sequence declares ${size} bytes but ${bytes.length - offset} remain`);
  }
  const section = bytes.subarray(0, sectionEnd);
  const { value: identifier, next } = readCString(section, offset + 4, 'OP_MSG document sequence identifier');
  const documents: Document[] = [];
  let cursor = next;
  while (cursor < sectionEnd) {
    const { document, size: docSize } = readBsonDocument(section, cursor, `OP_MSG sequence '${identifier}'`);
    documents.push(document);
    cursor += docSize;
  }
  return { identifier, documents, next: sectionEnd };
}

/** Builds an OP_MSG reply with a single body section; throws when the reply is too large to send. */
export function serializeOpMsg(reply: Document, requestId: number, responseTo: number): Buffer {
  const body = serializeReply(reply);
  const frame = Buffer.alloc(HEADER_SIZE + 4 + 1 + body.length);
  writeHeader(frame, { messageLength: frame.length, requestId, responseTo, opCode: OpCode.OP_MSG });
  frame.writeUInt32LE(0, HEADER_SIZE);
  frame[HEADER_SIZE + 4] = 0;
  frame.set(body, HEADER_SIZE + 5);
  return frame;
}
