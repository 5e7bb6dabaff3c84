import type { Document, StorageEngine } from '../engine/types';
import type { CursorRegistry } from '../server/cursors';
import type { OpCounters } from '../server/opcounters';

/** What the server knows about one client connection, as commands need it. */
export interface ConnectionInfo {
  readonly id: number;
  /** `address:port` of the peer, as `whatsmyuri` reports it. */
  readonly peer: string;
}

/** Server-wide state that commands read or change. */
export interface ServerState {
  readonly engine: StorageEngine;
  readonly cursors: CursorRegistry;
  readonly opcounters: OpCounters;
  readonly startedAt: Date;
  readonly host: string;
  connectionStats(): { current: number; totalCreated: number };
}

/** One command being run: the parsed body, its database, and who sent it. */
export interface CommandContext {
  readonly command: Document;
  readonly db: string;
  readonly connection: ConnectionInfo;
  readonly server: ServerState;
  /** The logical session (`lsid`) key, if the driver sent one. */
  readonly sessionId: string | undefined;
}

/** A command handler returns the reply body without `ok`; the dispatcher adds `ok: 1`. Errors are thrown. */
export type CommandHandler = (context: CommandContext) => Document;
