import { mongoError } from '../engine/errors';
import type { Document } from '../engine/types';
import { sessionKey } from '../server/cursors';
import { commandName, describeType } from './arguments';
import type { CommandHandler } from './context';
import { USE_REAL_MONGODB } from './refusals';

/** The session keys of `endSessions: [{ id }]` and `killSessions: [{ id }]`. */
function sessionKeys(command: Document, name: string): string[] {
  const list = command[name];
  if (!Array.isArray(list)) throw mongoError('TypeMismatch', `${name}: expected an array of session ids, got ${describeType(list)}`);
  return list.map(sessionKey).filter((key): key is string => key !== undefined);
}

/**
 * Logical sessions. Ending or killing a session aborts its open transaction and forgets its retryable-write history;
 * the driver ends its sessions politely when a client closes.
 */
const endSessions: CommandHandler = ({ command, server }) => {
  server.sessions.end(sessionKeys(command, commandName(command)));
  return {};
};

const killAllSessions: CommandHandler = ({ server }) => {
  server.sessions.endAll();
  return {};
};

/** There are no users, so every authentication attempt fails with a message saying why. */
const refuseAuthentication: CommandHandler = () => {
  throw mongoError(
    'AuthenticationFailed',
    `Authentication failed: the embedded store has no authentication and accepts no credentials. ` +
      `Connect without a username and password, or ${USE_REAL_MONGODB}.`,
  );
};

export const sessionCommands: Record<string, CommandHandler> = {
  endSessions,
  killSessions: endSessions,
  killAllSessions,
  refreshSessions: () => ({}),
  saslStart: refuseAuthentication,
  saslContinue: refuseAuthentication,
  authenticate: refuseAuthentication,
  logout: () => ({}),
};
