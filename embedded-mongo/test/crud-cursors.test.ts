import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, type Collection, type Db } from 'mongodb';
import { startEmbeddedMongo } from '../index';
import { EMBEDDED, startTarget, type Target } from './target';
import { RawConnection } from './wire';

let target: Target;
let client: MongoClient;
let db: Db;
let people: Collection;

const NAMES = ['ana', 'budi', 'citra', 'dewi', 'eko', 'fajar', 'gita', 'hadi', 'indah', 'joko'];

beforeAll(async () => {
  target = await startTarget('crud');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  people = db.collection('people');
  await people.insertMany(NAMES.map((name, i) => ({ _id: i + 1, name, age: 20 + ((i * 7) % 10), city: i % 2 ? 'kediri' : 'malang' })) as never[]);
  await db.collection('many').insertMany(Array.from({ length: 1000 }, (_, i) => ({ i, pad: 'x'.repeat(20) })));
});

afterAll(async () => {
  await client?.close();
  await target?.stop();
});

async function openCursors(): Promise<number> {
  const status = await db.admin().command({ serverStatus: 1 });
  return Number(status.metrics.cursor.open.total);
}

describe('find', () => {
  it('filters, sorts, skips, limits and projects', async () => {
    const found = await people
      .find({ city: 'kediri' }, { projection: { _id: 0, name: 1 } })
      .sort({ name: -1 })
      .skip(1)
      .limit(3)
      .toArray();
    expect(found).toEqual([{ name: 'hadi' }, { name: 'fajar' }, { name: 'dewi' }]);
  });

  it('sorts on several keys', async () => {
    const found = await people.find({}, { projection: { _id: 1 } }).sort({ age: 1, name: -1 }).toArray();
    const expected = NAMES.map((name, i) => ({ _id: i + 1, name, age: 20 + ((i * 7) % 10) }))
      .sort((a, b) => a.age - b.age || (a.name < b.name ? 1 : -1))
      .map(({ _id }) => ({ _id }));
    expect(found).toEqual(expected);
  });

  it('finds by _id and by $in over _ids', async () => {
    expect(await people.findOne({ _id: 3 as never })).toMatchObject({ name: 'citra' });
    const some = await people.find({ _id: { $in: [2, 4, 99] as never[] } }).sort({ _id: 1 }).toArray();
    expect(some.map((p) => p.name)).toEqual(['budi', 'dewi']);
  });

  it('counts and lists distinct values', async () => {
    expect(await people.countDocuments({ city: 'kediri' })).toBe(5);
    expect(await people.estimatedDocumentCount()).toBe(10);
    expect((await people.distinct('city')).sort()).toEqual(['kediri', 'malang']);
    expect((await people.distinct('name', { age: { $lt: 22 } })).sort()).toEqual(['ana', 'dewi']);
  });
});

describe('writes', () => {
  it('updates one and many, and deletes', async () => {
    const scratch = db.collection('scratch');
    await scratch.insertMany([{ k: 1, v: 0 }, { k: 2, v: 0 }, { k: 3, v: 0 }]);
    const one = await scratch.updateOne({ k: { $gte: 2 } }, { $inc: { v: 1 } });
    expect(one).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const many = await scratch.updateMany({}, { $set: { v: 5 } });
    expect(many).toMatchObject({ matchedCount: 3, modifiedCount: 3 });
    const unchanged = await scratch.updateMany({}, { $set: { v: 5 } });
    expect(unchanged).toMatchObject({ matchedCount: 3, modifiedCount: 0 });
    expect((await scratch.deleteMany({ k: { $lt: 3 } })).deletedCount).toBe(2);
    expect(await scratch.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ k: 3, v: 5 }]);
  });

  it('replaces a document but refuses to change its _id', async () => {
    const scratch = db.collection('replace');
    await scratch.insertOne({ _id: 'r1' as never, a: 1 });
    await scratch.replaceOne({ _id: 'r1' as never }, { b: 2 });
    expect(await scratch.findOne({ _id: 'r1' as never })).toEqual({ _id: 'r1', b: 2 });
    await expect(scratch.updateOne({ _id: 'r1' as never }, { $set: { _id: 'r2' } })).rejects.toMatchObject({ code: 66 });
  });
});

describe('cursors', () => {
  it('returns every document across many batches', async () => {
    const all = await db.collection('many').find({}, { batchSize: 7 }).sort({ i: 1 }).toArray();
    expect(all).toHaveLength(1000);
    expect(all.map((d) => d.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('honours limit across batches', async () => {
    const limited = await db.collection('many').find({}, { batchSize: 10, limit: 25 }).toArray();
    expect(limited).toHaveLength(25);
  });

  it('returns 101 documents in a default first batch and an open cursor id', async () => {
    // The id stays a 64-bit Long: the driver would turn one that fits in 53 bits (about one in a thousand) into a
    // number, which killCursors rightly refuses, as mongod does.
    const reply = await db.command({ find: 'many', filter: {} }, { promoteLongs: false });
    expect(reply.cursor.firstBatch).toHaveLength(101);
    expect((reply.cursor.id as Long).isZero()).toBe(false);
    expect(reply.cursor.ns).toBe(`${target.dbName}.many`);
    await db.command({ killCursors: 'many', cursors: [reply.cursor.id] });
  });

  it('closes the cursor at once with singleBatch', async () => {
    const reply = await db.command({ find: 'many', filter: {}, batchSize: 5, singleBatch: true });
    expect(reply.cursor.firstBatch).toHaveLength(5);
    expect(Number(reply.cursor.id)).toBe(0);
  });

  it('pages with getMore and 64-bit cursor ids', async () => {
    const first = await db.command({ find: 'many', filter: { i: { $lt: 30 } }, sort: { i: 1 }, batchSize: 20 }, { promoteLongs: false });
    expect(first.cursor.id).toBeInstanceOf(Long);
    const next = await db.command({ getMore: first.cursor.id, collection: 'many', batchSize: 100 }, { promoteLongs: false });
    expect(next.cursor.nextBatch.map((d: { i: number }) => d.i)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect((next.cursor.id as Long).isZero()).toBe(true);
  });

  it('kills cursors and reports which were found', async () => {
    const first = await db.command({ find: 'many', filter: {}, batchSize: 2 }, { promoteLongs: false });
    const id = first.cursor.id as Long;
    const killed = await db.command({ killCursors: 'many', cursors: [id] }, { promoteLongs: false });
    expect(killed.cursorsKilled.map(String)).toEqual([id.toString()]);
    expect(killed.cursorsNotFound).toEqual([]);
    await expect(db.command({ getMore: id, collection: 'many' })).rejects.toMatchObject({ code: 43 });
    const again = await db.command({ killCursors: 'many', cursors: [id] }, { promoteLongs: false });
    expect(again.cursorsNotFound.map(String)).toEqual([id.toString()]);
  });

  it('answers CursorNotFound (43) for an unknown cursor id', async () => {
    await expect(db.command({ getMore: Long.fromString('123456789'), collection: 'many' })).rejects.toMatchObject({ code: 43 });
  });

  it('frees a cursor closed early by the driver', async () => {
    const before = await openCursors();
    const cursor = db.collection('many').find({}, { batchSize: 3 });
    await cursor.next();
    expect(await openCursors()).toBe(before + 1);
    await cursor.close();
    expect(await openCursors()).toBe(before);
  });

  it.runIf(EMBEDDED)('frees a cursor when its connection closes (embedded store)', async () => {
    const raw = await RawConnection.open(target.uri);
    const reply = await raw.command({ find: 'many', filter: {}, batchSize: 1, $db: target.dbName });
    expect((reply.cursor.id as Long).isZero()).toBe(false);
    const before = await openCursors();
    raw.destroy();
    await raw.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await openCursors()).toBe(before - 1);
    await expect(db.command({ getMore: reply.cursor.id, collection: 'many' })).rejects.toMatchObject({ code: 43 });
  });

  it.runIf(EMBEDDED)('does not let another connection use a cursor (embedded store)', async () => {
    const owner = await RawConnection.open(target.uri);
    const other = await RawConnection.open(target.uri);
    const reply = await owner.command({ find: 'many', filter: {}, batchSize: 1, $db: target.dbName });
    const stolen = await other.command({ getMore: reply.cursor.id, collection: 'many', $db: target.dbName });
    expect(stolen).toMatchObject({ ok: 0, code: 43 });
    const mine = await owner.command({ getMore: reply.cursor.id, collection: 'many', batchSize: 1, $db: target.dbName });
    expect(mine.cursor.nextBatch).toHaveLength(1);
    owner.destroy();
    other.destroy();
  });
});

describe.runIf(EMBEDDED)('idle cursors (embedded store)', () => {
  it('are freed after the idle timeout', async () => {
    const store = await startEmbeddedMongo({ port: 0, cursorIdleTimeoutMs: 100, log: () => {} });
    const idleClient = await MongoClient.connect(store.uri);
    try {
      const collection = idleClient.db('idle').collection('docs');
      await collection.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const cursor = collection.find({}, { batchSize: 2 });
      await cursor.next();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(cursor.toArray()).rejects.toMatchObject({ code: 43 });
    } finally {
      await idleClient.close();
      await store.stop();
    }
  });
});
