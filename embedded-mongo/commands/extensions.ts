import { mongoError } from '../engine/errors';
import { describeType } from './arguments';
import type { CommandHandler } from './context';

/**
 * Commands of the embedded store that MongoDB does not have. The application uses them in tests only, where a real
 * MongoDB is not involved: the test suite seeds every agency once, and each test file that writes works on its own
 * copy of an agency's database.
 */

function databaseName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw mongoError('TypeMismatch', `cloneDatabase: '${field}' must be a database name (a non-empty string), got ${describeType(value)}`);
  }
  return value;
}

/**
 * `{ cloneDatabase: '<source>', to: '<target>' }` on the admin database: makes `to` a copy of `source` as it is now
 * (every collection, index and document; see MemoryEngine.cloneDatabase). It is a write like any other: with a data
 * directory its reply waits until the clone is journaled. Inside a transaction it is refused (263), as `create` is.
 */
const cloneDatabase: CommandHandler = ({ command, db, server }) => {
  if (db !== 'admin') {
    throw mongoError('Unauthorized', `cloneDatabase may only be run against the admin database, not '${db}'`);
  }
  const from = databaseName(command.cloneDatabase, 'cloneDatabase');
  const to = databaseName(command.to, 'to');
  const copied = server.engine.cloneDatabase(from, to);
  return { from, to, ...copied };
};

export const extensionCommands: Record<string, CommandHandler> = { cloneDatabase };
