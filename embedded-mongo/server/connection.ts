import type { Socket } from 'node:net';
import { mongoError } from '../engine/errors';
import type { Document } from '../engine/types';
import { commandName } from '../commands/arguments';
import { errorReply, runCommand } from '../commands/dispatch';
import type { ConnectionInfo, ServerState } from '../commands/context';
import { FrameReader } from '../protocol/frameReader';
import { OpCode, ProtocolError, readHeader } from '../protocol/header';
import { parseOpMsg, serializeOpMsg } from '../protocol/opMsg';
import { parseOpQuery, serializeOpReply } from '../protocol/opQuery';
import { sessionKey } from './cursors';

/** The commands a client sends to connect: answered while the data is still being loaded (see ServerState.opening). */
const HANDSHAKE = new Set(['hello', 'isMaster', 'ismaster']);

let nextRequestId = 1;

/**
 * One client connection: turns received bytes into frames, frames into commands, and replies into frames.
 * A protocol violation closes this connection with one logged line and touches nothing else; an error inside a
 * command becomes an error reply. Cursors opened here are freed when the socket closes.
 */
export class Connection implements ConnectionInfo {
  readonly peer: string;
  private readonly reader = new FrameReader();
  private closed = false;
  /** Frames received but not yet run: a connection runs its commands one at a time, in order, as mongod does. */
  private readonly queue: Buffer[] = [];
  /** Set while a command waits (for a transaction or for the disk) before its reply can go out. */
  private waiting = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly server: ServerState,
    private readonly log: (line: string) => void,
    onClose: (connection: Connection) => void,
  ) {
    this.peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    // A reset by the peer is an ordinary way for a client to go away; it needs no more than closing.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      server.cursors.closeForConnection(this.id);
      onClose(this);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.reader.push(chunk)) this.queue.push(frame);
    } catch (error) {
      this.abort(error);
      return;
    }
    this.drain();
  }

  /** Runs queued frames until one has to wait; its settling resumes the queue. */
  private drain(): void {
    while (!this.waiting && !this.closed && this.queue.length > 0) {
      const frame = this.queue.shift() as Buffer;
      try {
        const pending = this.handleFrame(frame);
        if (pending) {
          this.waiting = true;
          pending.then(
            () => {
              this.waiting = false;
              this.drain();
            },
            (error: unknown) => this.abort(error),
          );
        }
      } catch (error) {
        this.abort(error);
        return;
      }
    }
  }

  /** Closes the connection over a protocol violation (or an unforeseen failure), logging why and for whom. */
  private abort(error: unknown): void {
    const reason = error instanceof ProtocolError ? error.message : `unexpected failure: ${(error as Error)?.stack ?? String(error)}`;
    this.log(`closing connection ${this.id} from ${this.peer}: ${reason}`);
    this.closed = true;
    this.socket.destroy();
  }

  /** Runs one frame; returns a promise when its command must wait before the reply goes out. */
  private handleFrame(frame: Buffer): Promise<void> | undefined {
    const header = readHeader(frame);
    if (header.opCode === OpCode.OP_MSG) {
      const request = parseOpMsg(frame);
      const db = request.command.$db;
      const reply =
        typeof db === 'string' && db.length > 0
          ? this.execute(request.command, db, request.encodings)
          : { ok: 0, errmsg: 'OP_MSG requests require a $db argument naming the database', code: 40571, codeName: 'Location40571' };
      // moreToCome: the client sent an unacknowledged write and reads no reply.
      return this.reply(reply, request.moreToCome ? undefined : header.requestId, serializeOpMsg);
    }
    if (header.opCode === OpCode.OP_QUERY) {
      const request = parseOpQuery(frame);
      const reply =
        request.collection === '$cmd'
          ? this.execute(request.command, request.database)
          : {
              ok: 0,
              errmsg: `OP_QUERY is only accepted for commands on '<db>.$cmd', not '${request.database}.${request.collection}'; send find as an OP_MSG command`,
              code: 5739101,
              codeName: 'Location5739101',
            };
      return this.reply(reply, header.requestId, serializeOpReply);
    }
    throw new ProtocolError(`unsupported opcode ${header.opCode} (expected OP_MSG 2013 or OP_QUERY 2004)`);
  }

  /** Sends a reply now, or once it is ready; `responseTo` is undefined when the client wants no reply. */
  private reply(
    reply: Document | Promise<Document>,
    responseTo: number | undefined,
    serialize: (reply: Document, requestId: number, responseTo: number) => Buffer,
  ): Promise<void> | undefined {
    if (!(reply instanceof Promise)) {
      if (responseTo !== undefined) this.send(reply, responseTo, serialize);
      return undefined;
    }
    return reply.then((ready) => {
      if (responseTo !== undefined && !this.closed) this.send(ready, responseTo, serialize);
    });
  }

  private execute(command: Document, db: string, encodings?: Map<Document, Uint8Array>): Document | Promise<Document> {
    const run = () => runCommand({ command, db, connection: this, server: this.server, sessionId: sessionKey(command.lsid), encodings }, this.log);
    const opening = this.server.opening;
    if (opening === undefined || HANDSHAKE.has(commandName(command))) return run();
    return opening.then(run, (error: Error) => errorReply(mongoError('InternalError', `the store could not load its data: ${error.message}`), commandName(command), this.log));
  }

  private send(
    reply: Document,
    responseTo: number,
    serialize: (reply: Document, requestId: number, responseTo: number) => Buffer,
  ): void {
    const requestId = nextRequestId++ & 0x7fffffff;
    let frame: Buffer;
    try {
      // The serializers refuse a reply larger than maxBsonObjectSize; that becomes an error reply instead.
      frame = serialize(reply, requestId, responseTo);
    } catch (error) {
      frame = serialize(errorReply(error, 'reply', this.log), requestId, responseTo);
    }
    this.socket.write(frame);
  }
}
