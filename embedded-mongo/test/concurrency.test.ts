import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;

beforeAll(async () => {
  target = await startTarget('concurrency');
});

afterAll(async () => {
  await target?.stop();
});

describe('many clients at once', () => {
  it('serves 50 clients in parallel, each writing and reading its own documents', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => MongoClient.connect(target.uri)));
    try {
      await Promise.all(
        clients.map(async (client, n) => {
          const collection = client.db(target.dbName).collection('shared');
          await collection.insertMany(Array.from({ length: 20 }, (_, i) => ({ client: n, i })));
          await collection.updateMany({ client: n }, { $inc: { i: 100 } });
          const mine = await collection.find({ client: n }, { batchSize: 3 }).sort({ i: 1 }).toArray();
          expect(mine.map((d) => d.i)).toEqual(Array.from({ length: 20 }, (_, i) => i + 100));
        }),
      );
      const total = await clients[0].db(target.dbName).collection('shared').countDocuments();
      expect(total).toBe(1000);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
