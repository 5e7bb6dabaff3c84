import { HEADER_SIZE, OpCode, ProtocolError, writeHeader } from './header';
import { readBsonDocument, readCString } from './bsonReader';
import { serializeReply } from './encodedDocuments';
import type { Document } from '../engine/types';

/**
 * The legacy OP_QUERY, which drivers still use for the very first handshake (`hello`/`isMaster` on `admin.$cmd`).
 * Only commands are accepted, as on mongod 6.0 and later; OP_QUERY reads of collections were removed there.
 */
export interface OpQueryRequest {
  database: string;
  collection: string;
  command: Document;
}

export function parseOpQuery(frame: Buffer): OpQueryRequest {
  let offset = HEADER_SIZE + 4; // skip the flags
  if (frame.length < offset + 1) throw new ProtocolError('OP_QUERY is too short');
  const { value: namespace, next } = readCString(frame, offset, 'OP_QUERY collection name');
  offset = next + 8; // numberToSkip, numberToReturn
  const { document } = readBsonDocument(frame, offset, 'OP_QUERY query');
  const dot = namespace.indexOf('.');
  const database = dot < 0 ? namespace : namespace.slice(0, dot);
  const collection = dot < 0 ? '' : namespace.slice(dot + 1);
  // Drivers wrap a command in `$query` when they also send a read preference.
  const command = isWrapped(document) ? (document.$query as Document) : document;
  return { database, collection, command };
}

function isWrapped(document: Document): boolean {
  return typeof document.$query === 'object' && document.$query !== null && !Array.isArray(document.$query);
}

/** Builds an OP_REPLY carrying one document, the answer to a command sent by OP_QUERY. */
export function serializeOpReply(reply: Document, requestId: number, responseTo: number): Buffer {
  const body = serializeReply(reply);
  const frame = Buffer.alloc(HEADER_SIZE + 20 + body.length);
  writeHeader(frame, { messageLength: frame.length, requestId, responseTo, opCode: OpCode.OP_REPLY });
  frame.writeInt32LE(0, HEADER_SIZE); // responseFlags
  frame.writeBigInt64LE(0n, HEADER_SIZE + 4); // cursorID
  frame.writeInt32LE(0, HEADER_SIZE + 12); // startingFrom
  frame.writeInt32LE(1, HEADER_SIZE + 16); // numberReturned
  frame.set(body, HEADER_SIZE + 20);
  return frame;
}
