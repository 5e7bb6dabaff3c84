import { Binary } from 'bson';

/**
 * A deep copy of a BSON value. Plain objects, arrays, dates and binary buffers are copied; ObjectId, Long,
 * Decimal128 and the other BSON value classes are immutable, so they are shared. Every document that enters
 * or leaves the store goes through this, so that no caller (and no mingo stage that edits its input in
 * place) can reach stored data.
 */
export function deepClone<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(deepClone) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof RegExp) return new RegExp(value.source, value.flags) as T;
  const bsonType = (value as { _bsontype?: string })._bsontype;
  if (bsonType === 'Binary') {
    const binary = value as unknown as Binary;
    return new Binary(Buffer.from(binary.buffer.subarray(0, binary.position)), binary.sub_type) as T;
  }
  if (bsonType !== undefined) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = deepClone((value as Record<string, unknown>)[key]);
  return copy as T;
}
