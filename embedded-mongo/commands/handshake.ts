import os from 'node:os';
import { Long, ObjectId, Timestamp } from 'bson';
import type { Document } from '../engine/types';
import {
  LOGICAL_SESSION_TIMEOUT_MINUTES,
  MAX_BSON_OBJECT_SIZE,
  MAX_MESSAGE_SIZE_BYTES,
  MAX_WIRE_VERSION,
  MAX_WRITE_BATCH_SIZE,
  MIN_WIRE_VERSION,
  SERVER_VERSION,
  SERVER_VERSION_ARRAY,
} from '../protocol/limits';
import type { CommandHandler } from './context';

/** The replica set the store presents itself as: a set of one member, always its primary. */
export const REPLICA_SET_NAME = 'rs0';

/** A fixed election id: the member never steps down, so the driver never sees a newer primary. */
const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

/**
 * `hello` and its legacy spellings. The reply describes a single-node replica set whose only member is the primary,
 * so that the driver sends sessions, retryable writes and transactions (a standalone gets none of them). `hosts`,
 * `me` and `primary` are the address the server listens on: a client that connected by another name rediscovers
 * the member under this one, as with any replica set. It has no `topologyVersion`, so the driver monitors by polling
 * instead of streaming (which would need exhaust cursors), no `compression`, so messages are never compressed, and no
 * `saslSupportedMechs` or `speculativeAuthenticate`, since there are no users.
 */
function hello(legacy: boolean): CommandHandler {
  return ({ connection, server }) => {
    const now = new Date();
    const opTime = { ts: Timestamp.fromBits(0, Math.floor(now.getTime() / 1000)), t: Long.fromNumber(1) };
    return {
      helloOk: true,
      ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
      hosts: [server.host],
      setName: REPLICA_SET_NAME,
      setVersion: 1,
      electionId: ELECTION_ID,
      primary: server.host,
      me: server.host,
      secondary: false,
      lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
      localTime: now,
      logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
      connectionId: connection.id,
      minWireVersion: MIN_WIRE_VERSION,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
    };
  };
}

/** `replSetGetStatus`, for tools that ask: one healthy member, the primary. */
const replSetGetStatus: CommandHandler = ({ server }) => ({
  set: REPLICA_SET_NAME,
  date: new Date(),
  myState: 1,
  term: Long.fromNumber(1),
  members: [{ _id: 0, name: server.host, health: 1, state: 1, stateStr: 'PRIMARY', uptime: Math.floor((Date.now() - server.startedAt.getTime()) / 1000), self: true }],
});

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded',
  versionArray: SERVER_VERSION_ARRAY,
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['embedded-memory'],
  javascriptEngine: 'none',
  modules: [],
  openssl: { running: 'disabled' },
  buildEnvironment: {},
  allocator: 'system',
});

function megabytes(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

const serverStatus: CommandHandler = ({ server }) => {
  const uptimeMillis = Date.now() - server.startedAt.getTime();
  const connections = server.connectionStats();
  const memory = process.memoryUsage();
  const stats = server.engine.stats();
  return {
    host: server.host,
    version: SERVER_VERSION,
    process: 'mongod',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    uptimeEstimate: Math.floor(uptimeMillis / 1000),
    localTime: new Date(),
    connections: {
      current: connections.current,
      available: Math.max(0, 838_860 - connections.current),
      totalCreated: connections.totalCreated,
    },
    opcounters: server.opcounters.snapshot(),
    metrics: {
      cursor: { open: { total: server.cursors.size } },
      document: { stored: stats.objects },
      commands: server.opcounters.commandMetrics(),
    },
    mem: { bits: 64, resident: megabytes(memory.rss), virtual: megabytes(memory.heapTotal), supported: true },
    repl: { setName: REPLICA_SET_NAME, isWritablePrimary: true, secondary: false, primary: server.host, me: server.host, hosts: [server.host] },
    transactions: server.sessions.transactionCounters(),
    storageEngine: { name: server.persistent ? 'embedded-journal' : 'embedded-memory', supportsCommittedReads: true, persistent: server.persistent },
  };
};

const hostInfo: CommandHandler = () => ({
  system: {
    currentTime: new Date(),
    hostname: os.hostname(),
    cpuAddrSize: 64,
    memSizeMB: megabytes(os.totalmem()),
    numCores: os.cpus().length,
    cpuArch: os.arch(),
  },
  os: { type: os.type(), name: os.platform(), version: os.release() },
  extra: {},
});

/** Answers the parameters clients commonly ask for; mongod answers an unknown one with an error, and so do we. */
const getParameter: CommandHandler = ({ command }) => {
  const known: Document = {
    featureCompatibilityVersion: { version: '7.0' },
    authenticationMechanisms: [],
    cursorTimeoutMillis: 600_000,
    internalQueryMaxBlockingSortMemoryUsageBytes: 104_857_600,
  };
  const all = command.getParameter === '*' || (typeof command.getParameter === 'object' && command.getParameter !== null);
  if (all) return { ...known };
  const reply: Document = {};
  for (const [name, value] of Object.entries(command)) {
    if (name === 'getParameter' || name.startsWith('$') || name === 'lsid' || name === 'comment') continue;
    if (value !== undefined && name in known) reply[name] = known[name];
  }
  return reply;
};

const whatsmyuri: CommandHandler = ({ connection }) => ({ you: connection.peer });

const getLog: CommandHandler = ({ command }) =>
  command.getLog === '*' ? { names: ['global', 'startupWarnings'] } : { totalLinesWritten: 0, log: [] };

const connectionStatus: CommandHandler = () => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
});

export const handshakeCommands: Record<string, CommandHandler> = {
  hello: hello(false),
  isMaster: hello(true),
  ismaster: hello(true),
  ping: () => ({}),
  buildInfo,
  buildinfo: buildInfo,
  serverStatus,
  hostInfo,
  getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {} }),
  getParameter,
  whatsmyuri,
  getLog,
  connectionStatus,
  getFreeMonitoringStatus: () => ({ state: 'disabled' }),
  replSetGetStatus,
};

