import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, type Collection } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let queue: Collection;

beforeAll(async () => {
  target = await startTarget('find_and_modify');
  client = await MongoClient.connect(target.uri);
  queue = client.db(target.dbName).collection('queue');
});

beforeEach(async () => {
  await queue.deleteMany({});
  await queue.insertMany([
    { _id: 1 as never, task: 'a', priority: 2, state: 'new' },
    { _id: 2 as never, task: 'b', priority: 5, state: 'new' },
    { _id: 3 as never, task: 'c', priority: 1, state: 'new' },
  ]);
});

afterAll(async () => {
  await client?.close();
  await target?.stop();
});

describe('findAndModify', () => {
  it('returns the document before the update by default, and after it with new', async () => {
    const before = await queue.findOneAndUpdate({ _id: 1 as never }, { $set: { state: 'taken' } });
    expect(before).toMatchObject({ _id: 1, state: 'new' });
    const after = await queue.findOneAndUpdate({ _id: 1 as never }, { $set: { state: 'done' } }, { returnDocument: 'after' });
    expect(after).toMatchObject({ _id: 1, state: 'done' });
  });

  it('picks the first document of the sort', async () => {
    const taken = await queue.findOneAndUpdate(
      { state: 'new' },
      { $set: { state: 'taken' } },
      { sort: { priority: -1 }, returnDocument: 'after' },
    );
    expect(taken).toMatchObject({ _id: 2, state: 'taken' });
  });

  it('projects the returned document with fields', async () => {
    const taken = await queue.findOneAndUpdate(
      { _id: 3 as never },
      { $inc: { priority: 10 } },
      { projection: { _id: 0, priority: 1 }, returnDocument: 'after' },
    );
    expect(taken).toEqual({ priority: 11 });
  });

  it('removes and returns the removed document', async () => {
    const removed = await queue.findOneAndDelete({ state: 'new' }, { sort: { priority: 1 } });
    expect(removed).toMatchObject({ _id: 3 });
    expect(await queue.countDocuments()).toBe(2);
  });

  it('upserts, reporting it in lastErrorObject', async () => {
    const result = await queue.findOneAndUpdate(
      { task: 'z' },
      { $set: { priority: 9 }, $setOnInsert: { state: 'new' } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(result.value).toMatchObject({ task: 'z', priority: 9, state: 'new' });
    expect(result.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(result.lastErrorObject?.upserted).toEqual(result.value!._id);
  });

  it('returns null when nothing matches and there is no upsert', async () => {
    expect(await queue.findOneAndUpdate({ task: 'none' }, { $set: { x: 1 } })).toBeNull();
    const result = await queue.findOneAndDelete({ task: 'none' }, { includeResultMetadata: true });
    expect(result.value).toBeNull();
    expect(result.lastErrorObject).toMatchObject({ n: 0 });
  });

  it('replaces a document', async () => {
    const replaced = await queue.findOneAndReplace({ _id: 1 as never }, { task: 'a2' }, { returnDocument: 'after' });
    expect(replaced).toEqual({ _id: 1, task: 'a2' });
  });

  it('rejects a command with both an update and remove', async () => {
    const db = client.db(target.dbName);
    await expect(
      db.command({ findAndModify: 'queue', query: {}, update: { $set: { x: 1 } }, remove: true }),
    ).rejects.toMatchObject({ code: expect.any(Number) });
  });
});
