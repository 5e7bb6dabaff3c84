import net from 'node:net';
import { BSON, type Document } from 'bson';

/**
 * A minimal raw wire-protocol client for the robustness tests: it sends hand-built frames (valid or not) over a plain
 * socket and reads OP_MSG replies, so a test can prove what the server does with bytes no driver would send.
 */
export function opMsgFrame(command: Document, requestId = 1, flags = 0): Buffer {
  const body = BSON.serialize(command);
  const frame = Buffer.alloc(16 + 4 + 1 + body.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(0, 8);
  frame.writeInt32LE(2013, 12);
  frame.writeUInt32LE(flags, 16);
  frame[20] = 0;
  frame.set(body, 21);
  return frame;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= this.buffered.readInt32LE(0)) {
        const length = this.buffered.readInt32LE(0);
        const frame = this.buffered.subarray(0, length);
        this.buffered = this.buffered.subarray(length);
        this.waiting.shift()?.(frame);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(uri: string): Promise<RawConnection> {
    const { hostname, port } = new URL(uri);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the body of the next OP_MSG reply to arrive (Longs kept as Long). */
  nextReply(): Promise<Document> {
    const reply = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    return reply.then((frame) => BSON.deserialize(frame.subarray(21), { promoteLongs: false }));
  }

  /** Sends a command as OP_MSG and resolves with the reply body. */
  command(command: Document): Promise<Document> {
    const reply = this.nextReply();
    this.write(opMsgFrame(command));
    return reply;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
