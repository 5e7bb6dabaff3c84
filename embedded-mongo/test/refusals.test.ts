import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { EMBEDDED, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('refusals');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  await db.collection('items').insertMany([{ a: 1, body: 'hello world' }, { a: 2, body: 'bye' }]);
});

afterAll(async () => {
  await client?.close();
  await target?.stop();
});

async function failure(run: () => Promise<unknown>): Promise<MongoServerError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the operation should have failed').toBeInstanceOf(Error);
  return error as MongoServerError;
}

describe('operators the server does not know', () => {
  it('an unknown query operator is a BadValue naming it', async () => {
    const error = await failure(() => db.collection('items').find({ $frobnicate: 1 }).toArray());
    expect(error.code).toBe(2);
    expect(error.message).toContain('$frobnicate');
  });

  it('an unknown pipeline stage fails naming it', async () => {
    const error = await failure(() => db.collection('items').aggregate([{ $frobnicate: {} }]).toArray());
    expect(error.message).toContain('$frobnicate');
  });

  it('an unknown update operator fails naming it', async () => {
    const error = await failure(() => db.collection('items').updateOne({}, { $frobnicate: { a: 1 } } as never));
    expect(error.message).toContain('$frobnicate');
  });
});

describe.runIf(EMBEDDED)('features the embedded store refuses by name (embedded store)', () => {
  const refusals: [string, (db: Db) => Promise<unknown>][] = [
    ['$where', (d) => d.collection('items').find({ $where: 'this.a == 1' }).toArray()],
    ['$text', (d) => d.collection('items').find({ $text: { $search: 'hello' } }).toArray()],
    ['$out', (d) => d.collection('items').aggregate([{ $out: 'copy' }]).toArray()],
    ['text', (d) => d.collection('items').createIndex({ body: 'text' })],
    ['collation', (d) => d.collection('items').find({}, { collation: { locale: 'id' } }).toArray()],
    ['explain', (d) => d.collection('items').find({}).explain()],
  ];
  for (const [feature, run] of refusals) {
    it(`refuses ${feature}, saying to use a real MongoDB`, async () => {
      const error = await failure(() => run(db));
      expect(error.message).toContain(feature);
      expect(error.message).toContain('MONGODB_URI');
      expect(error.code).toBeGreaterThan(0);
    });
  }
});

describe.runIf(EMBEDDED)('transactions (embedded store, a standalone server)', () => {
  it('session.withTransaction fails with IllegalOperation (20)', async () => {
    const session = client.startSession();
    try {
      const error = await failure(() =>
        session.withTransaction(async () => {
          await db.collection('items').insertOne({ a: 3 }, { session });
        }),
      );
      expect(error.code).toBe(20);
      expect(error.message).toContain('Transaction numbers are only allowed on a replica set member or mongos');
    } finally {
      await session.endSession();
    }
    expect(await db.collection('items').countDocuments({ a: 3 })).toBe(0);
  });

  it('a command carrying txnNumber fails with IllegalOperation (20)', async () => {
    const error = await failure(() =>
      db.command({ find: 'items', filter: {}, txnNumber: Long.fromNumber(1), autocommit: false, startTransaction: true }),
    );
    expect(error.code).toBe(20);
  });
});

describe.runIf(EMBEDDED)('credentials (embedded store, which has no users)', () => {
  it('connecting with a username and password fails with a clear message', async () => {
    const uri = target.uri.replace('mongodb://', 'mongodb://someone:secret@');
    const error = await failure(() => MongoClient.connect(uri, { serverSelectionTimeoutMS: 2000 }));
    expect(error.message).toMatch(/no authentication/);
  });
});
