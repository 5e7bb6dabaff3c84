import type { Schema } from 'mongoose';

/**
 * How a record keeps the idempotency key of the request that created it: an optional field, unique where
 * present, so that of two concurrent retries only one can create the record (the database decides, not a
 * lock in one process), and the other finds it.
 */
export function addIdempotencyKey(schema: Schema): void {
  schema.add({ idempotencyKey: { type: String, minlength: 8, maxlength: 100 } });
  schema.index({ idempotencyKey: 1 }, { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } });
}
