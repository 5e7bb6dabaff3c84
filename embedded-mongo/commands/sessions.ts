import { mongoError } from '../engine/errors';
import type { CommandHandler } from './context';
import { USE_REAL_MONGODB } from './refusals';

/**
 * Logical sessions. The store keeps no per-session state (no transactions, no retryable-write history), so ending
 * or killing sessions has nothing to release, and the driver's polite `endSessions` on close simply succeeds.
 */
const nothingToRelease: CommandHandler = () => ({});

/** There are no users, so every authentication attempt fails with a message saying why. */
const refuseAuthentication: CommandHandler = () => {
  throw mongoError(
    'AuthenticationFailed',
    `Authentication failed: the embedded store has no authentication and accepts no credentials. ` +
      `Connect without a username and password, or ${USE_REAL_MONGODB}.`,
  );
};

export const sessionCommands: Record<string, CommandHandler> = {
  endSessions: nothingToRelease,
  killSessions: nothingToRelease,
  killAllSessions: nothingToRelease,
  refreshSessions: nothingToRelease,
  saslStart: refuseAuthentication,
  saslContinue: refuseAuthentication,
  authenticate: refuseAuthentication,
  logout: () => ({}),
};
