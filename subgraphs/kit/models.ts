import type { Connection, InferSchemaType, Model, Schema, Types } from 'mongoose';

/**
 * Compiling an agency's mongoose models in one call, with their document types inferred from the schemas,
 * so a models.ts states its schemas and their names once and nothing else.
 */

/** A stored document as `lean()` reads it: the schema's fields and its ObjectId. */
export type Stored<S extends Schema<any>> = InferSchemaType<S> & { _id: Types.ObjectId };

/** The model name (which names its collection) and schema under each key, e.g. `{ Loan: ['KurniaLoan', loanSchema] }`. */
export type SchemaTable = Record<string, readonly [name: string, schema: Schema<any>]>;

export type CompiledModels<T extends SchemaTable> = { [K in keyof T]: Model<Stored<T[K][1]>> };

export function compileModels<T extends SchemaTable>(connection: Connection, table: T): CompiledModels<T> {
  return Object.fromEntries(
    Object.entries(table).map(([key, [name, schema]]) => [key, connection.model(name, schema)]),
  ) as unknown as CompiledModels<T>;
}
