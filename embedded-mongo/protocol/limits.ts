/**
 * The limits the store advertises in `hello` and enforces on the wire. They are mongod's own values, so that the
 * driver splits batches and sizes messages exactly as it would for a real server.
 */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

/** The wire version of MongoDB 7.0, and the server version the store reports. */
export const MAX_WIRE_VERSION = 21;
export const MIN_WIRE_VERSION = 0;
export const SERVER_VERSION = '7.0.0';
export const SERVER_VERSION_ARRAY = [7, 0, 0, 0];

export const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;
