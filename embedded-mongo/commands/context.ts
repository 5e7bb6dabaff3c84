import type { Document, EngineTransaction, StorageEngine } from '../engine/types';
import type { CursorRegistry } from '../server/cursors';
import type { OpCounters } from '../server/opcounters';
import type { SessionRegistry } from '../server/sessions';

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
  readonly sessions: SessionRegistry;
  readonly startedAt: Date;
  /** `host:port` as clients reach the server; the replica set's only member. */
  readonly host: string;
  /** Whether data is kept in a data directory (journal and snapshots) rather than only in memory. */
  readonly persistent: boolean;
  /** Set while the data is still being loaded: every command but the handshake waits for it. */
  readonly opening: Promise<void> | undefined;
  connectionStats(): { current: number; totalCreated: number };
  /**
   * Journals the changes the engine made since the last call, and returns a promise settled when everything journaled
   * so far is on disk; undefined when the store keeps no journal (in memory), so that replies need not wait.
   * `encodings` are stored documents' bytes as they came, which the journal writes instead of serialising them.
   */
  persist(encodings?: ReadonlyMap<Document, Uint8Array>): Promise<void> | undefined;
}

/** One command being run: the parsed body, its database, and who sent it. */
export interface CommandContext {
  readonly command: Document;
  readonly db: string;
  readonly connection: ConnectionInfo;
  readonly server: ServerState;
  /** The logical session (`lsid`) key, if the driver sent one. */
  readonly sessionId: string | undefined;
  /** The transaction the command runs in, when it carries `autocommit: false`. */
  readonly transaction?: EngineTransaction;
  /** The encoded bytes of the documents the command carried in document sequences, by document (see OpMsgRequest). */
  readonly encodings?: Map<Document, Uint8Array>;
}

/**
 * A command handler returns the reply body without `ok`; the dispatcher adds `ok: 1`. Errors are thrown. A handler
 * returns a promise only when it has to wait (a write waiting for a transaction that holds its documents).
 */
export type CommandHandler = (context: CommandContext) => Document | Promise<Document>;
