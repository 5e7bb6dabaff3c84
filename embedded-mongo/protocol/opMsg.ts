import { crc32c } from './crc32c';
import { HEADER_SIZE, OpCode, ProtocolError, writeHeader } from './header';
import { readBsonDocument, readCString } from './bsonReader';
import { documentsIn } from './bsonBytes';
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
  /**
   * The encoded bytes of each document of the document sequences (an insert's documents), so that the journal can
   * write them as they came instead of serialising them again. They belong to this request's frame.
   */
  encodings: Map<Document, Uint8Array> | undefined;
  exhaustAllowed: boolean;
}

/** Parses an OP_MSG frame (header included). Throws ProtocolError on anything malformed. */
const commandName = (command: Document) => Object.keys(command)[0];

/** Keeps each decoded document's bytes, when the bytes were found for every one of them. */
function recordEncodings(documents: Document[], encoded: Uint8Array[] | null, encodings: Map<Document, Uint8Array>): void {
  if (!encoded || encoded.length !== documents.length) return;
  documents.forEach((document, i) => encodings.set(document, encoded[i]));
}

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
  let encodings: Map<Document, Uint8Array> | undefined;
  let offset = HEADER_SIZE + 4;
  while (offset < end) {
    const kind = frame[offset];
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG carries more than one body section (kind 0)');
      const { document, size } = readBsonDocument(frame.subarray(0, end), offset, 'OP_MSG body');
      body = document;
      // An insert's documents usually come in the body (the Node driver sends no document sequence for them).
      if (commandName(document) === 'insert' && Array.isArray(document.documents)) {
        encodings ??= new Map();
        recordEncodings(document.documents as Document[], documentsIn(frame.subarray(offset, offset + size), 'documents'), encodings);
      }
      offset += size;
    } else if (kind === 1) {
      encodings ??= new Map();
      const { identifier, documents, next } = readSequence(frame.subarray(0, end), offset, encodings);
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
    encodings,
  };
}

function readSequence(bytes: Buffer, offset: number, encodings: Map<Document, Uint8Array>): { identifier: string; documents: Document[]; next: number } {
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
    encodings.set(document, section.subarray(cursor, cursor + docSize));
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
