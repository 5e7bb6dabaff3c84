import type { Document } from '../engine/types';
import { MongoError } from '../engine/errors';
import type { OpCounterName } from '../server/opcounters';
import { commandName } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { databaseCommands } from './databases';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { readCommands } from './reads';
import { commandNotFound, refuseTransactions } from './refusals';
import { sessionCommands } from './sessions';
import { writeCommands } from './writes';

const COMMANDS = new Map<string, CommandHandler>(
  Object.entries({
    ...handshakeCommands,
    ...sessionCommands,
    ...databaseCommands,
    ...indexCommands,
    ...writeCommands,
    ...readCommands,
  }),
);

/**
 * Which opcounter a command adds to when it arrives. insert, update and delete count their documents or statements
 * themselves, inside the handler, because only the handler knows how many were attempted.
 */
function counterFor(name: string): OpCounterName | undefined {
  switch (name) {
    case 'find':
      return 'query';
    case 'getMore':
      return 'getmore';
    case 'insert':
    case 'update':
    case 'delete':
      return undefined;
    default:
      return 'command';
  }
}

export function isKnownCommand(name: string): boolean {
  return COMMANDS.has(name);
}

/**
 * Runs one command and returns its reply. Every failure becomes an error reply shaped as mongod's
 * (`{ ok: 0, errmsg, code, codeName }`); nothing a client sends can throw out of here.
 */
export function runCommand(context: CommandContext, log: (line: string) => void): Document {
  const name = commandName(context.command);
  // mongod files commands it does not know under one name, so a client cannot grow the table at will.
  const metricName = COMMANDS.has(name) ? name : '<UNKNOWN>';
  try {
    const counter = counterFor(name);
    if (counter) context.server.opcounters.add(counter);
    refuseTransactions(context.command);
    const handler = COMMANDS.get(name);
    if (!handler) throw commandNotFound(name);
    const reply = { ...handler(context), ok: 1 };
    context.server.opcounters.recordCommand(metricName, false);
    return reply;
  } catch (error) {
    context.server.opcounters.recordCommand(metricName, true);
    return errorReply(error, name, log);
  }
}

export function errorReply(error: unknown, name: string, log: (line: string) => void): Document {
  if (error instanceof MongoError) {
    return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName, ...error.extra };
  }
  // An unexpected exception is a bug in the store, not in the client's request: log it with its stack.
  const message = error instanceof Error ? error.message : String(error);
  log(`internal error in command '${name}': ${error instanceof Error ? error.stack : message}`);
  return { ok: 0, errmsg: `internal error in the embedded store running '${name}': ${message}`, code: 1, codeName: 'InternalError' };
}
