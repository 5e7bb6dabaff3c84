import type { Document } from '../engine/types';
import { mongoError, type MongoError } from '../engine/errors';

/** Appended to every refusal, because the remedy is always the same: run against a real MongoDB. */
export const USE_REAL_MONGODB = 'use a real MongoDB through MONGODB_URI';

export function unsupported(feature: string): MongoError {
  return mongoError('BadValue', `${feature} is not supported by the embedded store; ${USE_REAL_MONGODB}.`);
}

export function commandNotFound(name: string): MongoError {
  return mongoError(
    'CommandNotFound',
    `no such command: '${name}'. The embedded store does not support it; ${USE_REAL_MONGODB}.`,
  );
}

/**
 * Refuses options whose effect the store cannot honour, rather than silently ignoring them and answering wrongly.
 * `where` names the command (and statement) so that the message points at the exact place.
 */
export function refuseOptions(document: Document, options: readonly string[], where: string): void {
  for (const option of options) {
    if (document[option] !== undefined && document[option] !== null && document[option] !== false) {
      throw unsupported(`The '${option}' option of ${where}`);
    }
  }
}
