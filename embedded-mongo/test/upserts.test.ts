import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoClient, type Db } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let connection: Connection;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('upserts');
  connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
});

afterAll(async () => {
  await connection?.close();
  await client?.close();
  await target?.stop();
});

const sensorSchema = new Schema({
  code: String,
  district: String,
  readings: Number,
  installedBy: String,
  lastValue: Number,
});

describe('upserts through mongoose', () => {
  it('findOneAndUpdate seeds the new document from the query equalities and applies $setOnInsert', async () => {
    const Sensor = connection.model('Sensor', sensorSchema);
    const created = await Sensor.findOneAndUpdate(
      { code: 'S-1', district: 'Kota' },
      { $setOnInsert: { installedBy: 'dinas' }, $inc: { readings: 1 }, $set: { lastValue: 7.5 } },
      { upsert: true, new: true },
    ).lean();
    expect(created).toMatchObject({ code: 'S-1', district: 'Kota', installedBy: 'dinas', readings: 1, lastValue: 7.5 });

    const updated = await Sensor.findOneAndUpdate(
      { code: 'S-1', district: 'Kota' },
      { $setOnInsert: { installedBy: 'somebody else' }, $inc: { readings: 1 } },
      { upsert: true, new: true },
    ).lean();
    expect(updated).toMatchObject({ installedBy: 'dinas', readings: 2 });
    expect(String(updated!._id)).toBe(String(created!._id));
    expect(await Sensor.countDocuments({ code: 'S-1' })).toBe(1);
  });

  it('updateOne reports upsertedCount and upsertedId, then matched and modified counts', async () => {
    const Sensor = connection.models.Sensor;
    const first = await Sensor.updateOne({ code: 'S-2' }, { $set: { lastValue: 1.5 } }, { upsert: true });
    expect(first).toMatchObject({ acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
    expect(first.upsertedId).toBeTruthy();

    const second = await Sensor.updateOne({ code: 'S-2' }, { $set: { lastValue: 2.5 } }, { upsert: true });
    expect(second).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });

    const same = await Sensor.updateOne({ code: 'S-2' }, { $set: { lastValue: 2.5 } }, { upsert: true });
    expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0, upsertedCount: 0 });
  });
});

describe('upserts through the driver', () => {
  it('take _id and dotted equalities from the query, but not operator conditions', async () => {
    const collection = db.collection('seeded');
    await collection.updateOne(
      { _id: 'fixed-id' as never, 'owner.name': 'Ana', score: { $gt: 10 } },
      { $set: { active: true } },
      { upsert: true },
    );
    expect(await collection.findOne({ _id: 'fixed-id' as never })).toEqual({
      _id: 'fixed-id',
      owner: { name: 'Ana' },
      active: true,
    });
  });

  it('counts upserted ids per statement in a bulk write', async () => {
    const collection = db.collection('bulk_upserts');
    await collection.insertOne({ k: 'exists', v: 0 });
    const result = await collection.bulkWrite([
      { updateOne: { filter: { k: 'exists' }, update: { $set: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { k: 'new-1' }, update: { $set: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { k: 'new-2' }, update: { $set: { v: 1 } }, upsert: true } },
    ]);
    expect(result.matchedCount).toBe(1);
    expect(result.modifiedCount).toBe(1);
    expect(result.upsertedCount).toBe(2);
    expect(Object.keys(result.upsertedIds).map(Number)).toEqual([1, 2]);
  });

  it('refuses to change _id in an update', async () => {
    const collection = db.collection('immutable');
    await collection.insertOne({ _id: 1 as never, v: 1 });
    await expect(collection.updateOne({ _id: 1 as never }, { $set: { _id: 2 } })).rejects.toMatchObject({ code: 66 });
    expect(await collection.findOne({ _id: 1 as never })).toEqual({ _id: 1, v: 1 });
  });
});
