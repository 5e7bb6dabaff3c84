import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, UUID, type Db } from 'mongodb';
import mongoose, { Schema, type Connection } from 'mongoose';
import { startEmbeddedMongo } from '../index';
import { EMBEDDED, failure, startTarget, type Target } from './target';
import { RawConnection } from './wire';

/**
 * Multi-document transactions, as a replica set runs them, through the driver and mongoose over the wire. Against a
 * real MongoDB (MONGODB_URI) this file needs a replica set; the expectations that only the embedded store meets
 * (its messages, its lifetime limit) are marked "embedded store".
 */
let target: Target;
let client: MongoClient;
let other: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('transactions');
  client = await MongoClient.connect(target.uri);
  other = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
});

afterAll(async () => {
  await client?.close();
  await other?.close();
  await target?.stop();
});

/** Whether a promise is still pending after the store has answered another round trip. */
async function stillPending(promise: Promise<unknown>, probe: Db): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await probe.command({ ping: 1 });
  await probe.command({ ping: 1 });
  return !settled;
}

describe('the driver sees a replica set', () => {
  it('hello describes a single-node replica-set primary', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(typeof hello.setName).toBe('string');
    expect(hello.hosts).toContain(hello.me);
    expect(hello.primary).toBe(hello.me);
    expect(hello.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
  });

  it.runIf(EMBEDDED)('runs a transaction in each connection form the driver allows (embedded store)', async () => {
    const forms: [string, string][] = [
      ['', 'ReplicaSetWithPrimary'],
      ['?replicaSet=rs0', 'ReplicaSetWithPrimary'],
      ['?directConnection=true', 'Single'],
    ];
    for (const [suffix, topology] of forms) {
      const connected = await MongoClient.connect(`${target.uri}${suffix}`);
      try {
        // The topology the driver settled on is internal to it; the test reads it to prove the connection form.
        const { topology: described } = connected as unknown as { topology?: { description: { type: string } } };
        expect(described?.description.type, suffix || 'a plain URI').toBe(topology);
        const items = connected.db(target.dbName).collection('forms');
        await connected.withSession((session) =>
          session.withTransaction(async () => {
            await items.insertOne({ form: suffix }, { session });
            await items.updateOne({ form: suffix }, { $set: { committed: true } }, { session });
          }),
        );
        expect(await items.findOne({ form: suffix })).toMatchObject({ committed: true });
      } finally {
        await connected.close();
      }
    }
  });
});

describe('commit and abort', () => {
  it('commit applies every write of the transaction', async () => {
    const accounts = db.collection('accounts');
    const log = db.collection('transfers_log');
    await accounts.insertMany([{ _id: 'a1' as never, balance: 100 }, { _id: 'b1' as never, balance: 0 }, { _id: 'gone' as never }]);
    await client.withSession((session) =>
      session.withTransaction(async () => {
        await accounts.updateOne({ _id: 'a1' as never }, { $inc: { balance: -30 } }, { session });
        await accounts.updateOne({ _id: 'b1' as never }, { $inc: { balance: 30 } }, { session });
        await accounts.deleteOne({ _id: 'gone' as never }, { session });
        await log.insertOne({ from: 'a1', to: 'b1', amount: 30 }, { session });
      }),
    );
    expect(await accounts.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 'a1', balance: 70 },
      { _id: 'b1', balance: 30 },
    ]);
    expect(await log.countDocuments({ from: 'a1' })).toBe(1);
  });

  it('abortTransaction applies none', async () => {
    const items = db.collection('aborted');
    await items.insertOne({ _id: 'kept' as never, n: 1 });
    const session = client.startSession();
    try {
      session.startTransaction();
      await items.insertOne({ _id: 'new' as never }, { session });
      await items.updateOne({ _id: 'kept' as never }, { $set: { n: 2 } }, { session });
      await items.deleteOne({ _id: 'kept' as never }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await items.find().toArray()).toEqual([{ _id: 'kept', n: 1 }]);
  });

  it('a throw inside withTransaction applies none and reaches the caller', async () => {
    const items = db.collection('thrown');
    const error = await client
      .withSession((session) =>
        session.withTransaction(async () => {
          await items.insertOne({ x: 1 }, { session });
          await items.insertOne({ x: 2 }, { session });
          throw new Error('the caller changed its mind');
        }),
      )
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('the caller changed its mind');
    expect(await items.countDocuments()).toBe(0);
  });

  it('creates a collection implicitly inside a transaction, and only when it commits', async () => {
    const fresh = db.collection('created_in_transaction');
    await client.withSession((session) => session.withTransaction(() => fresh.insertOne({ a: 1 }, { session })));
    expect(await fresh.countDocuments()).toBe(1);
    const never = db.collection('never_created');
    await client
      .withSession((session) =>
        session.withTransaction(async () => {
          await never.insertOne({ a: 1 }, { session });
          throw new Error('abort');
        }),
      )
      .catch(() => undefined);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('created_in_transaction');
    expect(names).not.toContain('never_created');
  });
});

describe('isolation', () => {
  it('uncommitted writes are invisible to other clients and to other transactions', async () => {
    const items = db.collection('isolated');
    await items.insertOne({ _id: 'x' as never, v: 1 });
    const writer = client.startSession();
    const reader = other.startSession();
    try {
      writer.startTransaction();
      await items.insertOne({ _id: 'y' as never, v: 1 }, { session: writer });
      await items.updateOne({ _id: 'x' as never }, { $set: { v: 2 } }, { session: writer });
      const outside = other.db(target.dbName).collection('isolated');
      expect(await outside.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'x', v: 1 }]);
      reader.startTransaction();
      expect(await outside.find({}, { session: reader }).toArray()).toEqual([{ _id: 'x', v: 1 }]);
      expect(await outside.countDocuments({}, { session: reader })).toBe(1);
      await writer.commitTransaction();
      expect(await outside.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'x', v: 2 }, { _id: 'y', v: 1 }]);
      // The reader's snapshot predates the commit: it still sees the old state.
      expect(await outside.find({}, { session: reader }).toArray()).toEqual([{ _id: 'x', v: 1 }]);
      await reader.commitTransaction();
    } finally {
      await writer.endSession();
      await reader.endSession();
    }
  });

  it('a transaction reads its own writes through find, count, distinct, aggregate and findOneAndUpdate', async () => {
    const items = db.collection('own_writes');
    await items.createIndex({ kind: 1 });
    await items.insertMany([{ kind: 'a', n: 1 }, { kind: 'b', n: 2 }]);
    await client.withSession((session) =>
      session.withTransaction(async () => {
        await items.insertMany([{ kind: 'a', n: 10 }, { kind: 'c', n: 20 }], { session });
        await items.updateOne({ kind: 'b' }, { $set: { kind: 'a' } }, { session });
        await items.deleteOne({ n: 1 }, { session });
        expect((await items.find({ kind: 'a' }, { session }).sort({ n: 1 }).toArray()).map((d) => d.n)).toEqual([2, 10]);
        expect(await items.countDocuments({ kind: 'a' }, { session })).toBe(2);
        expect(await items.distinct('kind', {}, { session })).toEqual(['a', 'c']);
        const grouped = await items.aggregate([{ $match: { n: { $gte: 2 } } }, { $group: { _id: '$kind', total: { $sum: '$n' } } }, { $sort: { _id: 1 } }], { session }).toArray();
        expect(grouped).toEqual([{ _id: 'a', total: 12 }, { _id: 'c', total: 20 }]);
        const before = await items.findOneAndUpdate({ kind: 'c' }, { $inc: { n: 1 } }, { session, returnDocument: 'after' });
        expect(before?.n).toBe(21);
        expect(await other.db(target.dbName).collection('own_writes').countDocuments()).toBe(2);
      }),
    );
    expect(await items.countDocuments()).toBe(3);
  });

  it('a write to a document committed by someone else after the transaction started is a WriteConflict, labelled transient', async () => {
    const items = db.collection('conflicts');
    await items.insertOne({ _id: 'doc' as never, v: 0 });
    const session = client.startSession();
    try {
      session.startTransaction();
      expect(await items.findOne({ _id: 'doc' as never }, { session })).toEqual({ _id: 'doc', v: 0 });
      await other.db(target.dbName).collection('conflicts').updateOne({ _id: 'doc' as never }, { $set: { v: 1 } });
      const error = await failure(() => items.updateOne({ _id: 'doc' as never }, { $set: { v: 2 } }, { session }));
      expect(error.code).toBe(112);
      expect(error.codeName).toBe('WriteConflict');
      expect(error.hasErrorLabel('TransientTransactionError')).toBe(true);
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await items.findOne({ _id: 'doc' as never })).toEqual({ _id: 'doc', v: 1 });
  });

  it('a second transaction writing a document the first has written gets a WriteConflict (first writer wins)', async () => {
    const items = db.collection('first_writer');
    await items.insertOne({ _id: 'doc' as never, v: 0 });
    const first = client.startSession();
    const second = other.startSession();
    try {
      first.startTransaction();
      second.startTransaction();
      await items.updateOne({ _id: 'doc' as never }, { $set: { v: 1 } }, { session: first });
      const error = await failure(() => other.db(target.dbName).collection('first_writer').updateOne({ _id: 'doc' as never }, { $set: { v: 2 } }, { session: second }));
      expect(error.code).toBe(112);
      expect(error.hasErrorLabel('TransientTransactionError')).toBe(true);
      await first.commitTransaction();
      await second.abortTransaction();
    } finally {
      await first.endSession();
      await second.endSession();
    }
    expect(await items.findOne({ _id: 'doc' as never })).toEqual({ _id: 'doc', v: 1 });
  });

  it('20 concurrent withTransaction calls incrementing one counter end at exactly 20', async () => {
    const counters = db.collection('counters');
    await counters.insertOne({ _id: 'c' as never, n: 0 });
    const clients = [client, other];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clients[i % 2].withSession((session) =>
          session.withTransaction(async () => {
            // Read, then write what was read plus one: without isolation and conflict retries, increments are lost.
            const current = await clients[i % 2].db(target.dbName).collection('counters').findOne({ _id: 'c' as never }, { session });
            await clients[i % 2].db(target.dbName).collection('counters').updateOne({ _id: 'c' as never }, { $set: { n: (current?.n as number) + 1 } }, { session });
          }),
        ),
      ),
    );
    expect(await counters.findOne({ _id: 'c' as never })).toEqual({ _id: 'c', n: 20 });
  });

  it('two transactions inserting the same unique key: one commits, the other ends with E11000 after retrying', async () => {
    const people = db.collection('people');
    await people.createIndex({ nik: 1 }, { unique: true });
    const first = client.startSession();
    let attempts = 0;
    try {
      first.startTransaction();
      await people.insertOne({ nik: '3571', name: 'first' }, { session: first });
      const second = other.withSession((session) =>
        session.withTransaction(async () => {
          attempts++;
          await other.db(target.dbName).collection('people').insertOne({ nik: '3571', name: 'second' }, { session });
        }),
      );
      // The second keeps meeting the first's uncommitted key (a WriteConflict, retried) until the first commits.
      while (attempts < 2) await db.command({ ping: 1 });
      await first.commitTransaction();
      const error = await failure(() => second);
      expect(error.code).toBe(11000);
    } finally {
      await first.endSession();
    }
    expect(await people.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ nik: '3571', name: 'first' }]);
  });

  it('a write outside any transaction waits for the transaction holding the document, and loses nothing', async () => {
    const items = db.collection('waiting');
    await items.insertOne({ _id: 'doc' as never, n: 0 });
    const session = client.startSession();
    try {
      session.startTransaction();
      await items.updateOne({ _id: 'doc' as never }, { $inc: { n: 1 } }, { session });
      const outside = other.db(target.dbName).collection('waiting').updateOne({ _id: 'doc' as never }, { $inc: { n: 10 } });
      expect(await stillPending(outside, db)).toBe(true);
      await session.commitTransaction();
      await outside;
    } finally {
      await session.endSession();
    }
    expect(await items.findOne({ _id: 'doc' as never })).toEqual({ _id: 'doc', n: 11 });
  });
});

describe('the transaction protocol', () => {
  let raw: RawConnection;
  const lsid = { id: new UUID() };

  beforeAll(async () => {
    raw = await RawConnection.open(target.uri);
    await raw.command({ insert: 'protocol', documents: [{ _id: 1, n: 0 }], $db: target.dbName });
  });

  afterAll(() => raw?.destroy());

  it('answers NoSuchTransaction, labelled transient, for a transaction number it does not know', async () => {
    const reply = await raw.command({ find: 'protocol', filter: {}, lsid, txnNumber: Long.fromNumber(7), autocommit: false, $db: target.dbName });
    expect(reply).toMatchObject({ ok: 0, code: 251, codeName: 'NoSuchTransaction', errorLabels: ['TransientTransactionError'] });
  });

  it('commits, and answers a repeated commit as committed', async () => {
    const txnNumber = Long.fromNumber(10);
    const start = await raw.command({ update: 'protocol', updates: [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }], lsid, txnNumber, autocommit: false, startTransaction: true, readConcern: { level: 'snapshot' }, $db: target.dbName });
    expect(start).toMatchObject({ ok: 1, n: 1, nModified: 1 });
    const commit = { commitTransaction: 1, lsid, txnNumber, autocommit: false, writeConcern: { w: 'majority' }, $db: 'admin' };
    expect(await raw.command(commit)).toMatchObject({ ok: 1 });
    expect(await raw.command(commit)).toMatchObject({ ok: 1 });
    const [doc] = (await raw.command({ find: 'protocol', filter: {}, $db: target.dbName })).cursor.firstBatch;
    expect(doc).toEqual({ _id: 1, n: 1 });
  });

  it('refuses an old transaction number', async () => {
    const reply = await raw.command({ find: 'protocol', filter: {}, lsid, txnNumber: Long.fromNumber(3), autocommit: false, startTransaction: true, $db: target.dbName });
    expect(reply).toMatchObject({ ok: 0, code: 225, codeName: 'TransactionTooOld' });
  });

  it('answers a retried write (same lsid and txnNumber) with its first result, applying it once', async () => {
    const session = { id: new UUID() };
    const insert = { insert: 'retried', documents: [{ _id: 'once' }], lsid: session, txnNumber: Long.fromNumber(1), $db: target.dbName };
    expect(await raw.command(insert)).toMatchObject({ ok: 1, n: 1 });
    expect(await raw.command(insert)).toMatchObject({ ok: 1, n: 1 });
    const increment = { findAndModify: 'retried', query: { _id: 'once' }, update: { $inc: { n: 1 } }, new: true, lsid: session, txnNumber: Long.fromNumber(2), $db: target.dbName };
    const first = await raw.command(increment);
    const again = await raw.command(increment);
    expect(again.value).toEqual(first.value);
    const [doc] = (await raw.command({ find: 'retried', filter: {}, $db: target.dbName })).cursor.firstBatch;
    expect(doc).toEqual({ _id: 'once', n: 1 });
  });

  it('aborts a transaction whose command fails: the next command finds it aborted', async () => {
    const txnNumber = Long.fromNumber(20);
    const bad = await raw.command({ find: 'protocol', filter: { $frobnicate: 1 }, lsid, txnNumber, autocommit: false, startTransaction: true, $db: target.dbName });
    expect(bad.ok).toBe(0);
    const next = await raw.command({ find: 'protocol', filter: {}, lsid, txnNumber, autocommit: false, $db: target.dbName });
    expect(next).toMatchObject({ ok: 0, code: 251, errorLabels: ['TransientTransactionError'] });
  });

  it.runIf(EMBEDDED)('refuses to create a collection inside a transaction, naming the reason (embedded store)', async () => {
    const reply = await raw.command({ create: 'inside', lsid, txnNumber: Long.fromNumber(30), autocommit: false, startTransaction: true, $db: target.dbName });
    expect(reply).toMatchObject({ ok: 0, code: 263, codeName: 'OperationNotSupportedInTransaction' });
    expect(reply.errmsg).toContain("Cannot run 'create' in a multi-document transaction");
  });
});

describe.runIf(EMBEDDED)('the transaction lifetime limit (embedded store)', () => {
  it('aborts a transaction older than the limit; its next command gets NoSuchTransaction', async () => {
    const store = await startEmbeddedMongo({ port: 0, transactionLifetimeMs: 200, log: () => {} });
    const limited = await MongoClient.connect(store.uri);
    const session = limited.startSession();
    try {
      const items = limited.db('limit').collection('items');
      session.startTransaction();
      await items.insertOne({ a: 1 }, { session });
      // Wait until the store reports the transaction gone (aborted by the limit), not for a fixed time.
      for (;;) {
        const status = await limited.db('admin').command({ serverStatus: 1 });
        if (status.transactions.currentOpen === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const error = await failure(() => items.insertOne({ a: 2 }, { session }));
      expect(error.code).toBe(251);
      expect(error.message).toContain('transaction lifetime limit');
      expect(error.hasErrorLabel('TransientTransactionError')).toBe(true);
      await session.abortTransaction().catch(() => undefined);
      expect(await items.countDocuments()).toBe(0);
    } finally {
      await session.endSession();
      await limited.close();
      await store.stop();
    }
  });
});

describe('transactions through mongoose', () => {
  let connection: Connection;
  const residentSchema = new Schema({ nik: { type: String, unique: true }, name: String, kelurahan: String, visits: Number });

  beforeAll(async () => {
    connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('connection.transaction commits Model.create, updateOne and aggregate together', async () => {
    const Resident = connection.model('Resident', residentSchema);
    await Resident.init();
    const totals = await connection.transaction(async (session) => {
      await Resident.create([{ nik: '1', name: 'Sri', kelurahan: 'Bandar', visits: 1 }, { nik: '2', name: 'Budi', kelurahan: 'Bandar', visits: 2 }], { session, ordered: true });
      await Resident.updateOne({ nik: '2' }, { $inc: { visits: 5 } }, { session });
      expect(await Resident.countDocuments().session(null)).toBe(0);
      return Resident.aggregate([{ $match: { kelurahan: 'Bandar' } }, { $group: { _id: '$kelurahan', visits: { $sum: '$visits' } } }]).session(session);
    });
    expect(totals).toEqual([{ _id: 'Bandar', visits: 8 }]);
    expect(await Resident.countDocuments({ kelurahan: 'Bandar' })).toBe(2);
  });

  it('connection.transaction applies nothing when the function throws', async () => {
    const Resident = connection.model('Resident', residentSchema);
    const error = await connection
      .transaction(async (session) => {
        await Resident.create([{ nik: '3', name: 'Ani', kelurahan: 'Ngronggo' }], { session });
        throw new Error('rolled back');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('rolled back');
    expect(await Resident.countDocuments({ nik: '3' })).toBe(0);
  });

  it('with transactionAsyncLocalStorage, operations inside connection.transaction join it without a session argument', async () => {
    const instance = new mongoose.Mongoose();
    instance.set('transactionAsyncLocalStorage', true);
    const scoped = await instance.createConnection(target.uri, { dbName: target.dbName }).asPromise();
    try {
      const Visit = scoped.model('Visit', new Schema({ resident: String, n: Number }));
      await Visit.createCollection();
      const error = await scoped
        .transaction(async () => {
          await Visit.create({ resident: 'Sri', n: 1 });
          await Visit.insertMany([{ resident: 'Budi', n: 2 }]);
          await Visit.updateOne({ resident: 'Sri' }, { $inc: { n: 10 } });
          expect(await Visit.findOne({ resident: 'Sri' }).lean()).toMatchObject({ n: 11 });
          expect(await Visit.aggregate([{ $group: { _id: null, n: { $sum: '$n' } } }])).toEqual([{ _id: null, n: 13 }]);
          // Another connection does not see the transaction's writes: they really are inside it.
          expect(await other.db(target.dbName).collection('visits').countDocuments()).toBe(0);
          throw new Error('abort to prove it');
        })
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe('abort to prove it');
      expect(await Visit.countDocuments()).toBe(0);
      await scoped.transaction(async () => {
        await Visit.create({ resident: 'Sri', n: 1 });
      });
      expect(await Visit.countDocuments()).toBe(1);
    } finally {
      await scoped.close();
    }
  });
});
