import { Types } from 'mongoose';
import { badUserInput } from '../../platform/errors';

/**
 * Record ids in the graph are the hex form of MongoDB ObjectIds. A malformed id from a caller is their
 * mistake (BAD_USER_INPUT), while a malformed id in an entity representation simply resolves to nothing.
 */
export function isRecordId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{24}$/i.test(value);
}

export function requireRecordId(value: unknown, field: string): string {
  if (!isRecordId(value)) throw badUserInput(field, 'an id given by this graph (24 hexadecimal digits)', value);
  return value.toLowerCase();
}

export function objectId(id: string): Types.ObjectId {
  return new Types.ObjectId(id);
}
