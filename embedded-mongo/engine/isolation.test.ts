import { describe, expect, it } from 'vitest';
import { createEngine } from './index';

function seeded() {
  const engine = createEngine();
  engine.insert('db', 'orders', [
    { _id: 1, customer: 'c1', items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }], meta: { tags: ['x'] } },
    { _id: 2, customer: 'c2', items: [{ sku: 'a', qty: 3 }], meta: { tags: [] } },
  ], true);
  engine.insert('db', 'customers', [{ _id: 'c1', name: 'Sri' }, { _id: 'c2', name: 'Budi' }], true);
  return engine;
}

const snapshot = (engine: ReturnType<typeof createEngine>) => JSON.stringify([engine.find('db', 'orders', {}), engine.find('db', 'customers', {})]);

describe('stored documents are never changed by reads', () => {
  it('returns copies from find that callers may mutate freely', () => {
    const engine = seeded();
    const before = snapshot(engine);
    const [doc] = engine.find('db', 'orders', { filter: { _id: 1 } });
    (doc.items as { qty: number }[])[0].qty = 99;
    (doc.meta as { tags: string[] }).tags.push('mutated');
    doc.customer = 'changed';
    expect(snapshot(engine)).toBe(before);
  });

  it('keeps stored documents intact through $unwind, $addFields, $set, $project and $lookup', () => {
    const engine = seeded();
    const before = snapshot(engine);
    const results = engine.aggregate('db', 'orders', [
      { $unwind: '$items' },
      { $addFields: { 'items.total': { $multiply: ['$items.qty', 10] }, 'meta.seen': true } },
      { $set: { customer: { $toUpper: '$customer' } } },
      { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'who' } },
      { $project: { items: 1, meta: 1, who: 1 } },
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ _id: 1, items: { sku: 'a', qty: 1, total: 10 }, meta: { tags: ['x'], seen: true } });
    for (const result of results) {
      (result.items as Record<string, unknown>).qty = -1;
      (result.meta as { tags: string[] }).tags.push('mutated');
    }
    expect(snapshot(engine)).toBe(before);
  });

  it('keeps stored documents intact when the caller mutates aggregation output from read-only stages', () => {
    const engine = seeded();
    const before = snapshot(engine);
    const [group] = engine.aggregate('db', 'orders', [{ $group: { _id: null, all: { $push: '$$ROOT' } } }]);
    (group.all as { items: unknown[] }[])[0].items.length = 0;
    const [projected] = engine.aggregate('db', 'orders', [{ $match: { _id: 1 } }, { $project: { items: 1 } }]);
    (projected.items as { qty: number }[])[0].qty = 1000;
    expect(snapshot(engine)).toBe(before);
  });

  it('does not keep references to inserted or update documents', () => {
    const engine = createEngine();
    const doc = { _id: 1, list: [1, 2] };
    engine.insert('db', 'c', [doc], true);
    doc.list.push(3);
    const value = { nested: [1] };
    engine.update('db', 'c', [{ q: { _id: 1 }, u: { $set: { value } } }], true);
    value.nested.push(2);
    expect(engine.find('db', 'c', {})).toEqual([{ _id: 1, list: [1, 2], value: { nested: [1] } }]);
  });
});

describe('shared results (findShared, aggregateShared) never change stored data', () => {
  const projections = [
    { 'meta.tags': 0 },
    { 'items.qty': 0, customer: 0 },
    { meta: { tags: 0 } },
    { items: { $slice: 1 } },
    { 'meta.tags': { $slice: -1 } },
    { items: { $elemMatch: { sku: 'a' } } },
    { 'items.sku': 1, 'meta.tags': 1 },
    { customer: 1, first: { $arrayElemAt: ['$items', 0] } },
  ];

  it.each(projections.map((projection) => [JSON.stringify(projection), projection]))('find with projection %s', (_, projection) => {
    const engine = seeded();
    const before = snapshot(engine);
    const shared = engine.findShared('db', 'orders', { projection });
    const copies = engine.find('db', 'orders', { projection });
    expect(JSON.stringify(shared)).toBe(JSON.stringify(copies));
    expect(snapshot(engine)).toBe(before);
  });

  const pipelines: Record<string, object[]> = {
    'unwind then nested addFields': [{ $unwind: '$items' }, { $addFields: { 'items.total': { $multiply: ['$items.qty', 2] } } }],
    'unwind with an index field': [{ $unwind: { path: '$items', includeArrayIndex: 'i' } }, { $set: { 'items.i': '$i' } }],
    'unwind keeping empty arrays': [{ $unwind: { path: '$meta.tags', preserveNullAndEmptyArrays: true } }],
    'dotted exclusion': [{ $project: { 'meta.tags': 0 } }],
    'dotted $unset': [{ $unset: 'meta.tags' }],
    'lookup then edit the joined documents': [
      { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'who' } },
      { $unwind: '$who' },
      { $set: { 'who.name': 'changed', 'meta.tags': ['changed'] } },
    ],
    'lookup with an editing pipeline': [{ $lookup: { from: 'customers', pipeline: [{ $set: { name: 'changed' } }], as: 'who' } }],
    'replaceRoot then edit': [{ $replaceRoot: { newRoot: '$meta' } }, { $set: { tags: ['changed'] } }],
    'group of whole documents then edit': [
      { $group: { _id: null, all: { $push: '$$ROOT' } } },
      { $unwind: '$all' },
      { $set: { 'all.customer': 'changed' } },
    ],
    'facet that edits': [{ $facet: { a: [{ $set: { 'meta.tags': [] } }], b: [{ $unwind: '$items' }, { $set: { 'items.qty': 0 } }] } }],
    'match and sort only': [{ $match: { customer: 'c1' } }, { $sort: { _id: -1 } }],
    'top-level addFields sharing a stored array, then edits': [
      { $addFields: { list: '$items', tags: '$meta.tags' } },
      { $set: { n: { $size: '$list' } } },
      { $unwind: '$list' },
      { $set: { 'list.qty': 0, 'meta.tags': ['changed'] } },
    ],
  };

  it.each(Object.entries(pipelines))('aggregate: %s', (_, pipeline) => {
    const engine = seeded();
    const before = snapshot(engine);
    const shared = engine.aggregateShared('db', 'orders', pipeline as never);
    const copies = engine.aggregate('db', 'orders', pipeline as never);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(copies));
    expect(snapshot(engine)).toBe(before);
  });

  it('stores handed-over documents without copying them, and copies otherwise', () => {
    const engine = createEngine();
    const handed = { _id: 1, list: [1] };
    const copied = { _id: 2, list: [2] };
    engine.insert('db', 'c', [handed], true, true);
    engine.insert('db', 'c', [copied], true);
    const [first, second] = engine.findShared('db', 'c', {});
    expect(first).toBe(handed);
    expect(second).not.toBe(copied);
    expect(second).toEqual(copied);
  });
});
