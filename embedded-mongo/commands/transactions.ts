import { Long } from 'bson';
import { MongoError, mongoError } from '../engine/errors';
import type { DataOperations, Document, EngineTransaction, Explainer } from '../engine/types';
import type { SessionState } from '../server/sessions';
import { describeType } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { USE_REAL_MONGODB } from './refusals';

/** The commands a multi-document transaction may run, as on mongod (plus count, which the store also allows). */
const TRANSACTION_COMMANDS = new Set([
  'find', 'getMore', 'killCursors', 'aggregate', 'count', 'distinct', 'insert', 'update', 'delete', 'findAndModify',
  'findandmodify', 'commitTransaction', 'abortTransaction',
]);

/** The commands a driver makes retryable by sending a txnNumber without autocommit. */
const RETRYABLE_WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);

/** Read concern levels a single-node replica set honours as they are: every committed write is majority-committed. */
const READ_CONCERN_LEVELS = new Set(['local', 'majority', 'snapshot', 'available', 'linearizable']);

/** Codes after which mongod labels an error in a transaction TransientTransactionError: retrying it may succeed. */
const TRANSIENT_CODES = new Set([112 /* WriteConflict */, 24 /* LockTimeout */, 251 /* NoSuchTransaction */]);

/** How one command relates to sessions: plain, inside a transaction, or a retryable write. */
export interface CommandScope {
  readonly transaction?: EngineTransaction;
  /** The reply of this very retryable write, already applied once: answered again without applying it twice. */
  readonly retried?: Promise<Document>;
  succeeded(reply: Document): void;
  failed(error: unknown): void;
}

const PLAIN: CommandScope = { succeeded() {}, failed() {} };

function transactionNumber(command: Document): number {
  const value = command.txnNumber;
  const number = value instanceof Long ? value.toNumber() : typeof value === 'number' ? value : NaN;
  if (!Number.isSafeInteger(number) || number < 0) {
    throw mongoError('TypeMismatch', `txnNumber must be a non-negative 64-bit integer, got ${describeType(value)}`);
  }
  return number;
}

function checkReadConcern(command: Document): void {
  const readConcern = command.readConcern as Document | undefined;
  if (readConcern === undefined) return;
  if (typeof readConcern !== 'object' || readConcern === null) {
    throw mongoError('TypeMismatch', `readConcern must be a document, got ${describeType(readConcern)}`);
  }
  const level = readConcern.level;
  if (level !== undefined && !READ_CONCERN_LEVELS.has(String(level))) {
    throw mongoError('BadValue', `readConcern level must be one of local, majority, snapshot, available or linearizable, got ${JSON.stringify(level)}`);
  }
  if (readConcern.atClusterTime !== undefined) {
    throw mongoError('InvalidOptions', `readConcern atClusterTime is not supported by the embedded store (a transaction reads as of its start); ${USE_REAL_MONGODB}`);
  }
}

/**
 * Works out how a command relates to its session before it runs, as mongod does: `autocommit: false` with a
 * txnNumber starts (with `startTransaction`) or continues a transaction; a txnNumber alone makes a retryable write.
 */
export function openScope(context: CommandContext, name: string): CommandScope {
  const { command } = context;
  const inTransaction = command.autocommit !== undefined;
  if (command.txnNumber === undefined && !inTransaction) {
    if (command.startTransaction !== undefined) throw mongoError('InvalidOptions', 'startTransaction needs autocommit: false and a txnNumber');
    if (name === 'commitTransaction' || name === 'abortTransaction') {
      throw mongoError('InvalidOptions', `${name} must be run in a transaction: with an lsid, a txnNumber and autocommit: false`);
    }
    return PLAIN;
  }
  if (!context.sessionId) throw mongoError('InvalidOptions', 'Transaction numbers require a session: send an lsid with the txnNumber');
  const session = context.server.sessions.get(context.sessionId);
  if (command.txnNumber === undefined) throw mongoError('InvalidOptions', 'autocommit: false needs a txnNumber');
  const number = transactionNumber(command);
  if (inTransaction) return transactionScope(context, name, session, number);
  if (command.startTransaction !== undefined) throw mongoError('InvalidOptions', 'startTransaction needs autocommit: false');
  if (!RETRYABLE_WRITES.has(name)) {
    throw mongoError('IllegalOperation', `txnNumber may only be provided for multi-document transactions and retryable write commands; '${name}' is neither`);
  }
  return retryableScope(context, session, number);
}

function transactionScope(context: CommandContext, name: string, session: SessionState, number: number): CommandScope {
  const { command, server } = context;
  if (command.autocommit !== false) throw mongoError('InvalidOptions', `autocommit must be false when given, got ${JSON.stringify(command.autocommit)}`);
  if (command.startTransaction !== undefined) {
    if (command.startTransaction !== true) throw mongoError('InvalidOptions', 'startTransaction must be true when given');
    if (number < session.txnNumber) {
      throw mongoError('TransactionTooOld', `Cannot start transaction ${number} on session ${session.key} because a newer transaction ${session.txnNumber} has already started.`);
    }
    if (number === session.txnNumber) {
      throw mongoError('ConflictingOperationInProgress', `Cannot start a transaction at given transaction number ${number}: a transaction or retryable write with the same number has already started on this session.`);
    }
    if (name === 'commitTransaction' || name === 'abortTransaction') {
      throw mongoError('NoSuchTransaction', `Transaction ${number} cannot be started by ${name}.`);
    }
    checkReadConcern(command);
    server.sessions.startTransaction(session, number);
  } else if (command.readConcern !== undefined) {
    throw mongoError('InvalidOptions', 'Only the first command in a transaction may specify a readConcern');
  }
  const transaction = session.transaction;
  if (!transaction || transaction.number !== number || session.txnNumber !== number) {
    throw mongoError(
      'NoSuchTransaction',
      `Given transaction number ${number} does not match any in-progress transactions. The active transaction number is ${session.txnNumber}`,
    );
  }
  const { engine } = transaction;
  if (engine.state === 'committed') {
    // The driver retries a commit whose reply it lost; the answer is the same.
    if (name === 'commitTransaction') return { ...PLAIN, retried: Promise.resolve({ ok: 1 }) };
    throw mongoError('TransactionCommitted', `Transaction ${number} has been committed.`);
  }
  if (engine.state === 'aborted') {
    const reason = transaction.abortReason ? ` It was aborted because ${transaction.abortReason}.` : '';
    throw mongoError('NoSuchTransaction', `Transaction with { txnNumber: ${number} } has been aborted.${reason}`);
  }
  // From here on a failure aborts the transaction, as any failed command inside a transaction does on mongod.
  try {
    if (!TRANSACTION_COMMANDS.has(name)) {
      throw mongoError('OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction (the embedded store runs only reads and document writes in transactions; create collections and indexes before the transaction).`);
    }
    if (command.writeConcern !== undefined && name !== 'commitTransaction' && name !== 'abortTransaction') {
      throw mongoError('InvalidOptions', 'Cannot set write concern after starting a transaction.');
    }
  } catch (error) {
    transaction.abortReason = `a command in it failed: ${(error as Error).message}`;
    engine.abort();
    throw error;
  }
  return {
    transaction: engine,
    succeeded() {},
    failed(error) {
      if (engine.state !== 'active') return;
      transaction.abortReason = `a command in it failed: ${error instanceof Error ? error.message : String(error)}`;
      engine.abort();
    },
  };
}

function retryableScope(context: CommandContext, session: SessionState, number: number): CommandScope {
  if (number < session.txnNumber) {
    throw mongoError(
      'TransactionTooOld',
      `Retryable write with txnNumber ${number} is prohibited on session ${session.key} because a newer retryable write with txnNumber ${session.txnNumber} has already started on this session.`,
    );
  }
  if (number === session.txnNumber) {
    if (session.retryable?.number === number) return { ...PLAIN, retried: session.retryable.reply };
    if (session.transaction?.number === number) {
      throw mongoError('IncompleteTransactionHistory', `txnNumber ${number} was used by a transaction on this session; a retryable write needs a new number`);
    }
    // The first attempt with this number failed and left nothing behind: this one runs as the first did.
  } else {
    context.server.sessions.advance(session, number);
  }
  let settle!: (reply: Document) => void;
  let forget!: (error: unknown) => void;
  const reply = new Promise<Document>((resolve, reject) => {
    settle = resolve;
    forget = reject;
  });
  // A retry that arrives while the first attempt still runs waits for it; nobody else awaits a failure.
  reply.catch(() => {});
  const retryable = { number, reply };
  session.retryable = retryable;
  return {
    succeeded(final) {
      settle(final);
    },
    failed(error) {
      if (session.retryable === retryable) session.retryable = undefined;
      forget(error);
    },
  };
}

/**
 * The labels mongod puts on an error: TransientTransactionError inside a transaction when a retry of the whole
 * transaction may succeed; UnknownTransactionCommitResult when a commit may or may not have been applied.
 */
export function errorLabels(command: Document, name: string, error: unknown, afterApplying: boolean): string[] {
  if (command.autocommit === undefined) return [];
  // The commit was applied in memory but could not be made durable: after a restart it may be gone.
  if (name === 'commitTransaction' && afterApplying) return ['UnknownTransactionCommitResult'];
  const code = error instanceof MongoError ? error.code : undefined;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return ['TransientTransactionError'];
  return [];
}

/** The data operations a command runs: inside its transaction, or on committed data. */
export function dataFor(context: CommandContext): DataOperations & Explainer {
  return context.server.engine.operations(context.transaction);
}

const commitTransaction: CommandHandler = (context) => {
  // The session layer has checked that the transaction is open (or answered a retried commit already).
  (context.transaction as EngineTransaction).commit();
  return {};
};

const abortTransaction: CommandHandler = (context) => {
  (context.transaction as EngineTransaction).abort();
  return {};
};

export const transactionCommands: Record<string, CommandHandler> = { commitTransaction, abortTransaction };
