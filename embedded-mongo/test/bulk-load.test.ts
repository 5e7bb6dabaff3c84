import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Decimal128, Double, Long, MongoClient, MongoServerError, ObjectId, type Collection, type Document, type IndexSpecification } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../index';
import { temporaryDirectories } from './directories';

/**
 * The sample data's fast path: documents loaded by the process that owns an in-memory store, saved as a closed
 * data directory, and imported from there into a new data directory. What a load stores must be what the same
 * documents inserted through the driver would store, and it must refuse what an insert refuses.
 */
const temporaryDirectory = temporaryDirectories('embedded-mongo-bulk-');

async function withClient<T>(store: EmbeddedMongo, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(store.uri);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** Runs `use` with a client of a new store (in memory unless `options` say otherwise), which is stopped after. */
async function withMemoryStore<T>(use: (client: MongoClient, store: EmbeddedMongo) => Promise<T>, options: EmbeddedMongoOptions = {}): Promise<T> {
  const store = await startEmbeddedMongo({ port: 0, log: () => {}, ...options });
  try {
    return await withClient(store, (client) => use(client, store));
  } finally {
    await store.stop();
  }
}

/** Documents of every shape a seed writes: generated and given ids, undefined fields, Long, dates, nesting. */
function sampleDocuments(): Document[] {
  return [
    { name: 'no id', missing: undefined, at: new Date('2026-01-02T03:04:05Z'), tags: ['a', 'b'] },
    { _id: 'kelurahan-1005', amount: 1_250_000.5, nested: { list: [{ x: 1 }, { x: 2 }], empty: {} } },
    { _id: new ObjectId('650000000000000000000001'), big: Long.fromString('9007199254740993'), flag: false, none: null },
    { _id: 7, text: 'Rp 1.000', year: 2025 },
  ];
}

/** A store of 1,500 tax reports, loaded and saved as a closed directory. */
async function savedSampleDirectory(): Promise<string> {
  const store = await startEmbeddedMongo({ port: 0, log: () => {} });
  const directory = path.join(await temporaryDirectory(), 'sample');
  try {
    store.load('kediri_tax', 'reports', Array.from({ length: 1_500 }, (_, i) => ({ _id: `r${i}`, amount: i })));
    await withClient(store, (client) => client.db('kediri_tax').collection('reports').createIndex({ amount: -1 }));
    const summary = await store.saveTo(directory);
    expect(summary.documents).toBe(1_500);
    return directory;
  } finally {
    await store.stop();
  }
}

describe('bulk loading an in-memory store', () => {
  it('stores what an insert through the driver stores', async () => {
    const store = await startEmbeddedMongo({ port: 0, log: () => {} });
    try {
      const loaded = store.load('bulk', 'loaded', sampleDocuments());
      expect(loaded).toBe(4);
      await withClient(store, async (client) => {
        const db = client.db('bulk');
        const loadedById = db.collection<{ _id: string | ObjectId | number }>('loaded');
        await db.collection('inserted').insertMany(sampleDocuments());
        const withoutGeneratedId = { projection: { _id: 0 } };
        const fromLoad = await db.collection('loaded').find({}, withoutGeneratedId).toArray();
        const fromInsert = await db.collection('inserted').find({}, withoutGeneratedId).toArray();
        expect(fromLoad).toEqual(fromInsert);
        expect(fromLoad[2].big).toBeInstanceOf(Long);
        const generated = await db.collection('loaded').findOne({ name: 'no id' });
        expect(generated?._id).toBeInstanceOf(ObjectId);
        expect(await loadedById.findOne({ _id: 'kelurahan-1005' })).toMatchObject({ amount: 1_250_000.5 });
      });
    } finally {
      await store.stop();
    }
  });

  it('sends a loaded document as the bytes it was loaded as, once decoded too, and a changed one as it now is', async () => {
    await withMemoryStore(async (client, store) => {
      // 2.0 is loaded as a BSON double: the document serialised again from JavaScript would send the integer 2.
      store.load('city', 'bins', [{ _id: 1, kg: new Double(2), tag: 'a' }, { _id: 2, kg: new Double(3), tag: 'b' }]);
      const bins = client.db('city').collection('bins');
      const kinds = async () => (await bins.find({}, { promoteValues: false }).sort({ _id: 1 }).toArray()).map((doc) => [doc.kg._bsontype, Number(doc.kg)]);
      // The filter decodes every document; the replies still carry the loaded bytes.
      expect(await bins.countDocuments({ tag: { $in: ['a', 'b'] } })).toBe(2);
      expect(await kinds()).toEqual([['Double', 2], ['Double', 3]]);
      // A changed document is serialised from its new version, in which JavaScript kept 2.0 as the number 2.
      await bins.updateOne({ _id: 1 as never }, { $set: { tag: 'c' } });
      expect(await kinds()).toEqual([['Int32', 2], ['Double', 3]]);
      expect(await bins.find().sort({ _id: 1 }).map((doc) => doc.tag).toArray()).toEqual(['c', 'b']);
    });
  });

  it('answers through a non-unique index built after the load, and explains the index scan', async () => {
    await withMemoryStore(async (client, store) => {
      const reports = client.db('bulk').collection('reports');
      await reports.createIndex({ year: 1, place: 1 });
      store.load('bulk', 'reports', Array.from({ length: 3_000 }, (_, i) => ({ year: 2020 + (i % 6), place: `p${i % 46}`, amount: i })));
      const found = await reports.find({ year: 2023, place: 'p3' }).toArray();
      expect(found.map((doc) => doc.amount)).toEqual(
        Array.from({ length: 3_000 }, (_, i) => i).filter((i) => i % 6 === 3 && i % 46 === 3),
      );
      const plan = await reports.find({ year: 2023, place: 'p3' }).explain('executionStats');
      expect(JSON.stringify(plan.queryPlanner.winningPlan)).toContain('IXSCAN');
      expect(plan.executionStats.totalDocsExamined).toBe(found.length);
    });
  });

  it('builds its indexes over the loaded documents with the keys that inserts give them', async () => {
    // Every shape an indexed field takes: scalars of each type, missing, null and a subdocument; a dotted path that meets
    // a subdocument, a scalar or nothing; and arrays in a field of their own (a multikey index). The ids are strings,
    // as the sample's are ObjectIds, so that the loaded documents stay encoded until something reads them.
    const values = ['b', 'a', 3, -1.5, Long.fromNumber(2), Decimal128.fromString('2.5'), new Date('2025-01-01T00:00:00Z'), new ObjectId('650000000000000000000002'), true, null, undefined, { k: 1 }];
    const docs: Document[] = Array.from({ length: 120 }, (_, i) => {
      const v = values[i % values.length];
      const s = [{ t: `t${i % 7}` }, 'flat', {}, undefined][i % 4];
      return { _id: `d${String(i).padStart(3, '0')}`, g: i % 3, m: i % 2 === 0 ? [`m${i % 5}`, i] : `m${i % 5}`, ...(v === undefined ? {} : { v }), ...(s === undefined ? {} : { s }) };
    });
    await withMemoryStore(async (client, store) => {
      const inserted = client.db('bulk').collection<Document>('inserted');
      const loaded = client.db('bulk').collection<Document>('loaded');
      for (const key of [{ v: 1 }, { g: 1, v: -1 }, { 's.t': 1 }, { m: 1 }] as IndexSpecification[]) {
        await inserted.createIndex(key);
        await loaded.createIndex(key);
      }
      await inserted.insertMany(docs.map((doc) => ({ ...doc })));
      store.load('bulk', 'loaded', docs);
      // Each query is answered by an index: by its bounds, or in its order.
      const answers = async (collection: Collection) =>
        Promise.all([
          collection.find({ v: { $gte: 'a' } }).toArray(),
          collection.find({ v: { $lt: 2.75 } }).toArray(),
          collection.find({}).sort({ v: 1 }).limit(200).toArray(),
          collection.find({ g: 1 }).sort({ v: -1 }).toArray(),
          collection.find({ 's.t': { $gte: 't3' } }).toArray(),
          collection.find({}).sort({ 's.t': -1 }).limit(200).toArray(),
          collection.find({ m: { $gt: 'm1', $lt: 'm3' } }).toArray(),
        ]);
      const fromLoad = await answers(loaded);
      expect(fromLoad).toEqual(await answers(inserted));
      expect(fromLoad.map((found) => found.length)).toEqual([20, 30, 120, 40, 17, 120, 24]);
    });
  });

  it('learns that an index is multikey from the loaded documents, so that its bounds stay right', async () => {
    await withMemoryStore(async (client, store) => {
      const members = client.db('bulk').collection<{ _id: number; tags: string | string[] }>('members');
      await members.createIndex({ tags: 1 });
      await members.insertOne({ _id: 0, tags: 'x' });
      // A query that uses the index builds it, while no document holds an array.
      expect(await members.countDocuments({ tags: 'x' })).toBe(1);
      store.load('bulk', 'members', [{ _id: 1, tags: ['a', 'z'] }, { _id: 2, tags: ['m'] }, { _id: 3, tags: 'b' }]);
      // One element above 'a' and another below 'c' is a match: with a multikey index the bounds may not be intersected.
      const found = await members.find({ tags: { $gt: 'a', $lt: 'c' } }).sort({ _id: 1 }).toArray();
      expect(found.map((doc) => doc._id)).toEqual([1, 3]);
      const plan = await members.find({ tags: 'z' }).explain();
      expect(JSON.stringify(plan.queryPlanner.winningPlan)).toContain('"isMultiKey":true');
    });
  });

  it('refuses a repeated _id with the duplicate key error, keeping the documents before it', async () => {
    const store = await startEmbeddedMongo({ port: 0, log: () => {} });
    try {
      expect(() => store.load('bulk', 'people', [{ _id: 'a' }, { _id: 'b' }, { _id: 'a' }, { _id: 'c' }])).toThrow(
        /E11000 duplicate key error collection: bulk\.people index: _id_ dup key: \{ _id: "a" \}/,
      );
      await withClient(store, async (client) => {
        expect(await client.db('bulk').collection<{ _id: string }>('people').find().map((doc) => doc._id).toArray()).toEqual(['a', 'b']);
      });
    } finally {
      await store.stop();
    }
  });

  it('refuses a key a unique index already holds, from the store or from the same load', async () => {
    await withMemoryStore(async (client, store) => {
      const taxpayers = client.db('bulk').collection('taxpayers');
      await taxpayers.createIndex({ npwpd: 1 }, { unique: true });
      await taxpayers.insertOne({ npwpd: 'P-1' });
      expect(() => store.load('bulk', 'taxpayers', [{ npwpd: 'P-2' }, { npwpd: 'P-1' }])).toThrow(/index: npwpd_1 dup key: \{ npwpd: "P-1" \}/);
      expect(() => store.load('bulk', 'taxpayers', [{ npwpd: 'P-3' }, { npwpd: 'P-3' }])).toThrow(/dup key: \{ npwpd: "P-3" \}/);
      expect((await taxpayers.find().toArray()).map((doc) => doc.npwpd).sort()).toEqual(['P-1', 'P-2', 'P-3']);
      const error = await taxpayers.insertOne({ npwpd: 'P-2' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(11000);
    });
  });

  it('checks partial and compound unique keys, read from the documents\' bytes, as an insert does', async () => {
    await withMemoryStore(async (client, store) => {
      const reports = client.db('bulk').collection('reports');
      await reports.createIndex({ idempotencyKey: 1 }, { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } });
      await reports.createIndex({ 'object.id': 1, period: 1 }, { unique: true });
      const report = (i: number, extra: object = {}) => ({ object: { id: `o${i % 3}` }, period: new Date(Date.UTC(2025, i, 1)), ...extra });
      // Keys that are not strings are outside the partial index, so they may repeat.
      expect(store.load('bulk', 'reports', [report(0, { idempotencyKey: null }), report(1), report(2, { idempotencyKey: 'k-1' }), report(3)])).toBe(4);
      expect(() => store.load('bulk', 'reports', [report(4, { idempotencyKey: 'k-1' })])).toThrow(/index: idempotencyKey_1 dup key: \{ idempotencyKey: "k-1" \}/);
      expect(() => store.load('bulk', 'reports', [report(5), report(5)])).toThrow(/index: object\.id_1_period_1 dup key/);
      expect(await reports.countDocuments()).toBe(5);
      expect(await reports.countDocuments({ 'object.id': 'o2' })).toBe(2);
    });
  });

  it('is refused by a store kept in a data directory, where the load would not be journaled', async () => {
    const store = await startEmbeddedMongo({ port: 0, dataDir: await temporaryDirectory(), log: () => {} });
    try {
      expect(() => store.load('bulk', 'people', [{ _id: 'a' }])).toThrow(/Expected an in-memory store to bulk-load bulk\.people into/);
    } finally {
      await store.stop();
    }
  });
});

describe('saving a loaded store and importing it into a data directory', () => {
  it('writes a closed directory that in-memory stores start from', async () => {
    const sample = await savedSampleDirectory();
    await withMemoryStore(async (client) => {
      const reports = client.db('kediri_tax').collection('reports');
      expect(await reports.countDocuments()).toBe(1_500);
      expect(await reports.find().sort({ amount: -1 }).limit(2).toArray()).toEqual([
        { _id: 'r1499', amount: 1_499 },
        { _id: 'r1498', amount: 1_498 },
      ]);
      expect((await reports.indexes()).map((index) => index.name)).toEqual(['_id_', 'amount_-1']);
    }, { loadFrom: [sample] });
  });

  it('refuses to save into a directory that already holds a store', async () => {
    const sample = await savedSampleDirectory();
    const store = await startEmbeddedMongo({ port: 0, log: () => {} });
    try {
      await expect(store.saveTo(sample)).rejects.toThrow(/Expected a new or empty directory to save the store in/);
    } finally {
      await store.stop();
    }
  });

  it('imports into a new data directory, whose first snapshot keeps it after a restart', async () => {
    const sample = await savedSampleDirectory();
    const dataDir = await temporaryDirectory();
    const first = await startEmbeddedMongo({ port: 0, dataDir, loadFrom: [sample], log: () => {} });
    try {
      await withClient(first, (client) => client.db('kediri_tax').collection<{ _id: string; amount: number }>('reports').insertOne({ _id: 'after', amount: -1 }));
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedMongo({ port: 0, dataDir, log: () => {} });
    try {
      expect(again.recovery?.documents).toBe(1_501);
      await withClient(again, async (client) => {
        expect(await client.db('kediri_tax').collection('reports').countDocuments({ amount: { $gte: 1_000 } })).toBe(500);
      });
    } finally {
      await again.stop();
    }
  });

  it('refuses to import into a data directory that already holds data, and leaves it as it was', async () => {
    const sample = await savedSampleDirectory();
    const dataDir = await temporaryDirectory();
    const store = await startEmbeddedMongo({ port: 0, dataDir, log: () => {} });
    await withClient(store, (client) => client.db('kediri_city').collection<{ _id: string }>('notes').insertOne({ _id: 'kept' }));
    await store.stop();
    await expect(startEmbeddedMongo({ port: 0, dataDir, loadFrom: [sample], log: () => {} })).rejects.toThrow(
      /Expected an empty data directory to import .*sample into; .* already holds data/,
    );
    const reopened = await startEmbeddedMongo({ port: 0, dataDir, log: () => {} });
    try {
      await withClient(reopened, async (client) => {
        expect(await client.db('kediri_city').collection('notes').countDocuments()).toBe(1);
        expect(await client.db('kediri_tax').collection('reports').countDocuments()).toBe(0);
      });
    } finally {
      await reopened.stop();
    }
  });

  it('refuses a directory that is not a saved store', async () => {
    const empty = await temporaryDirectory();
    await writeFile(path.join(empty, 'notes.txt'), 'not a store');
    await expect(startEmbeddedMongo({ port: 0, loadFrom: [empty], log: () => {} })).rejects.toThrow(/has no snapshot to load/);
  });
});

describe('a store started before its sample is written (loadFrom given as a promise)', () => {
  it('answers the handshake at once and holds every other command until the directories are loaded', async () => {
    const sample = await savedSampleDirectory();
    const dataDir = await temporaryDirectory();
    let deliver!: (directories: string[]) => void;
    const store = await startEmbeddedMongo({ port: 0, dataDir, loadFrom: new Promise<string[]>((resolve) => (deliver = resolve)), log: () => {} });
    try {
      await withClient(store, async (client) => {
        // The driver connects: its handshake does not wait for the data.
        expect((await client.db('admin').command({ hello: 1 })).isWritablePrimary).toBe(true);
        let counted: number | undefined;
        const counting = client.db('kediri_tax').collection('reports').countDocuments().then((count) => (counted = count));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(counted).toBeUndefined();
        deliver([sample]);
        await store.opened;
        await counting;
        expect(counted).toBe(1_500);
      });
    } finally {
      await store.stop();
    }
    const again = await startEmbeddedMongo({ port: 0, dataDir, log: () => {} });
    try {
      expect(again.recovery?.documents).toBe(1_500);
    } finally {
      await again.stop();
    }
  });

  it('fails the held commands, and says why, when the directories cannot be loaded', async () => {
    await withMemoryStore(async (client, store) => {
      await expect(store.opened).rejects.toThrow('seeding tax failed');
      await expect(client.db('kediri_tax').collection('reports').countDocuments()).rejects.toThrow(/the store could not load its data: seeding tax failed/);
    }, { loadFrom: Promise.reject(new Error('seeding tax failed')) });
  });
});

describe('in-memory stores started from one directory (loaded once per process)', () => {
  it('share its documents and index builds, and each sees only its own writes', async () => {
    const sample = await savedSampleDirectory();
    const first = await startEmbeddedMongo({ port: 0, loadFrom: [sample], log: () => {} });
    const second = await startEmbeddedMongo({ port: 0, loadFrom: [sample], log: () => {} });
    try {
      await withClient(first, async (a) => {
        await withClient(second, async (b) => {
          const inA = a.db('kediri_tax').collection<{ _id: string; amount: number }>('reports');
          const inB = b.db('kediri_tax').collection<{ _id: string; amount: number }>('reports');
          // The first store builds the index (and its order) from the shared documents.
          expect(await inA.find({ amount: { $gte: 1_497 } }).sort({ amount: -1 }).toArray()).toEqual([
            { _id: 'r1499', amount: 1_499 },
            { _id: 'r1498', amount: 1_498 },
            { _id: 'r1497', amount: 1_497 },
          ]);
          await inB.insertOne({ _id: 'only-b', amount: 5_000 });
          await inB.deleteOne({ _id: 'r1499' });
          await inA.updateOne({ _id: 'r1498' }, { $set: { amount: -7 } });
          expect(await inB.find({ amount: { $gte: 1_497 } }).sort({ amount: -1 }).map((doc) => doc._id).toArray()).toEqual(['only-b', 'r1498', 'r1497']);
          expect(await inA.find({ amount: { $gte: 1_497 } }).sort({ amount: -1 }).map((doc) => doc._id).toArray()).toEqual(['r1499', 'r1497']);
          expect(await inA.countDocuments({ amount: -7 })).toBe(1);
          expect(await inB.countDocuments({ amount: -7 })).toBe(0);
        });
      });
      // A third store starts from the directory as it was written, whatever the first two did.
      const third = await startEmbeddedMongo({ port: 0, loadFrom: [sample], log: () => {} });
      try {
        await withClient(third, async (c) => {
          const reports = c.db('kediri_tax').collection('reports');
          expect(await reports.countDocuments()).toBe(1_500);
          expect(await reports.find().sort({ amount: -1 }).limit(1).map((doc) => doc._id).toArray()).toEqual(['r1499']);
        });
      } finally {
        await third.stop();
      }
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
