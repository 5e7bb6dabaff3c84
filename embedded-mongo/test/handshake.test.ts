import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { EMBEDDED, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('handshake');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
});

afterAll(async () => {
  await client?.close();
  await target?.stop();
});

async function opcounters(): Promise<Record<string, number>> {
  const status = await db.admin().command({ serverStatus: 1 });
  return Object.fromEntries(Object.entries(status.opcounters).map(([name, value]) => [name, Number(value)]));
}

describe('the handshake describes a replica-set primary', () => {
  it('answers hello with helloOk, a writable primary and the wire limits', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.ok).toBe(1);
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(hello.maxMessageSizeBytes).toBe(48_000_000);
    expect(hello.maxWriteBatchSize).toBe(100_000);
    expect(hello.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
    expect(hello.localTime).toBeInstanceOf(Date);
    expect(typeof hello.connectionId).toBe('number');
  });

  it('answers the legacy isMaster spelling with ismaster: true', async () => {
    const reply = await db.admin().command({ isMaster: 1 });
    expect(reply.ismaster).toBe(true);
    expect(reply.maxWireVersion).toBeGreaterThanOrEqual(8);
  });

  it('answers ping and buildInfo', async () => {
    expect((await db.admin().command({ ping: 1 })).ok).toBe(1);
    const info = await db.admin().command({ buildInfo: 1 });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.versionArray).toHaveLength(4);
    expect(info.maxBsonObjectSize).toBe(16 * 1024 * 1024);
  });

  it.runIf(EMBEDDED)('is the only member and primary of the replica set rs0 (embedded store)', async () => {
    const hello = await db.admin().command({ hello: 1 });
    const address = new URL(target.uri).host;
    expect(hello).toMatchObject({ setName: 'rs0', hosts: [address], primary: address, me: address, secondary: false, setVersion: 1 });
    expect(hello.electionId).toBeDefined();
    const status = await db.admin().command({ replSetGetStatus: 1 });
    expect(status.members).toMatchObject([{ name: address, stateStr: 'PRIMARY', self: true }]);
  });

  it.runIf(EMBEDDED)('reports version 7.0.0 and wire version 21 (embedded store)', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.maxWireVersion).toBe(21);
    expect(hello.topologyVersion).toBeUndefined();
    expect((await db.admin().command({ buildInfo: 1 })).version).toBe('7.0.0');
  });
});

describe('serverStatus', () => {
  it('has the fields mongod reports', async () => {
    const status = await db.admin().command({ serverStatus: 1 });
    expect(status.process).toMatch(/mongod/);
    expect(typeof status.pid).toBe('number');
    expect(Number(status.uptime)).toBeGreaterThanOrEqual(0);
    expect(status.localTime).toBeInstanceOf(Date);
    expect(Number(status.connections.current)).toBeGreaterThanOrEqual(1);
    expect(Number(status.connections.totalCreated)).toBeGreaterThanOrEqual(1);
  });

  it('counts operations as mongod does: documents for insert, statements for update and delete', async () => {
    const collection = db.collection('counted');
    await collection.insertOne({ warmup: true });
    const before = await opcounters();

    await collection.insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
    await collection.find({ a: { $gte: 1 } }).toArray();
    await collection.updateMany({ a: { $gte: 2 } }, { $set: { b: true } });
    await collection.bulkWrite([
      { updateOne: { filter: { a: 1 }, update: { $set: { c: 1 } } } },
      { updateOne: { filter: { a: 2 }, update: { $set: { c: 2 } } } },
    ]);
    await collection.deleteOne({ a: 3 });
    await collection.countDocuments({});

    const after = await opcounters();
    expect(after.insert - before.insert).toBe(3);
    expect(after.query - before.query).toBe(1);
    expect(after.update - before.update).toBe(3);
    expect(after.delete - before.delete).toBe(1);
    expect(after.getmore - before.getmore).toBe(0);
    // countDocuments (an aggregate) and the second serverStatus are commands; a heartbeat may add more.
    expect(after.command - before.command).toBeGreaterThanOrEqual(2);
  });

  it('counts each getMore', async () => {
    const collection = db.collection('getmores');
    await collection.insertMany(Array.from({ length: 95 }, (_, i) => ({ i })));
    const before = await opcounters();
    const all = await collection.find({}, { batchSize: 10 }).toArray();
    const after = await opcounters();
    expect(all).toHaveLength(95);
    expect(after.query - before.query).toBe(1);
    expect(after.getmore - before.getmore).toBe(9);
  });
});

describe('per-command metrics, as mongod keeps them in serverStatus.metrics.commands', () => {
  async function commandTotals(): Promise<Record<string, number>> {
    const status = await db.admin().command({ serverStatus: 1 });
    return Object.fromEntries(Object.entries(status.metrics.commands).map(([name, value]) => [name, Number((value as { total: unknown }).total)]));
  }

  it('counts each command by name, apart from the others', async () => {
    const collection = db.collection('metrics');
    await collection.insertMany([{ k: 1 }, { k: 2 }]);
    const before = await commandTotals();
    await collection.find({ k: 1 }).toArray();
    await collection.aggregate([{ $match: { k: 2 } }]).toArray();
    await collection.aggregate([{ $count: 'n' }]).toArray();
    const after = await commandTotals();
    expect(after.find - (before.find ?? 0)).toBe(1);
    expect(after.aggregate - (before.aggregate ?? 0)).toBe(2);
  });

  it('counts failures of a command', async () => {
    const failed = async () => {
      const status = await db.admin().command({ serverStatus: 1 });
      return Number(status.metrics.commands.aggregate?.failed ?? 0);
    };
    const before = await failed();
    await expect(db.collection('metrics').aggregate([{ $noSuchStage: {} }]).toArray()).rejects.toThrow();
    expect((await failed()) - before).toBe(1);
  });
});

describe('databases and collections', () => {
  it('creates, lists and drops collections', async () => {
    await db.createCollection('created');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('created');
    const filtered = await db.listCollections({ name: 'created' }).toArray();
    expect(filtered).toHaveLength(1);
    expect(filtered[0].type).toBe('collection');

    await expect(db.command({ create: 'created' })).rejects.toMatchObject({ code: 48 });
    expect(await db.collection('created').drop()).toBe(true);
    const after = (await db.listCollections().toArray()).map((c) => c.name);
    expect(after).not.toContain('created');
  });

  it('lists databases, with a name filter', async () => {
    await db.collection('present').insertOne({ x: 1 });
    const { databases } = await db.admin().listDatabases();
    expect(databases.map((d) => d.name)).toContain(target.dbName);
    const filtered = await db.admin().command({ listDatabases: 1, nameOnly: true, filter: { name: target.dbName } });
    expect(filtered.databases).toEqual([{ name: target.dbName }]);
  });

  it('drops a database', async () => {
    const other = client.db(`${target.dbName}_drop`);
    await other.collection('x').insertOne({ x: 1 });
    expect(await other.dropDatabase()).toBe(true);
    const { databases } = await db.admin().listDatabases();
    expect(databases.map((d) => d.name)).not.toContain(`${target.dbName}_drop`);
  });

  it('reports dbStats', async () => {
    await db.collection('stats').insertMany([{ a: 1 }, { a: 2 }]);
    const stats = await db.command({ dbStats: 1 });
    expect(stats.db).toBe(target.dbName);
    expect(Number(stats.objects)).toBeGreaterThanOrEqual(2);
    expect(Number(stats.collections)).toBeGreaterThanOrEqual(1);
  });
});

describe('unknown commands', () => {
  it('answer CommandNotFound (59) naming the command', async () => {
    const error = await db.command({ noSuchCommandAtAll: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(59);
    expect((error as MongoServerError).message).toContain('noSuchCommandAtAll');
  });

  it.runIf(EMBEDDED)('say to use a real MongoDB for a real command the store lacks (embedded store)', async () => {
    const error = (await db.command({ renameCollection: `${target.dbName}.a`, to: `${target.dbName}.b` }, { readPreference: 'primary' }).catch((e: unknown) => e)) as MongoServerError;
    expect(error.code).toBe(59);
    expect(error.message).toContain("'renameCollection'");
    expect(error.message).toContain('MONGODB_URI');
  });
});
