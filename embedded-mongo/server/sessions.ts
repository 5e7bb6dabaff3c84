import type { Document, EngineTransaction, StorageEngine } from '../engine/types';

/** mongod's `transactionLifetimeLimitSeconds` default: a transaction older than this is aborted. */
export const DEFAULT_TRANSACTION_LIFETIME_MS = 60_000;

/** One session's transaction: its number, the engine's transaction, and why it was aborted, when it was. */
export interface SessionTransaction {
  readonly number: number;
  readonly engine: EngineTransaction;
  abortReason?: string;
}

/** The reply of a session's latest retryable write, settled once the write is durable (or forgotten if it failed). */
export interface RetryableWrite {
  readonly number: number;
  readonly reply: Promise<Document>;
}

/**
 * What the server keeps per logical session (`lsid`): the highest transaction number it has used, its latest
 * transaction, and its latest retryable write's reply, so that a write the driver retries with the same number returns
 * the first result instead of being applied twice.
 */
export class SessionState {
  /** The highest txnNumber seen on this session; -1 before any. */
  txnNumber = -1;
  transaction: SessionTransaction | undefined;
  retryable: RetryableWrite | undefined;
  lastUse = Date.now();

  constructor(readonly key: string) {}
}

export interface TransactionCounters {
  totalStarted: number;
  totalCommitted: number;
  totalAborted: number;
  currentOpen: number;
}

/**
 * Every logical session the server has seen, with its transaction. A transaction is aborted when it outlives the
 * lifetime limit (as mongod's `transactionLifetimeLimitSeconds`), when its session ends, or when the session starts
 * another; sessions unused for the logical session timeout are forgotten.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, SessionState>();
  private readonly counters: TransactionCounters = { totalStarted: 0, totalCommitted: 0, totalAborted: 0, currentOpen: 0 };
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly engine: StorageEngine,
    private readonly transactionLifetimeMs: number,
    private readonly sessionTimeoutMs: number,
  ) {
    // unref: the sweep must never keep the process alive on its own.
    this.sweeper = setInterval(() => this.forgetIdle(), Math.min(60_000, sessionTimeoutMs)).unref();
  }

  get(key: string): SessionState {
    let session = this.sessions.get(key);
    if (!session) {
      session = new SessionState(key);
      this.sessions.set(key, session);
    }
    session.lastUse = Date.now();
    return session;
  }

  /** Starts transaction `number` on a session, aborting the one it had open; it is aborted if it outlives the limit. */
  startTransaction(session: SessionState, number: number): SessionTransaction {
    this.abortOpen(session, `transaction ${number} started on the same session`);
    session.txnNumber = number;
    session.retryable = undefined;
    const transaction: SessionTransaction = { number, engine: this.engine.beginTransaction() };
    session.transaction = transaction;
    this.counters.totalStarted++;
    this.counters.currentOpen++;
    const expiry = setTimeout(() => {
      if (transaction.engine.state !== 'active') return;
      transaction.abortReason = `it exceeded the transaction lifetime limit of ${this.transactionLifetimeMs / 1000} seconds`;
      transaction.engine.abort();
    }, this.transactionLifetimeMs).unref();
    void transaction.engine.finished.then(() => {
      clearTimeout(expiry);
      this.counters.currentOpen--;
      if (transaction.engine.state === 'committed') this.counters.totalCommitted++;
      else this.counters.totalAborted++;
    });
    return transaction;
  }

  /** Moves a session to a newer transaction number (a retryable write), aborting its open transaction. */
  advance(session: SessionState, number: number): void {
    this.abortOpen(session, `transaction number ${number} started on the same session`);
    session.txnNumber = number;
    session.transaction = undefined;
  }

  private abortOpen(session: SessionState, reason: string): void {
    const open = session.transaction;
    if (open && open.engine.state === 'active') {
      open.abortReason = reason;
      open.engine.abort();
    }
  }

  /** `endSessions` and `killSessions`: abort their transactions and forget them. */
  end(keys: string[]): void {
    for (const key of keys) {
      const session = this.sessions.get(key);
      if (!session) continue;
      this.abortOpen(session, 'its session ended');
      this.sessions.delete(key);
    }
  }

  /** Ends every session, when the server stops or on `killAllSessions`. */
  endAll(): void {
    this.end([...this.sessions.keys()]);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.endAll();
  }

  transactionCounters(): TransactionCounters {
    return { ...this.counters };
  }

  private forgetIdle(): void {
    const cutoff = Date.now() - this.sessionTimeoutMs;
    for (const session of [...this.sessions.values()]) {
      if (session.lastUse < cutoff && session.transaction?.engine.state !== 'active') this.sessions.delete(session.key);
    }
  }
}
