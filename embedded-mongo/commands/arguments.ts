import { Double, Int32, Long } from 'bson';
import type { Document } from '../engine/types';
import { MongoError, mongoError } from '../engine/errors';

/**
 * Typed readers for command fields. Each names the command and field it expected and what it got, because a client
 * that sends the wrong shape deserves an error that tells it exactly which field is wrong.
 */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Long) return 'long';
  if (typeof value === 'object') return (value as { _bsontype?: string })._bsontype ?? 'object';
  return typeof value;
}

export function commandName(command: Document): string {
  return Object.keys(command)[0] ?? '';
}

/** The collection a command targets: the string value of its first field. */
export function collectionName(command: Document): string {
  const name = commandName(command);
  const value = command[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new MongoError(
      73,
      'InvalidNamespace',
      `${name}: expected a collection name (non-empty string) as the value of '${name}', got ${describe(value)}`,
    );
  }
  return value;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  return undefined;
}

export function optionalNumber(command: Document, field: string): number | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  const number = asNumber(value);
  if (number === undefined || Number.isNaN(number)) {
    throw mongoError('TypeMismatch', `${commandName(command)}: field '${field}' must be a number, got ${describe(value)}`);
  }
  return number;
}

export function optionalNonNegative(command: Document, field: string): number | undefined {
  const number = optionalNumber(command, field);
  if (number !== undefined && number < 0) {
    throw mongoError('BadValue', `${commandName(command)}: field '${field}' must be non-negative, got ${number}`);
  }
  return number;
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || describe(value) !== 'object') {
    throw mongoError('TypeMismatch', `${commandName(command)}: field '${field}' must be a document, got ${describe(value)}`);
  }
  return value as Document;
}

export function requiredArray(command: Document, field: string): Document[] {
  const value = command[field];
  if (!Array.isArray(value)) {
    throw mongoError('TypeMismatch', `${commandName(command)}: field '${field}' must be an array, got ${describe(value)}`);
  }
  for (const [index, item] of value.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw mongoError(
        'TypeMismatch',
        `${commandName(command)}: element ${index} of '${field}' must be a document, got ${describe(item)}`,
      );
    }
  }
  return value as Document[];
}

export function optionalBoolean(command: Document, field: string, fallback: boolean): boolean {
  const value = command[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  const number = asNumber(value);
  if (number !== undefined) return number !== 0;
  throw mongoError('TypeMismatch', `${commandName(command)}: field '${field}' must be a boolean, got ${describe(value)}`);
}

/** A hint: an index name or a key pattern. */
export function hintOf(command: Document, name: string): Document | string | undefined {
  const hint = command.hint;
  if (hint !== undefined && typeof hint !== 'string' && (typeof hint !== 'object' || hint === null || Array.isArray(hint))) {
    throw mongoError('BadValue', `${name}: 'hint' must be an index name or a key pattern, got ${describe(hint)}`);
  }
  return hint as Document | string | undefined;
}

export { describe as describeType };
