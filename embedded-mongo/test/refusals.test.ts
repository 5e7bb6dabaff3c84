import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, Timestamp, type Db } from 'mongodb';
import { EMBEDDED, failure, startTarget, type Target } from './target';

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
    ["explain of 'distinct'", (d) => d.command({ explain: { distinct: 'items', key: 'a' } })],
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

describe.runIf(EMBEDDED)('what transactions still refuse (embedded store)', () => {
  it('a txnNumber on a command that is neither a transaction nor a retryable write is IllegalOperation (20)', async () => {
    const error = await failure(() => db.command({ find: 'items', filter: {}, txnNumber: Long.fromNumber(1_000_001) }));
    expect(error.code).toBe(20);
    expect(error.message).toContain("'find' is neither");
  });

  it('a snapshot read at a cluster time is refused, naming the option', async () => {
    const error = await failure(() =>
      db.command({ find: 'items', filter: {}, txnNumber: Long.fromNumber(1_000_000), autocommit: false, startTransaction: true, readConcern: { level: 'snapshot', atClusterTime: new Timestamp({ t: 1, i: 1 }) } }),
    );
    expect(error.code).toBe(72);
    expect(error.message).toContain('atClusterTime');
    expect(error.message).toContain('MONGODB_URI');
  });

  it('creating an index inside a transaction is refused with OperationNotSupportedInTransaction (263)', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      await db.collection('items').findOne({}, { session });
      const error = await failure(() => db.command({ createIndexes: 'items', indexes: [{ key: { b: 1 }, name: 'b_1' }] }, { session }));
      expect(error.code).toBe(263);
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
  });
});

describe.runIf(EMBEDDED)('credentials (embedded store, which has no users)', () => {
  it('connecting with a username and password fails with a clear message', async () => {
    const uri = target.uri.replace('mongodb://', 'mongodb://someone:secret@');
    const error = await failure(() => MongoClient.connect(uri, { serverSelectionTimeoutMS: 2000 }));
    expect(error.message).toMatch(/no authentication/);
  });
});
