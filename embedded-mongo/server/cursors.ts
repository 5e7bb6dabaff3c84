import { randomBytes } from 'node:crypto';
import { Binary, Long } from 'bson';
import type { Document } from '../engine/types';
import { mongoError } from '../engine/errors';

/** mongod's default `cursorTimeoutMillis`: a cursor nobody asks for within 10 minutes is freed. */
export const DEFAULT_CURSOR_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * An open server-side cursor: the documents a find, aggregate or list command produced but has not yet returned.
 * The engine hands over a finished result (it is in memory and synchronous), so a cursor is a position in an array.
 */
export interface ServerCursor {
  readonly id: Long;
  readonly namespace: string;
  readonly connectionId: number;
  /** The session the cursor was opened in; getMore from another connection is allowed only in that session. */
  readonly sessionId: string | undefined;
  readonly documents: Document[];
  position: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Every open cursor of the server, keyed by id. A cursor belongs to the connection that opened it and is freed when
 * that connection closes, when it is exhausted or killed, or after the idle timeout. The driver may send getMore on
 * another pooled connection, but always with the same logical session, so the session is also accepted as owner.
 */
export class CursorRegistry {
  private readonly cursors = new Map<string, ServerCursor>();

  constructor(private readonly idleTimeoutMs: number = DEFAULT_CURSOR_IDLE_TIMEOUT_MS) {}

  get size(): number {
    return this.cursors.size;
  }

  open(namespace: string, documents: Document[], connectionId: number, sessionId: string | undefined): ServerCursor {
    const cursor: ServerCursor = {
      id: newCursorId(this.cursors),
      namespace,
      connectionId,
      sessionId,
      documents,
      position: 0,
      idleTimer: undefined,
    };
    this.cursors.set(cursor.id.toString(), cursor);
    this.touch(cursor);
    return cursor;
  }

  /** Finds a cursor for getMore; a cursor that is unknown, of another namespace or another owner is not found. */
  claim(id: Long, namespace: string, connectionId: number, sessionId: string | undefined): ServerCursor {
    const cursor = this.cursors.get(id.toString());
    const owned =
      cursor !== undefined &&
      (cursor.connectionId === connectionId || (cursor.sessionId !== undefined && cursor.sessionId === sessionId));
    if (!cursor || !owned) throw mongoError('CursorNotFound', `cursor id ${id.toString()} not found`);
    if (cursor.namespace !== namespace) {
      throw mongoError(
        'CursorNotFound',
        `cursor id ${id.toString()} belongs to namespace ${cursor.namespace}, not ${namespace}`,
      );
    }
    this.touch(cursor);
    return cursor;
  }

  /** Frees a cursor; returns whether it existed. */
  close(id: Long | string): boolean {
    const key = id.toString();
    const cursor = this.cursors.get(key);
    if (!cursor) return false;
    if (cursor.idleTimer) clearTimeout(cursor.idleTimer);
    this.cursors.delete(key);
    return true;
  }

  closeForConnection(connectionId: number): number {
    let closed = 0;
    for (const cursor of [...this.cursors.values()]) {
      if (cursor.connectionId === connectionId && this.close(cursor.id)) closed++;
    }
    return closed;
  }

  closeAll(): void {
    for (const key of [...this.cursors.keys()]) this.close(key);
  }

  private touch(cursor: ServerCursor): void {
    if (cursor.idleTimer) clearTimeout(cursor.idleTimer);
    // unref: an idle cursor must never keep the process alive on its own.
    cursor.idleTimer = setTimeout(() => this.close(cursor.id), this.idleTimeoutMs).unref();
  }
}

/** A random, positive, non-zero 64-bit id (0 means "exhausted" on the wire), unique among open cursors. */
function newCursorId(open: Map<string, ServerCursor>): Long {
  for (;;) {
    const bytes = randomBytes(8);
    bytes[7] &= 0x7f;
    const id = Long.fromBytesLE([...bytes]);
    if (!id.isZero() && !open.has(id.toString())) return id;
  }
}

/** A stable key for a logical session id (`lsid.id`, a UUID Binary), used to match getMore to its cursor. */
export function sessionKey(lsid: unknown): string | undefined {
  if (typeof lsid !== 'object' || lsid === null) return undefined;
  const id = (lsid as Document).id;
  return id instanceof Binary ? id.toString('hex') : undefined;
}
