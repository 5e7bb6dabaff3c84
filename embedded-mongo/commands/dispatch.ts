import type { Document } from '../engine/types';
import { MongoError } from '../engine/errors';
import type { OpCounterName } from '../server/opcounters';
import { commandName } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { databaseCommands } from './databases';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { explainCommands } from './explain';
import { extensionCommands } from './extensions';
import { readCommands } from './reads';
import { commandNotFound } from './refusals';
import { sessionCommands } from './sessions';
import { errorLabels, openScope, transactionCommands, type CommandScope } from './transactions';
import { writeCommands } from './writes';

const COMMANDS = new Map<string, CommandHandler>(
  Object.entries({
    ...handshakeCommands,
    ...sessionCommands,
    ...databaseCommands,
    ...indexCommands,
    ...writeCommands,
    ...readCommands,
    ...explainCommands,
    ...transactionCommands,
    ...extensionCommands,
  }),
);

/** Commands whose reply waits until their changes are durable (with a data directory). */
const WRITES = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'commitTransaction', 'create', 'drop', 'dropDatabase',
  'createIndexes', 'dropIndexes', 'deleteIndexes', 'cloneDatabase',
]);

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
 * (`{ ok: 0, errmsg, code, codeName, errorLabels? }`); nothing a client sends can throw out of here. The reply is a
 * promise when the command had to wait: for a transaction holding what it writes, or for its journal record to reach
 * the disk (no reply to a write goes out before the write is durable).
 */
export function runCommand(context: CommandContext, log: (line: string) => void): Document | Promise<Document> {
  const name = commandName(context.command);
  // mongod files commands it does not know under one name, so a client cannot grow the table at will.
  const metricName = COMMANDS.has(name) ? name : '<UNKNOWN>';
  let scope: CommandScope | undefined;

  const durable = (): Promise<void> | undefined => (WRITES.has(name) ? context.server.persist(context.encodings) : undefined);
  const failureReply = (error: unknown, afterApplying: boolean): Document => {
    context.server.opcounters.recordCommand(metricName, true);
    const reply = errorReply(error, name, log);
    const labels = errorLabels(context.command, name, error, afterApplying);
    if (labels.length > 0) reply.errorLabels = labels;
    return reply;
  };
  const failed = (error: unknown): Document | Promise<Document> => {
    scope?.failed(error);
    // A batch may have applied some statements before failing; those are journaled before the error goes out.
    const written = durable();
    if (!written) return failureReply(error, false);
    return written.then(
      () => failureReply(error, false),
      () => failureReply(error, false),
    );
  };
  const succeeded = (body: Document): Document | Promise<Document> => {
    const reply = { ...body, ok: 1 };
    const written = durable();
    if (!written) {
      scope?.succeeded(reply);
      context.server.opcounters.recordCommand(metricName, false);
      return reply;
    }
    return written.then(
      () => {
        scope?.succeeded(reply);
        context.server.opcounters.recordCommand(metricName, false);
        return reply;
      },
      (error: unknown) => {
        scope?.failed(error);
        return failureReply(error, true);
      },
    );
  };

  try {
    const counter = counterFor(name);
    if (counter) context.server.opcounters.add(counter);
    scope = openScope(context, name);
    if (scope.retried) {
      context.server.opcounters.recordCommand(metricName, false);
      return scope.retried.catch((error: unknown) => failureReply(error, false));
    }
    const handler = COMMANDS.get(name);
    if (!handler) throw commandNotFound(name);
    const result = handler(scope.transaction ? { ...context, transaction: scope.transaction } : context);
    if (result instanceof Promise) return result.then(succeeded, failed);
    return succeeded(result);
  } catch (error) {
    return failed(error);
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
