import { GraphQLError } from 'graphql';

/**
 * Errors a caller can act on. Each carries a stable `extensions.code` that the gateway passes through
 * unchanged, and a message that says what was expected and what came.
 */

/** Bad input: names the field at fault, what it expected and what it received. */
export function badUserInput(field: string, expected: string, received?: unknown): GraphQLError {
  const got = received === undefined ? '' : `, received ${describe(received)}`;
  return new GraphQLError(`Invalid ${field}: expected ${expected}${got}.`, {
    extensions: { code: 'BAD_USER_INPUT', field },
  });
}

/** The caller is known but has no right to this data. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/** The caller did not prove who they are where that is required. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}

/** A referenced record does not exist. */
export function notFound(what: string, key: string): GraphQLError {
  return new GraphQLError(`No ${what} with ${key}.`, { extensions: { code: 'NOT_FOUND' } });
}

/** A request that is valid in shape but not allowed in the record's current state. */
export function conflict(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'CONFLICT', ...(field ? { field } : {}) } });
}

/** A short, safe rendering of a received value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value;
}
