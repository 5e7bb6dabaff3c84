import { Decimal128, Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { createEngine } from './index';

function city() {
  const engine = createEngine();
  engine.insert('db', 'pickups', [
    { _id: 1, kelurahan: 'Bandar', kg: 4, items: ['plastik', 'kertas'] },
    { _id: 2, kelurahan: 'Bandar', kg: 6, items: ['plastik'] },
    { _id: 3, kelurahan: 'Banjaran', kg: 10, items: [] },
    { _id: 4, kelurahan: 'Pakelan', kg: 1, items: ['logam'] },
  ], true);
  engine.insert('db', 'kelurahan', [
    { _id: 'Bandar', kecamatan: 'Mojoroto' },
    { _id: 'Banjaran', kecamatan: 'Kota' },
  ], true);
  return engine;
}

describe('aggregation', () => {
  it('groups, sorts, limits and counts', () => {
    const engine = city();
    expect(engine.aggregate('db', 'pickups', [
      { $group: { _id: '$kelurahan', total: { $sum: '$kg' }, n: { $sum: 1 }, avg: { $avg: '$kg' } } },
      { $sort: { total: -1 } },
      { $limit: 2 },
    ])).toEqual([
      { _id: 'Bandar', total: 10, n: 2, avg: 5 },
      { _id: 'Banjaran', total: 10, n: 1, avg: 10 },
    ]);
    expect(engine.aggregate('db', 'pickups', [{ $match: { kg: { $gte: 4 } } }, { $count: 'heavy' }])).toEqual([{ heavy: 3 }]);
    expect(engine.aggregate('db', 'pickups', [{ $skip: 3 }, { $project: { _id: 1 } }])).toEqual([{ _id: 4 }]);
  });

  it('groups by compound keys with $first, $last, $push, $addToSet, $min, $max and $count', () => {
    const engine = city();
    expect(engine.aggregate('db', 'pickups', [
      { $sort: { _id: 1 } },
      {
        $group: {
          _id: { k: '$kelurahan', heavy: '$heavy' },
          first: { $first: '$kg' },
          last: { $last: '$kg' },
          all: { $push: '$kg' },
          items: { $addToSet: '$items' },
          min: { $min: '$kg' },
          max: { $max: '$kg' },
          n: { $count: {} },
        },
      },
    ])).toEqual([
      { _id: { k: 'Bandar', heavy: null }, first: 4, last: 6, all: [4, 6], items: [['plastik', 'kertas'], ['plastik']], min: 4, max: 6, n: 2 },
      { _id: { k: 'Banjaran', heavy: null }, first: 10, last: 10, all: [10], items: [[]], min: 10, max: 10, n: 1 },
      { _id: { k: 'Pakelan', heavy: null }, first: 1, last: 1, all: [1], items: [['logam']], min: 1, max: 1, n: 1 },
    ]);
  });

  it('puts numerically equal group keys of different numeric types in one group', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ k: 5, v: 1 }, { k: Long.fromNumber(5), v: 2 }, { k: Decimal128.fromString('5.0'), v: 3 }, { k: 6, v: 4 }], true);
    expect(engine.aggregate('db', 'c', [{ $group: { _id: '$k', total: { $sum: '$v' } } }])).toEqual([{ _id: 5, total: 6 }, { _id: 6, total: 4 }]);
  });

  it('unwinds, looks up another collection and reshapes', () => {
    const engine = city();
    const rows = engine.aggregate('db', 'pickups', [
      { $unwind: '$items' },
      { $lookup: { from: 'kelurahan', localField: 'kelurahan', foreignField: '_id', as: 'k' } },
      { $unwind: { path: '$k', preserveNullAndEmptyArrays: true } },
      { $replaceRoot: { newRoot: { item: '$items', kecamatan: { $ifNull: ['$k.kecamatan', 'unknown'] } } } },
      { $sortByCount: '$kecamatan' },
    ]);
    expect(rows).toEqual([{ _id: 'Mojoroto', count: 3 }, { _id: 'unknown', count: 1 }]);
  });

  it('runs $facet, $bucket, $addFields, $unset and $replaceWith', () => {
    const engine = city();
    const [facets] = engine.aggregate('db', 'pickups', [
      { $addFields: { heavy: { $gte: ['$kg', 5] } } },
      { $unset: 'items' },
      {
        $facet: {
          heavy: [{ $match: { heavy: true } }, { $count: 'n' }],
          buckets: [{ $bucket: { groupBy: '$kg', boundaries: [0, 5, 100], default: 'other' } }],
          names: [{ $replaceWith: { name: '$kelurahan' } }, { $limit: 1 }],
        },
      },
    ]);
    expect(facets).toEqual({
      heavy: [{ n: 2 }],
      buckets: [{ _id: 0, count: 2 }, { _id: 5, count: 2 }],
      names: [{ name: 'Bandar' }],
    });
  });

  it('runs a database-level pipeline starting with $documents', () => {
    const engine = createEngine();
    expect(engine.aggregate('db', null, [{ $documents: [{ a: 1 }, { a: 2 }] }, { $match: { a: 2 } }])).toEqual([{ a: 2 }]);
  });

  it('refuses unknown and unsupported stages and operators by name', () => {
    const engine = city();
    expect(() => engine.aggregate('db', 'pickups', [{ $frobnicate: {} }])).toThrow(
      expect.objectContaining({ code: 40324, message: expect.stringContaining("Unrecognized pipeline stage name: '$frobnicate'") }),
    );
    expect(() => engine.aggregate('db', 'pickups', [{ $out: 'copy' }])).toThrow(expect.objectContaining({ code: 40324, message: expect.stringContaining('MONGODB_URI') }));
    expect(() => engine.aggregate('db', 'pickups', [{ $facet: { a: [{ $merge: 'x' }] } }])).toThrow(expect.objectContaining({ code: 40324 }));
    expect(() => engine.aggregate('db', 'pickups', [{ $project: { x: { $frob: 1 } } }])).toThrow(expect.objectContaining({ code: 2, message: expect.stringMatching(/\$frob.*MONGODB_URI/) }));
    expect(() => engine.aggregate('db', 'pickups', [{ $match: { kg: { $frob: 1 } } }])).toThrow(expect.objectContaining({ code: 2, message: 'unknown operator: $frob' }));
  });
});
