import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let connection: Connection;

const citizenSchema = new Schema({
  nik: { type: String, required: true, unique: true },
  name: String,
  district: String,
  houseNumber: Number,
});
// Two people can share a district or a house number, but not both.
citizenSchema.index({ district: 1, houseNumber: 1 }, { unique: true });

beforeAll(async () => {
  target = await startTarget('unique');
  connection = await mongoose.createConnection(target.uri, { dbName: target.dbName, autoIndex: false }).asPromise();
});

afterAll(async () => {
  await connection?.close();
  await target?.stop();
});

/** mongoose re-wraps each bulk write error as `{ err, index }`; the driver's own WriteError exposes getters. */
function writeErrorsOf(error: MongoBulkWriteError): { index: number; code: number; errmsg: string }[] {
  const list = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return list.map((item) => {
    const raw = (item as unknown as { err?: { index: number; code: number; errmsg: string } }).err ?? item;
    return { index: item.index, code: raw.code, errmsg: raw.errmsg ?? '' };
  });
}

function citizens() {
  return connection.models.Citizen ?? connection.model('Citizen', citizenSchema);
}

describe('indexes built by mongoose', () => {
  it('are created by Model.init and listed with their options', async () => {
    const Citizen = citizens();
    await Citizen.init();
    await Citizen.createIndexes();
    const indexes = await Citizen.collection.indexes();
    const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
    expect(byName._id_.key).toEqual({ _id: 1 });
    expect(byName.nik_1).toMatchObject({ key: { nik: 1 }, unique: true });
    expect(byName.district_1_houseNumber_1).toMatchObject({ key: { district: 1, houseNumber: 1 }, unique: true });
  });

  it('are reconciled by syncIndexes, which drops an index the schema no longer has', async () => {
    const Citizen = citizens();
    await Citizen.collection.createIndex({ name: 1 });
    const dropped = await Citizen.syncIndexes();
    expect(dropped).toEqual(['name_1']);
    const names = (await Citizen.collection.indexes()).map((index) => index.name).sort();
    expect(names).toEqual(['_id_', 'district_1_houseNumber_1', 'nik_1']);
  });
});

describe('a unique index', () => {
  it('refuses a duplicate on insert with E11000, keyPattern and keyValue', async () => {
    const Citizen = citizens();
    await Citizen.init();
    await Citizen.create({ nik: '3571-01', name: 'Ana', district: 'Mojoroto', houseNumber: 1 });
    const error = await Citizen.create({ nik: '3571-01', name: 'Copy', district: 'Kota', houseNumber: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 11000, keyPattern: { nik: 1 }, keyValue: { nik: '3571-01' } });
    expect((error as Error).message).toMatch(/E11000 duplicate key error/);
    expect(await Citizen.countDocuments({ nik: '3571-01' })).toBe(1);
  });

  it('refuses a duplicate of a compound key, and accepts a half-equal one', async () => {
    const Citizen = citizens();
    await Citizen.create({ nik: '3571-02', district: 'Pesantren', houseNumber: 7 });
    await Citizen.create({ nik: '3571-03', district: 'Pesantren', houseNumber: 8 });
    const error = await Citizen.create({ nik: '3571-04', district: 'Pesantren', houseNumber: 7 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 11000,
      keyPattern: { district: 1, houseNumber: 1 },
      keyValue: { district: 'Pesantren', houseNumber: 7 },
    });
  });

  it('refuses an update that would create a duplicate, leaving the document unchanged', async () => {
    const Citizen = citizens();
    await Citizen.create({ nik: '3571-10', district: 'Kota', houseNumber: 10 });
    const error = await Citizen.updateOne({ nik: '3571-10' }, { $set: { nik: '3571-01' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000, keyValue: { nik: '3571-01' } });
    expect(await Citizen.countDocuments({ nik: '3571-10' })).toBe(1);
  });

  it('refuses an upsert that would create a duplicate', async () => {
    const Citizen = citizens();
    const error = await Citizen.updateOne(
      { nik: 'not-there' },
      { $set: { district: 'Kota', houseNumber: 10 } },
      { upsert: true },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000, keyPattern: { district: 1, houseNumber: 1 } });
    expect(await Citizen.countDocuments({ nik: 'not-there' })).toBe(0);
  });
});

describe('insertMany with duplicates', () => {
  const batch = () => [
    { nik: 'b-1', district: 'Batch', houseNumber: 1 },
    { nik: 'b-1', district: 'Batch', houseNumber: 2 },
    { nik: 'b-3', district: 'Batch', houseNumber: 3 },
  ];

  it('stops at the first error when ordered', async () => {
    const Citizen = citizens();
    await Citizen.deleteMany({ district: 'Batch' });
    const error = await Citizen.insertMany(batch(), { ordered: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(writeErrorsOf(bulk).map((e) => [e.index, e.code])).toEqual([[1, 11000]]);
    expect(bulk.result.insertedCount).toBe(1);
    expect(await Citizen.countDocuments({ district: 'Batch' })).toBe(1);
  });

  it('goes on past errors when unordered', async () => {
    const Citizen = citizens();
    await Citizen.deleteMany({ district: 'Batch' });
    const error = await Citizen.insertMany(batch(), { ordered: false }).catch((e: unknown) => e);
    const bulk = error as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    const writeErrors = writeErrorsOf(bulk);
    expect(writeErrors.map((e) => [e.index, e.code])).toEqual([[1, 11000]]);
    // The driver keeps only index, code and errmsg of each bulk write error; the message names the key.
    expect(writeErrors[0].errmsg).toMatch(/E11000 duplicate key error.*b-1/);
    expect((await Citizen.find({ district: 'Batch' }).sort({ houseNumber: 1 }).lean()).map((c) => c.houseNumber)).toEqual([1, 3]);
  });

  it('reports every failure of an unordered batch through the raw driver', async () => {
    const collection = connection.db!.collection('raw_unique');
    await collection.createIndex({ code: 1 }, { unique: true });
    const error = (await collection
      .insertMany([{ code: 'a' }, { code: 'a' }, { code: 'b' }, { code: 'b' }, { code: 'c' }], { ordered: false })
      .catch((e: unknown) => e)) as MongoBulkWriteError;
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    expect(error.result.insertedCount).toBe(3);
    expect(writeErrorsOf(error).map((e) => [e.index, e.code])).toEqual([
      [1, 11000],
      [3, 11000],
    ]);
  });
});
