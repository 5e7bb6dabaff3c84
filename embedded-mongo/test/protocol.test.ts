import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BSON, MongoClient, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index';
import { crc32c } from '../protocol/crc32c';
import { opMsgFrame, RawConnection } from './wire';

/**
 * Robustness of the wire protocol: bytes no driver would send close only the connection that sent them, with a
 * logged reason, while other clients keep working and stored data stays intact. These tests drive the embedded store
 * directly (they need its log), and the same frames are harmless to try against mongod.
 */
let store: EmbeddedMongo;
let client: MongoClient;
let db: Db;
const logged: string[] = [];

beforeAll(async () => {
  store = await startEmbeddedMongo({ port: 0, log: (line) => logged.push(line) });
  client = await MongoClient.connect(store.uri);
  db = client.db('protocol');
  await db.collection('safe').insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

afterAll(async () => {
  await client?.close();
  await store?.stop();
});

async function expectClosedWithReason(send: (raw: RawConnection) => void, reason: RegExp): Promise<void> {
  const raw = await RawConnection.open(store.uri);
  logged.length = 0;
  send(raw);
  await raw.closed;
  expect(logged.join('\n')).toMatch(reason);
  // Everyone else is still served, and nothing stored changed.
  expect(await db.collection('safe').find({}, { projection: { _id: 0 } }).sort({ n: 1 }).toArray()).toEqual([
    { n: 1 },
    { n: 2 },
    { n: 3 },
  ]);
}

function withChecksum(frame: Buffer, corrupt: boolean): Buffer {
  const withRoom = Buffer.alloc(frame.length + 4);
  frame.copy(withRoom);
  withRoom.writeInt32LE(withRoom.length, 0);
  withRoom.writeUInt32LE(1, 16); // checksumPresent
  const checksum = crc32c(withRoom.subarray(0, frame.length));
  withRoom.writeUInt32LE(corrupt ? (checksum ^ 1) >>> 0 : checksum, frame.length);
  return withRoom;
}

describe('the wire protocol', () => {
  it('answers an OP_MSG that arrives in many small pieces', async () => {
    const raw = await RawConnection.open(store.uri);
    const frame = opMsgFrame({ count: 'safe', $db: 'protocol' });
    const reply = raw.nextReply();
    for (let i = 0; i < frame.length; i += 7) {
      raw.write(frame.subarray(i, i + 7));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await reply).toMatchObject({ n: 3, ok: 1 });
    raw.destroy();
  });

  it('answers several OP_MSGs that arrive in one write, in order', async () => {
    const raw = await RawConnection.open(store.uri);
    const replies = [raw.nextReply(), raw.nextReply()];
    raw.write(Buffer.concat([opMsgFrame({ ping: 1, $db: 'admin' }, 1), opMsgFrame({ count: 'safe', $db: 'protocol' }, 2)]));
    expect(await Promise.all(replies)).toMatchObject([{ ok: 1 }, { n: 3, ok: 1 }]);
    raw.destroy();
  });

  it('answers the legacy OP_QUERY handshake with an OP_REPLY', async () => {
    const raw = await RawConnection.open(store.uri);
    const query = BSON.serialize({ isMaster: 1, helloOk: true });
    const namespace = Buffer.from('admin.$cmd\0');
    const frame = Buffer.alloc(16 + 4 + namespace.length + 8 + query.length);
    frame.writeInt32LE(frame.length, 0);
    frame.writeInt32LE(7, 4);
    frame.writeInt32LE(2004, 12);
    namespace.copy(frame, 20);
    frame.writeInt32LE(-1, 20 + namespace.length + 4);
    frame.set(query, 20 + namespace.length + 8);
    const reply = new Promise<Buffer>((resolve) =>
      (raw as unknown as { waiting: ((frame: Buffer) => void)[] }).waiting.push(resolve),
    );
    raw.write(frame);
    const bytes = await reply;
    expect(bytes.readInt32LE(8)).toBe(7); // responseTo
    expect(bytes.readInt32LE(12)).toBe(1); // OP_REPLY
    expect(bytes.readInt32LE(32)).toBe(1); // numberReturned
    const body = BSON.deserialize(bytes.subarray(36));
    expect(body).toMatchObject({ ok: 1, ismaster: true, helloOk: true, maxWireVersion: 21 });
    raw.destroy();
  });

  it('accepts a correct CRC-32C checksum', async () => {
    const raw = await RawConnection.open(store.uri);
    const reply = raw.nextReply();
    raw.write(withChecksum(opMsgFrame({ count: 'safe', $db: 'protocol' }), false));
    expect(await reply).toMatchObject({ n: 3, ok: 1 });
    raw.destroy();
  });

  it('closes the connection on a wrong checksum', async () => {
    await expectClosedWithReason((raw) => raw.write(withChecksum(opMsgFrame({ ping: 1, $db: 'admin' }), true)), /checksum/);
  });

  it('closes the connection on garbage bytes', async () => {
    await expectClosedWithReason((raw) => raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), /message length|opcode/);
  });

  it('closes the connection on a huge declared length without waiting for the bytes', async () => {
    const header = Buffer.alloc(16);
    header.writeInt32LE(1_000_000_000, 0);
    header.writeInt32LE(2013, 12);
    await expectClosedWithReason((raw) => raw.write(header), /exceeds maxMessageSizeBytes/);
  });

  it('closes the connection on an unknown opcode', async () => {
    const frame = opMsgFrame({ ping: 1, $db: 'admin' });
    frame.writeInt32LE(2012, 12); // OP_COMPRESSED, never offered
    await expectClosedWithReason((raw) => raw.write(frame), /unsupported opcode 2012/);
  });

  it('closes the connection on a body that is not valid BSON', async () => {
    const frame = opMsgFrame({ ping: 1, $db: 'admin' });
    frame.writeInt32LE(9999, 21); // the BSON document now claims more bytes than the message has
    await expectClosedWithReason((raw) => raw.write(frame), /BSON/);
  });

  it('answers a command error rather than closing, for a well-formed but wrong command', async () => {
    const raw = await RawConnection.open(store.uri);
    expect(await raw.command({ find: 42, $db: 'protocol' })).toMatchObject({ ok: 0 });
    expect(await raw.command({ ping: 1 })).toMatchObject({ ok: 0, code: 40571 });
    expect(await raw.command({ ping: 1, $db: 'admin' })).toMatchObject({ ok: 1 });
    raw.destroy();
  });
});
