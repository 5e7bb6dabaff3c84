import type { Document } from './types';

/**
 * An error that the server answers as a MongoDB command error: `{ ok: 0, errmsg, code, codeName, ...extra }`.
 * Codes and code names are MongoDB's own, so drivers and mongoose react to them as they would to mongod.
 */
export class MongoError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
    this.name = 'MongoError';
  }
}

/** MongoDB's error codes that the store uses. */
export const ErrorCode = {
  InternalError: { code: 1, codeName: 'InternalError' },
  BadValue: { code: 2, codeName: 'BadValue' },
  FailedToParse: { code: 9, codeName: 'FailedToParse' },
  Unauthorized: { code: 13, codeName: 'Unauthorized' },
  TypeMismatch: { code: 14, codeName: 'TypeMismatch' },
  IllegalOperation: { code: 20, codeName: 'IllegalOperation' },
  NamespaceNotFound: { code: 26, codeName: 'NamespaceNotFound' },
  IndexNotFound: { code: 27, codeName: 'IndexNotFound' },
  CursorNotFound: { code: 43, codeName: 'CursorNotFound' },
  NamespaceExists: { code: 48, codeName: 'NamespaceExists' },
  CommandNotFound: { code: 59, codeName: 'CommandNotFound' },
  ImmutableField: { code: 66, codeName: 'ImmutableField' },
  WriteConflict: { code: 112, codeName: 'WriteConflict' },
  ConflictingOperationInProgress: { code: 117, codeName: 'ConflictingOperationInProgress' },
  IncompleteTransactionHistory: { code: 217, codeName: 'IncompleteTransactionHistory' },
  TransactionTooOld: { code: 225, codeName: 'TransactionTooOld' },
  NoSuchTransaction: { code: 251, codeName: 'NoSuchTransaction' },
  TransactionCommitted: { code: 256, codeName: 'TransactionCommitted' },
  OperationNotSupportedInTransaction: { code: 263, codeName: 'OperationNotSupportedInTransaction' },
  InvalidOptions: { code: 72, codeName: 'InvalidOptions' },
  IndexOptionsConflict: { code: 85, codeName: 'IndexOptionsConflict' },
  IndexKeySpecsConflict: { code: 86, codeName: 'IndexKeySpecsConflict' },
  NotImplemented: { code: 238, codeName: 'NotImplemented' },
  Location40324: { code: 40324, codeName: 'Location40324' },
  DuplicateKey: { code: 11000, codeName: 'DuplicateKey' },
  AuthenticationFailed: { code: 18, codeName: 'AuthenticationFailed' },
} as const;

export function mongoError(
  kind: keyof typeof ErrorCode,
  message: string,
  extra: Document = {},
): MongoError {
  const { code, codeName } = ErrorCode[kind];
  return new MongoError(code, codeName, message, extra);
}

/** mongod's message for a write conflict inside a transaction, which the driver retries (TransientTransactionError). */
export function writeConflict(detail: string): MongoError {
  return mongoError(
    'WriteConflict',
    `Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction. (${detail})`,
  );
}
