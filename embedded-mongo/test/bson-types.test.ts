import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, Types, type Connection } from 'mongoose';
import { Decimal128, Double, Int32, Long, MongoClient, ObjectId, type Db } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;
let connection: Connection;

beforeAll(async () => {
  target = await startTarget('bson_types');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
});

afterAll(async () => {
  await connection?.close();
  await client?.close();
  await target?.stop();
});

describe('values round-trip exactly', () => {
  it('keeps ObjectId, Date, Decimal128, Long, int32, doubles and nested arrays', async () => {
    const original = {
      _id: new ObjectId(),
      when: new Date('2024-02-29T12:34:56.789Z'),
      price: Decimal128.fromString('12345678901234567890.123456789'),
      big: Long.fromString('9007199254740993'),
      small: 42,
      ratio: 0.1 + 0.2,
      huge: 1.7976931348623157e308,
      negative: -2.5e-300,
      nested: [[1, 2, [3]], { inner: [new Date(0), 'x', null, true] }],
    };
    await db.collection('roundtrip').insertOne(original);
    const raw = await db.collection('roundtrip').findOne({ _id: original._id }, { promoteLongs: false, promoteValues: false });
    expect(raw!._id.equals(original._id)).toBe(true);
    expect(raw!.when).toEqual(original.when);
    expect(raw!.price).toBeInstanceOf(Decimal128);
    expect(raw!.price.toString()).toBe('12345678901234567890.123456789');
    expect(raw!.big).toBeInstanceOf(Long);
    expect(raw!.big.toString()).toBe('9007199254740993');
    expect(raw!.small).toBeInstanceOf(Int32);
    expect(raw!.small.value).toBe(42);
    expect(raw!.ratio).toBeInstanceOf(Double);
    expect(raw!.ratio.value).toBe(0.1 + 0.2);
    expect(raw!.huge.value).toBe(1.7976931348623157e308);
    expect(raw!.negative.value).toBe(-2.5e-300);

    const promoted = await db.collection('roundtrip').findOne({ _id: original._id });
    expect(promoted!.nested).toEqual(original.nested);
  });

  it('finds by ObjectId, Date range and Long equality', async () => {
    const collection = db.collection('lookups');
    const id = new ObjectId();
    await collection.insertMany([
      { _id: id, at: new Date('2024-01-01'), counter: Long.fromString('9007199254740993') },
      { at: new Date('2025-01-01'), counter: Long.fromString('9007199254740995') },
    ]);
    expect(await collection.countDocuments({ _id: id })).toBe(1);
    expect(await collection.countDocuments({ at: { $gte: new Date('2024-06-01') } })).toBe(1);
    expect(await collection.countDocuments({ counter: Long.fromString('9007199254740993') })).toBe(1);
  });
});

describe('Decimal128 and Long are numbers, not strings', () => {
  it('sorts Decimal128 numerically', async () => {
    const collection = db.collection('decimals');
    await collection.insertMany(['9.5', '10.25', '100', '-3', '2.000001'].map((v) => ({ v: Decimal128.fromString(v) })));
    const sorted = await collection.find({}, { projection: { _id: 0 } }).sort({ v: 1 }).toArray();
    expect(sorted.map((d) => d.v.toString())).toEqual(['-3', '2.000001', '9.5', '10.25', '100']);
    expect(await collection.countDocuments({ v: { $gt: Decimal128.fromString('9.75') } })).toBe(2);
  });

  it('increments Decimal128 exactly', async () => {
    const collection = db.collection('decimal_inc');
    await collection.insertOne({ _id: 'd' as never, balance: Decimal128.fromString('0.1') });
    await collection.updateOne({ _id: 'd' as never }, { $inc: { balance: Decimal128.fromString('0.2') } });
    const doc = await collection.findOne({ _id: 'd' as never });
    expect(doc!.balance).toBeInstanceOf(Decimal128);
    expect(Number(doc!.balance.toString())).toBe(0.3);
  });

  it('sorts and increments Long numerically beyond 2^53', async () => {
    const collection = db.collection('longs');
    await collection.insertMany(['9007199254740993', '12', '-9007199254740999', '100'].map((v) => ({ v: Long.fromString(v) })));
    const sorted = await collection.find({}, { promoteLongs: false, projection: { _id: 0 } }).sort({ v: -1 }).toArray();
    expect(sorted.map((d) => d.v.toString())).toEqual(['9007199254740993', '100', '12', '-9007199254740999']);

    await collection.updateOne({ v: Long.fromString('9007199254740993') }, { $inc: { v: Long.fromNumber(2) } });
    const bumped = await collection.findOne({ v: Long.fromString('9007199254740995') }, { promoteLongs: false });
    expect(bumped).not.toBeNull();
    expect(bumped!.v).toBeInstanceOf(Long);
  });
});

describe('a mongoose schema with Decimal128 and Number', () => {
  it('stores and reads both, and sums Decimal128 in a pipeline', async () => {
    const Fee = connection.model(
      'Fee',
      new Schema({ label: String, amount: Schema.Types.Decimal128, count: Number, issuedAt: Date }),
    );
    await Fee.create([
      { label: 'a', amount: '10.10', count: 3, issuedAt: new Date('2024-03-01') },
      { label: 'b', amount: '0.20', count: 4.5, issuedAt: new Date('2024-03-02') },
    ]);
    const a = await Fee.findOne({ label: 'a' });
    expect(a!.amount).toBeInstanceOf(Types.Decimal128);
    expect(a!.amount!.toString()).toBe('10.10');
    expect(a!.count).toBe(3);
    const [total] = await Fee.aggregate([{ $group: { _id: null, amount: { $sum: '$amount' }, count: { $sum: '$count' } } }]);
    expect(total.amount.toString()).toMatch(/^10\.30*$/);
    expect(total.count).toBe(7.5);
    const expensive = await Fee.find({ amount: { $gt: 1 } }).lean();
    expect(expensive.map((fee) => fee.label)).toEqual(['a']);
  });
});
