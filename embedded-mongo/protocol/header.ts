import { MAX_MESSAGE_SIZE_BYTES } from './limits';

/** The opcodes the store understands. OP_COMPRESSED is deliberately absent: compression is never advertised. */
export const OpCode = {
  OP_REPLY: 1,
  OP_QUERY: 2004,
  OP_MSG: 2013,
} as const;

export const HEADER_SIZE = 16;

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A violation of the wire protocol. The connection that sent it is closed; nothing else is affected. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function readHeader(frame: Buffer): MessageHeader {
  return {
    messageLength: frame.readInt32LE(0),
    requestId: frame.readInt32LE(4),
    responseTo: frame.readInt32LE(8),
    opCode: frame.readInt32LE(12),
  };
}

/** Checks a declared frame length before any of its bytes are buffered, so a huge length cannot exhaust memory. */
export function checkDeclaredLength(length: number): void {
  if (length < HEADER_SIZE) {
    throw new ProtocolError(`message length ${length} is shorter than the ${HEADER_SIZE}-byte header`);
  }
  if (length > MAX_MESSAGE_SIZE_BYTES) {
    throw new ProtocolError(`message length ${length} exceeds maxMessageSizeBytes ${MAX_MESSAGE_SIZE_BYTES}`);
  }
}

export function writeHeader(target: Buffer, header: MessageHeader): void {
  target.writeInt32LE(header.messageLength, 0);
  target.writeInt32LE(header.requestId, 4);
  target.writeInt32LE(header.responseTo, 8);
  target.writeInt32LE(header.opCode, 12);
}
