import { Decimal128, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { createEngine } from './index';

function seeded() {
  const engine = createEngine();
  engine.insert('db', 'n', [
    { _id: 1, v: Long.fromString('-5') },
    { _id: 2, v: Decimal128.fromString('10.5') },
    { _id: 3, v: 2.25 },
    { _id: 4, v: Decimal128.fromString('9') },
    { _id: 5, v: Long.fromString('100') },
    { _id: 6, v: 'text' },
    { _id: 7 },
    { _id: 8, v: null },
  ], true);
  return engine;
}

const ids = (docs: { _id?: unknown }[]) => docs.map((d) => d._id);

describe('numeric comparison across int, double, Long and Decimal128', () => {
  it('compares by value in range queries and stays inside the number bracket', () => {
    const engine = seeded();
    expect(ids(engine.find('db', 'n', { filter: { v: { $gt: 9 } } }))).toEqual([2, 5]);
    expect(ids(engine.find('db', 'n', { filter: { v: { $gte: Decimal128.fromString('9.0') } } }))).toEqual([2, 4, 5]);
    expect(ids(engine.find('db', 'n', { filter: { v: { $lt: Long.fromNumber(0) } } }))).toEqual([1]);
    expect(ids(engine.find('db', 'n', { filter: { v: { $lte: 'zzz' } } }))).toEqual([6]);
  });

  it('matches equal values of different numeric types with $eq and $in', () => {
    const engine = seeded();
    expect(ids(engine.find('db', 'n', { filter: { v: 9 } }))).toEqual([4]);
    expect(ids(engine.find('db', 'n', { filter: { v: { $in: [-5, 100, Decimal128.fromString('2.25')] } } }))).toEqual([1, 3, 5]);
    expect(ids(engine.find('db', 'n', { filter: { v: { $nin: [-5, 100, null] } } }))).toEqual([2, 3, 4, 6]);
    expect(ids(engine.find('db', 'n', { filter: { v: null } }))).toEqual([7, 8]);
  });

  it('sorts by BSON type order, numbers by value, missing as null', () => {
    const engine = seeded();
    expect(ids(engine.find('db', 'n', { sort: { v: 1, _id: 1 } }))).toEqual([7, 8, 1, 3, 4, 2, 5, 6]);
    expect(ids(engine.find('db', 'n', { sort: { v: -1, _id: 1 } }))).toEqual([6, 5, 2, 4, 3, 1, 7, 8]);
    expect(ids(engine.aggregate('db', 'n', [{ $match: { v: { $type: 'number' } } }, { $sort: { v: -1 } }]))).toEqual([5, 2, 4, 3, 1]);
  });

  it('sums Decimal128 exactly in $group', () => {
    const engine = createEngine();
    engine.insert('db', 'pay', [0.1, 0.2, 0.3].map((_, i) => ({ amount: Decimal128.fromString(['0.10', '0.20', '0.30'][i]) })), true);
    const [total] = engine.aggregate('db', 'pay', [{ $group: { _id: null, total: { $sum: '$amount' }, max: { $max: '$amount' } } }]);
    expect(String(total.total)).toBe('0.60');
    expect(String(total.max)).toBe('0.30');
  });
});

describe('queries', () => {
  it('round-trips ObjectId, Date, Decimal128, Long and doubles unchanged', () => {
    const engine = createEngine();
    const doc = {
      _id: new ObjectId(),
      at: new Date('2024-05-01T00:00:00Z'),
      d: Decimal128.fromString('1234.5600'),
      l: Long.fromString('9223372036854775807'),
      x: 0.1,
      big: 1e300,
      nested: { list: [1, 'two', { three: 3 }] },
    };
    engine.insert('db', 'c', [doc], true);
    const [found] = engine.find('db', 'c', { filter: { _id: new ObjectId(doc._id.toHexString()) } });
    expect(found).toEqual(doc);
    expect(String(found.d)).toBe('1234.5600');
    expect(String(found.l)).toBe('9223372036854775807');
  });

  it('matches dotted paths and array elements as MongoDB does', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [
      { _id: 1, items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 5 }], tags: ['x', 'y'] },
      { _id: 2, items: [{ sku: 'a', qty: 7 }], tags: ['z'] },
    ], true);
    expect(ids(engine.find('db', 'c', { filter: { 'items.sku': 'b' } }))).toEqual([1]);
    expect(ids(engine.find('db', 'c', { filter: { tags: 'z' } }))).toEqual([2]);
    expect(ids(engine.find('db', 'c', { filter: { items: { $elemMatch: { sku: 'a', qty: { $gt: 3 } } } } }))).toEqual([2]);
    expect(ids(engine.find('db', 'c', { filter: { 'items.qty': { $gt: 4 } } }))).toEqual([1, 2]);
    expect(ids(engine.find('db', 'c', { filter: { $or: [{ tags: 'x' }, { 'items.qty': 7 }] } }))).toEqual([1, 2]);
  });

  it('applies projection, skip and limit', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [1, 2, 3, 4].map((n) => ({ _id: n, a: { b: n, c: 'x' }, list: [1, 2, 3] })), true);
    expect(engine.find('db', 'c', { sort: { _id: -1 }, skip: 1, limit: 2, projection: { 'a.b': 1, _id: 0 } })).toEqual([{ a: { b: 3 } }, { a: { b: 2 } }]);
    expect(engine.find('db', 'c', { filter: { _id: 1 }, projection: { a: 0 } })).toEqual([{ _id: 1, list: [1, 2, 3] }]);
    expect(engine.find('db', 'c', { filter: { _id: 1 }, projection: { list: { $slice: 2 } } })).toEqual([{ _id: 1, a: { b: 1, c: 'x' }, list: [1, 2] }]);
    expect(engine.count('db', 'c', { _id: { $gt: 1 } }, 1, 1)).toBe(1);
  });

  it('refuses unknown and unsupported operators by name', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ a: 1 }], true);
    expect(() => engine.find('db', 'c', { filter: { a: { $frob: 1 } } })).toThrow(expect.objectContaining({ code: 2, message: 'unknown operator: $frob' }));
    expect(() => engine.find('db', 'c', { filter: { $frob: 1 } })).toThrow(expect.objectContaining({ code: 2, message: 'unknown top level operator: $frob' }));
    expect(() => engine.find('db', 'c', { filter: { $text: { $search: 'x' } } })).toThrow(expect.objectContaining({ code: 2, message: expect.stringContaining('MONGODB_URI') }));
    expect(() => engine.find('db', 'missing', { filter: { a: { $frob: 1 } } })).toThrow(expect.objectContaining({ code: 2 }));
  });

  it('refuses an unknown operator beside conditions an index answers exactly, and answers those alone without one', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { a: 1, b: 1 }, name: 'a_1_b_1' }]);
    engine.insert('db', 'c', [1, 2, 3].map((n) => ({ _id: n, a: n % 2, b: n })), true);
    expect(() => engine.find('db', 'c', { filter: { a: 1, b: { $frob: 1 } } })).toThrow(expect.objectContaining({ code: 2, message: 'unknown operator: $frob' }));
    expect(() => engine.find('db', 'c', { filter: { a: 1, c: { $frob: 1 } } })).toThrow(expect.objectContaining({ code: 2, message: 'unknown operator: $frob' }));
    expect(() => engine.find('db', 'c', { filter: { a: { $in: [1] }, $frob: 1 } })).toThrow(expect.objectContaining({ code: 2, message: 'unknown top level operator: $frob' }));
    expect(ids(engine.find('db', 'c', { filter: { a: 1, b: { $gte: 2, $lte: 3 } } }))).toEqual([3]);
    expect(ids(engine.find('db', 'c', { filter: { a: { $in: [0, 1] } } }))).toEqual([1, 2, 3]);
  });

  it('returns distinct values across arrays, deduplicated by value', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ t: ['a', 'b'] }, { t: 'a' }, { t: 3 }, { t: Long.fromNumber(3) }, {}], true);
    expect(engine.distinct('db', 'c', 't')).toEqual([3, 'a', 'b']);
  });
});
