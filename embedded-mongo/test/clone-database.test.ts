import { cp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { temporaryDirectories } from './directories';
import { EMBEDDED, withStore } from './target';

/**
 * `{ cloneDatabase: source, to: target }`, an extension of the embedded store (MongoDB has no such command) that gives
 * a test a private copy of a seeded database inside one store. Through the driver and mongoose, with and without a
 * data directory.
 */
const temporaryDirectory = temporaryDirectories('embedded-mongo-clone-');

async function seed(db: Db): Promise<void> {
  await db.collection('reports').createIndex({ taxObjectId: 1, period: 1 }, { unique: true });
  await db.collection('reports').createIndex({ period: 1, status: 1 });
  await db.collection('reports').insertMany(
    Array.from({ length: 300 }, (_, i) => ({ _id: i as never, taxObjectId: `T${i % 30}`, period: `2024-${String(Math.floor(i / 30) + 1).padStart(2, '0')}`, status: i % 4 ? 'submitted' : 'draft' })),
  );
  await db.collection('payments').insertOne({ reportId: 1, amount: 10 });
}

const clone = (client: MongoClient, from: string, to: string) => client.db('admin').command({ cloneDatabase: from, to });
const sorted = (db: Db, name: string) => db.collection(name).find({}).sort({ _id: 1 }).toArray();

describe.runIf(EMBEDDED)('cloneDatabase (embedded store)', () => {
  it('copies every collection, document and index, and says what it copied', async () => {
    await withStore(undefined, async (client) => {
      await seed(client.db('kediri_tax'));
      const reply = await clone(client, 'kediri_tax', 'kediri_tax_t1');
      expect(reply).toEqual({ from: 'kediri_tax', to: 'kediri_tax_t1', collections: 2, documents: 301, indexes: 4, ok: 1 });
      const [source, copy] = [client.db('kediri_tax'), client.db('kediri_tax_t1')];
      expect(await sorted(copy, 'reports')).toEqual(await sorted(source, 'reports'));
      expect(await copy.collection('reports').indexes()).toEqual(await source.collection('reports').indexes());
      expect((await copy.listCollections().toArray()).map((info) => info.name).sort()).toEqual(['payments', 'reports']);
    });
  });

  it('refuses with MongoDB codes: a missing source, an existing target, another database than admin, bad fields, a transaction', async () => {
    await withStore(undefined, async (client) => {
      await seed(client.db('kediri_tax'));
      await client.db('taken').collection('c').insertOne({});
      await expect(clone(client, 'missing', 'x')).rejects.toMatchObject({ code: 26, codeName: 'NamespaceNotFound' });
      await expect(clone(client, 'kediri_tax', 'taken')).rejects.toMatchObject({ code: 48, codeName: 'NamespaceExists' });
      await expect(client.db('kediri_tax').command({ cloneDatabase: 'kediri_tax', to: 'x' })).rejects.toMatchObject({ code: 13, codeName: 'Unauthorized' });
      await expect(client.db('admin').command({ cloneDatabase: 'kediri_tax' })).rejects.toMatchObject({ code: 14, message: expect.stringContaining("'to'") });
      const session = client.startSession();
      try {
        session.startTransaction();
        await client.db('kediri_tax').collection('reports').findOne({}, { session });
        await expect(client.db('admin').command({ cloneDatabase: 'kediri_tax', to: 'in_txn' }, { session })).rejects.toMatchObject({ code: 263 });
      } finally {
        await session.endSession();
      }
      expect((await client.db('admin').admin().listDatabases()).databases.map((info) => info.name)).not.toContain('in_txn');
    });
  });

  it('keeps each side\'s writes, unique keys and transactions out of the other, through mongoose', async () => {
    await withStore(undefined, async (client, store) => {
      await seed(client.db('kediri_tax'));
      await clone(client, 'kediri_tax', 'kediri_tax_t2');
      const schema = new Schema({ _id: Schema.Types.Mixed, taxObjectId: String, period: String, status: String }, { versionKey: false });
      schema.index({ taxObjectId: 1, period: 1 }, { unique: true });
      const source = await mongoose.createConnection(store.uri, { dbName: 'kediri_tax' }).asPromise();
      const copy = await mongoose.createConnection(store.uri, { dbName: 'kediri_tax_t2' }).asPromise();
      try {
        const Source = source.model('Report', schema, 'reports');
        const Copy = copy.model('Report', schema, 'reports');
        const before = await Source.find().sort({ _id: 1 }).lean();
        await Copy.create({ _id: 'new', taxObjectId: 'N', period: '2030-01', status: 'draft' });
        await Copy.updateMany({ status: 'draft' }, { $set: { status: 'verified' } });
        await Copy.deleteMany({ period: '2024-01' });
        await expect(Copy.create({ _id: 'duplicate', taxObjectId: 'T2', period: '2024-03' })).rejects.toMatchObject({ code: 11000 });
        await copy.transaction(async (session) => {
          await Copy.create([{ _id: 'in-txn', taxObjectId: 'X', period: 'X' }], { session });
          await Copy.updateOne({ _id: 35 }, { $set: { status: 'in-txn' } }, { session });
        });
        await expect(
          copy.transaction(async (session) => {
            await Copy.deleteMany({}, { session });
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(await Source.find().sort({ _id: 1 }).lean()).toEqual(before);
        expect(await Source.countDocuments({ status: 'verified' })).toBe(0);
        expect(await Copy.countDocuments({ period: '2024-01' })).toBe(0);
        expect(await Copy.countDocuments({ status: 'draft' })).toBe(0);
        expect(await Copy.findById(35).lean()).toMatchObject({ status: 'in-txn' });
        expect(await Copy.countDocuments()).toBe(300 - 30 + 2);
        // And the other way round: the source's writes never reach the copy.
        await Source.deleteMany({ taxObjectId: 'T2' });
        await Source.create({ _id: 'again', taxObjectId: 'T2', period: '2024-03' });
        expect(await Copy.countDocuments({ taxObjectId: 'T2' })).toBe(9);
      } finally {
        await source.close();
        await copy.close();
      }
    });
  });

  it('is durable: a restart replays the clone from the journal, or loads it from a snapshot', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(directory, async (client) => {
      await seed(client.db('kediri_tax'));
      await clone(client, 'kediri_tax', 'kediri_tax_t3');
      // Writes after the clone, on both sides, replay after it.
      await client.db('kediri_tax').collection('reports').deleteMany({ status: 'draft' });
      await client.db('kediri_tax_t3').collection('reports').updateMany({}, { $set: { copied: true } });
      await client.db('kediri_tax_t3').collection('reports').insertOne({ _id: 'after' as never, taxObjectId: 'A', period: 'A' });
      // What a crash now leaves behind holds the clone in the journal only.
      crashed = path.join(await temporaryDirectory(), 'copy');
      await cp(directory, crashed, { recursive: true });
    });
    for (const dataDir of [crashed, directory]) {
      await withStore(dataDir, async (client, store) => {
        if (dataDir === crashed) expect(store.recovery?.journalRecords).toBeGreaterThan(0);
        else expect(store.recovery?.snapshot).toMatch(/^snapshot-/);
        const source = client.db('kediri_tax').collection('reports');
        const copy = client.db('kediri_tax_t3').collection('reports');
        expect(await source.countDocuments()).toBe(225);
        expect(await copy.countDocuments()).toBe(301);
        expect(await copy.countDocuments({ copied: true })).toBe(300);
        expect(await source.countDocuments({ copied: true })).toBe(0);
        expect(await copy.indexes()).toEqual(await source.indexes());
        await expect(copy.insertOne({ taxObjectId: 'T1', period: '2024-02' })).rejects.toMatchObject({ code: 11000 });
      });
    }
  });
});
