import { spawn } from 'node:child_process';
import { appendFile, cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Long, MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../index';
import { temporaryDirectories } from './directories';
import { EMBEDDED, withStore } from './target';

/**
 * The data directory, in process. A copy of the directory taken while the store runs is exactly what a crash at that
 * moment would leave behind (every acknowledged write is already synced), so restarting from a copy tests recovery
 * from the journal alone, without the shutdown snapshot.
 */
const temporaryDirectory = temporaryDirectories('embedded-mongo-durability-');

/** What a crash right now would leave: the directory as it is on disk. */
async function crashCopy(directory: string): Promise<string> {
  const copy = await temporaryDirectory();
  await cp(directory, copy, { recursive: true });
  return copy;
}

async function journals(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.startsWith('journal-')).sort();
}

describe.runIf(EMBEDDED)('a data directory (embedded store)', () => {
  it('replays every kind of change from the journal after a crash', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(directory, async (client) => {
      const db = client.db('city');
      await db.createCollection('empty');
      await db.collection('people').createIndex({ nik: 1 }, { unique: true });
      await db.collection('people').createIndex({ name: 1 });
      await db.collection('people').insertMany([{ _id: 1 as never, nik: 'A', name: 'Sri' }, { _id: 2 as never, nik: 'B', name: 'Budi' }, { _id: 3 as never, nik: 'C' }]);
      await db.collection('people').updateOne({ _id: 1 as never }, { $set: { name: 'Sri W.' } });
      await db.collection('people').updateOne({ nik: 'Z' }, { $set: { name: 'upserted' } }, { upsert: true });
      await db.collection('people').findOneAndDelete({ _id: 3 as never });
      await db.collection('people').dropIndex('name_1');
      await db.collection('scratch').insertMany([{ a: 1 }, { a: 2 }]);
      await db.collection('scratch').deleteMany({});
      await db.collection('dropped').insertOne({ a: 1 });
      await db.collection('dropped').drop();
      await client.db('gone').collection('x').insertOne({ a: 1 });
      await client.db('gone').dropDatabase();
      await client.withSession((session) =>
        session.withTransaction(async () => {
          await db.collection('people').updateOne({ _id: 2 as never }, { $set: { nik: 'A2' } }, { session });
          await db.collection('audit').insertOne({ _id: 'tx' as never, what: 'renumbered' }, { session });
        }),
      );
      crashed = await crashCopy(directory);
    });
    await withStore(crashed, async (client, store) => {
      expect(store.recovery).toMatchObject({ snapshot: null, tornTail: null });
      expect(store.recovery?.journalRecords).toBeGreaterThan(10);
      const db = client.db('city');
      const people = await db.collection('people').find({}, { projection: { _id: 0 } }).sort({ nik: 1 }).toArray();
      expect(people).toEqual([{ nik: 'A', name: 'Sri W.' }, { nik: 'A2', name: 'Budi' }, { nik: 'Z', name: 'upserted' }]);
      expect((await db.collection('people').indexes()).map((index) => index.name)).toEqual(['_id_', 'nik_1']);
      await expect(db.collection('people').insertOne({ nik: 'A' })).rejects.toMatchObject({ code: 11000 });
      expect(await db.collection('audit').findOne()).toEqual({ _id: 'tx', what: 'renumbered' });
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
      expect(names).toEqual(['audit', 'empty', 'people', 'scratch']);
      expect(await db.collection('scratch').countDocuments()).toBe(0);
      expect((await client.db('admin').admin().listDatabases()).databases.map((d) => d.name)).not.toContain('gone');
    });
  });

  it('writes a snapshot at clean shutdown, and starts from it with an empty journal', async () => {
    const directory = await temporaryDirectory();
    await withStore(directory, async (client) => {
      await client.db('city').collection('items').insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
    });
    expect((await readdir(directory)).sort()).toEqual(['journal-000002.log', 'snapshot-000002.bson']);
    await withStore(directory, async (client, store) => {
      expect(store.recovery).toMatchObject({ snapshot: 'snapshot-000002.bson', documents: 50, journalRecords: 0 });
      expect(await client.db('city').collection('items').countDocuments()).toBe(50);
    });
  });

  it('compacts the journal into a snapshot past the threshold, and recovers from snapshot plus journal', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(
      directory,
      async (client, store) => {
        const items = client.db('city').collection('items');
        for (let i = 0; i < 40; i++) await items.insertMany(Array.from({ length: 20 }, (_, j) => ({ i, j, pad: 'x'.repeat(200) })));
        // Compaction runs in the background; an explicit one waits for it and writes the latest state.
        const summary = await store.compact();
        expect(summary?.documents).toBe(800);
        await items.insertOne({ after: 'snapshot' });
        crashed = await crashCopy(directory);
      },
      { compactAfterBytes: 32 * 1024 },
    );
    const files = await readdir(crashed);
    expect(files.filter((name) => name.startsWith('snapshot-'))).toHaveLength(1);
    expect(await journals(crashed)).toHaveLength(1);
    await withStore(crashed, async (client, store) => {
      expect(store.recovery?.snapshot).toMatch(/^snapshot-\d+\.bson$/);
      expect(store.recovery?.journalRecords).toBe(1);
      expect(await client.db('city').collection('items').countDocuments()).toBe(801);
    });
  });

  it('drops a torn record at the end of the journal, and goes on appending after it', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(directory, async (client) => {
      await client.db('city').collection('items').insertOne({ _id: 'acknowledged' as never });
      crashed = await crashCopy(directory);
    });
    const [journal] = await journals(crashed);
    const file = path.join(crashed, journal);
    const length = (await stat(file)).size;
    // A record the crash cut short: its header promises 200 bytes, 12 made it to disk.
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(200, 0);
    torn.writeUInt32LE(0xdeadbeef, 4);
    await appendFile(file, torn);
    await withStore(crashed, async (client, store) => {
      expect(store.recovery?.tornTail).toContain(`${journal} at byte ${length}`);
      expect(await client.db('city').collection('items').find().toArray()).toEqual([{ _id: 'acknowledged' }]);
      await client.db('city').collection('items').insertOne({ _id: 'after restart' as never });
      crashed = await crashCopy(crashed);
    });
    await withStore(crashed, async (client, store) => {
      expect(store.recovery?.tornTail).toBeNull();
      expect(await client.db('city').collection('items').countDocuments()).toBe(2);
    });
  });

  it('treats zero bytes at the end of the journal (allocated, never written) as a torn tail', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(directory, async (client) => {
      await client.db('city').collection('items').insertOne({ a: 1 });
      crashed = await crashCopy(directory);
    });
    const [journal] = await journals(crashed);
    await appendFile(path.join(crashed, journal), Buffer.alloc(4096));
    await withStore(crashed, async (client, store) => {
      expect(store.recovery?.tornTail).toContain(journal);
      expect(await client.db('city').collection('items').countDocuments()).toBe(1);
    });
  });

  it('refuses to start on a record damaged in the middle of the journal, naming the file and the offset', async () => {
    const directory = await temporaryDirectory();
    let crashed = '';
    await withStore(directory, async (client) => {
      await client.db('city').collection('items').insertOne({ n: 1 });
      await client.db('city').collection('items').insertOne({ n: 2 });
      crashed = await crashCopy(directory);
    });
    const [journal] = await journals(crashed);
    const file = path.join(crashed, journal);
    const bytes = await readFile(file);
    // The header record, then the create and the first insert: damage a byte inside the second record.
    const header = 8 + bytes.readUInt32LE(0);
    const damaged = header + 8 + 10;
    bytes[damaged] ^= 0xff;
    await writeFile(file, bytes);
    await expect(startEmbeddedMongo({ port: 0, dataDir: crashed, log: () => {} })).rejects.toThrow(new RegExp(`${journal} is corrupt at byte ${header}: the checksum`));
    // The failed start released the directory: a fixed directory opens again.
    bytes[damaged] ^= 0xff;
    await writeFile(file, bytes);
    await withStore(crashed, async (client) => expect(await client.db('city').collection('items').countDocuments()).toBe(2));
  });

  it('lets only one store open a directory; a lock left by a dead process is taken over', async () => {
    const directory = await temporaryDirectory();
    const store = await startEmbeddedMongo({ port: 0, dataDir: directory, log: () => {} });
    try {
      await expect(startEmbeddedMongo({ port: 0, dataDir: directory, log: () => {} })).rejects.toThrow(`data directory ${directory} is already open in this process`);
    } finally {
      await store.stop();
    }
    // A live process holds it: our parent, say.
    await writeFile(path.join(directory, 'embedded-mongo.lock'), `${process.ppid}\n`);
    await expect(startEmbeddedMongo({ port: 0, dataDir: directory, log: () => {} })).rejects.toThrow(
      `data directory ${directory} is in use by another embedded store (pid ${process.ppid}`,
    );
    // A process that has exited left its lock behind.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(path.join(directory, 'embedded-mongo.lock'), `${dead.pid}\n`);
    await withStore(directory, async (client) => expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 }));
  });

  it('reports itself persistent in serverStatus, and the in-memory store not', async () => {
    const directory = await temporaryDirectory();
    await withStore(directory, async (client) => {
      expect((await client.db('admin').command({ serverStatus: 1 })).storageEngine).toMatchObject({ persistent: true });
    });
    const memory = await startEmbeddedMongo({ port: 0, log: () => {} });
    const client = await MongoClient.connect(memory.uri);
    try {
      expect((await client.db('admin').command({ serverStatus: 1 })).storageEngine).toMatchObject({ persistent: false });
    } finally {
      await client.close();
      await memory.stop();
    }
  });
});

describe.runIf(EMBEDDED)('in-memory stores started from a closed data directory (loadFrom)', () => {
  it('each start with its data, write only to themselves, and leave the directory as it was', async () => {
    const directory = await temporaryDirectory();
    await withStore(directory, async (client) => {
      await client.db('kediri_tax').collection('reports').createIndex({ period: 1 }, { unique: true });
      await client.db('kediri_tax').collection('reports').insertMany([{ period: '2023-01' }, { period: '2023-02' }]);
    });
    const before = await readdir(directory);
    const [one, two] = await Promise.all([startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} }), startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} })]);
    const [first, second] = await Promise.all([MongoClient.connect(one.uri), MongoClient.connect(two.uri)]);
    try {
      await first.db('kediri_tax').collection('reports').insertOne({ period: '2023-03' });
      // The unique index came with the data.
      await expect(first.db('kediri_tax').collection('reports').insertOne({ period: '2023-01' })).rejects.toMatchObject({ code: 11000 });
      expect(await first.db('kediri_tax').collection('reports').countDocuments()).toBe(3);
      expect(await second.db('kediri_tax').collection('reports').countDocuments()).toBe(2);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await Promise.all([one.stop(), two.stop()]);
    }
    expect(await readdir(directory)).toEqual(before);
    expect(await withStore(directory, (client) => client.db('kediri_tax').collection('reports').countDocuments())).toBe(2);
  });

  it('serve a snapshot decoded and indexed on first use exactly as it was written: every _id type, unique keys, multikey, order', async () => {
    const directory = await temporaryDirectory();
    const people = [
      { _id: new ObjectId('65a0000000000000000000a1'), nik: 'A', tags: ['rt01', 'rw02'], born: new Date('1990-01-02'), loan: Long.fromString('9007199254740993') },
      { _id: 'warga-2', nik: 'B', tags: [] },
      { _id: 3 as never, nik: 'C', tags: ['rt01'] },
      { nik: 'D', _id: { kelurahan: '35.71.01.1005', n: 4 } as never },
    ];
    await withStore(directory, async (client) => {
      const collection = client.db('city').collection('people');
      await collection.createIndex({ nik: 1 }, { unique: true });
      await collection.createIndex({ tags: 1 });
      await collection.insertMany(people as never[]);
    });
    const store = await startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} });
    const client = await MongoClient.connect(store.uri, { promoteLongs: false });
    try {
      const collection = client.db('city').collection('people');
      expect(await collection.find().toArray()).toEqual(people);
      expect(await collection.findOne({ _id: 'warga-2' as never })).toEqual(people[1]);
      expect(await collection.findOne({ _id: { kelurahan: '35.71.01.1005', n: 4 } as never })).toEqual(people[3]);
      // The unique index, built only now, still holds every loaded key.
      await expect(collection.insertOne({ nik: 'C' })).rejects.toMatchObject({ code: 11000 });
      // Writes before the first lookup on tags: the index, built at that lookup, holds what they left.
      await collection.insertOne({ nik: 'E', tags: ['rt01', 'rt03'] });
      await collection.deleteOne({ nik: 'A' });
      await collection.updateOne({ nik: 'B' }, { $set: { tags: ['rt01'] } });
      expect(await collection.find({ tags: 'rt01' }).map((doc) => doc.nik).toArray()).toEqual(['B', 'C', 'E']);
      expect(await collection.find({ tags: 'rw02' }).toArray()).toEqual([]);
      const explained = await collection.find({ tags: 'rt01' }).explain();
      expect(JSON.stringify(explained.queryPlanner.winningPlan)).toContain('"isMultiKey":true');
    } finally {
      await client.close();
      await store.stop();
    }
    // A store that reads none of them writes them into its next snapshot as they were.
    const snapshots = async () => (await readdir(directory)).filter((name) => name.startsWith('snapshot-'));
    const before = await snapshots();
    await withStore(directory, (client) => client.db('city').collection('visits').insertOne({ n: 1 }));
    expect(await snapshots()).not.toEqual(before);
    const reread = await withStore(directory, (client) => client.db('city').collection('people').find({}, { projection: { loan: 0 } }).toArray());
    expect(reread).toEqual(people.map(({ loan: _loan, ...rest }) => rest));
  });

  it('refuses a directory in use, whose journal holds changes its snapshot does not, and an import into a directory with data', async () => {
    const directory = await temporaryDirectory();
    await withStore(directory, (client) => client.db('city').collection('people').insertOne({ name: 'Sri' }));
    await withStore(directory, async (client) => {
      await client.db('city').collection('people').insertOne({ name: 'Budi' });
      await expect(startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} })).rejects.toThrow(/holds changes after its snapshot.*in use or was not closed cleanly/);
    });
    await expect(startEmbeddedMongo({ port: 0, loadFrom: [await temporaryDirectory()], log: () => {} })).rejects.toThrow(/has no snapshot to load/);
    await expect(startEmbeddedMongo({ port: 0, dataDir: directory, loadFrom: [directory], log: () => {} })).rejects.toThrow(/Expected an empty data directory to import/);
  });
});
