import { Types } from 'mongoose';
import { badUserInput } from '../../platform/errors';

/**
 * Input checks every agency needs in the same way. Each names the field at fault and says what it
 * expected, so a staff app can point at the right box.
 */

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** A record id as the graph hands it out: the 24 hex digits of a MongoDB ObjectId. */
export function requireObjectId(value: unknown, field: string, what = 'a record'): Types.ObjectId {
  if (typeof value !== 'string' || !OBJECT_ID.test(value)) {
    throw badUserInput(field, `the id of ${what} (24 hexadecimal digits, as the graph returns it)`, value);
  }
  return new Types.ObjectId(value);
}

/**
 * MongoDB's duplicate-key error, raised when a unique index refuses a write; with `field`, only when that
 * field is part of the refusing index. Retry-safe mutations turn it into "return what was written first".
 */
export function isDuplicateKey(error: unknown, field?: string): boolean {
  const e = error as { code?: unknown; keyPattern?: Record<string, unknown>; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.code !== 11000) return false;
  if (!field) return true;
  if (e.keyPattern) return field in e.keyPattern;
  return typeof e.message === 'string' && e.message.includes(field);
}
