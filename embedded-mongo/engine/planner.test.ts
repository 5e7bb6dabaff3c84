import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { createEngine } from './index';
import { withLevers } from './levers';

function members(count: number) {
  const engine = createEngine();
  const docs = Array.from({ length: count }, (_, i) => ({ _id: new ObjectId(), code: `M${i}`, kelurahan: `K${i % 46}`, kg: i % 17 }));
  engine.insert('db', 'members', docs, true);
  engine.createIndexes('db', 'members', [{ key: { code: 1 } }, { key: { kelurahan: 1, kg: 1 } }]);
  return { engine, docs };
}

describe('index use', () => {
  it('answers _id equality and $in over _ids by lookup, examining only the matches', () => {
    const { engine, docs } = members(5000);
    const wanted = docs.filter((_, i) => i % 50 === 0).map((d) => new ObjectId(d._id.toHexString()));
    const found = engine.find('db', 'members', { filter: { _id: { $in: wanted } } });
    expect(found.map((d) => String(d._id))).toEqual(wanted.map(String));
    expect(engine.lastPlan).toEqual({ index: '_id_', docsExamined: 100 });
    engine.find('db', 'members', { filter: { _id: docs[7]._id, kg: docs[7].kg } });
    expect(engine.lastPlan).toEqual({ index: '_id_', docsExamined: 1 });
  });

  it('uses a secondary index for equality on its first field, and the filter still decides', () => {
    const { engine } = members(4600);
    expect(engine.find('db', 'members', { filter: { code: 'M42' } }).map((d) => d.kg)).toEqual([42 % 17]);
    expect(engine.lastPlan).toEqual({ index: 'code_1', docsExamined: 1 });
    // One interval per kelurahan, each narrowed by the range on kg: only the matches are examined.
    const found = engine.find('db', 'members', { filter: { kelurahan: { $in: ['K1', 'K2'] }, kg: { $gt: 10 } } });
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1_kg_1', docsExamined: found.length });
    expect(found).toHaveLength(70);
    expect(found.every((d) => (d.kg as number) > 10 && ['K1', 'K2'].includes(d.kelurahan as string))).toBe(true);
    // Without the $in bounds, the walk is a lookup of both kelurahan and every one of their documents is examined.
    withLevers({ indexBounds: false }, () => engine.find('db', 'members', { filter: { kelurahan: { $in: ['K1', 'K2'] }, kg: { $gt: 10 } } }));
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1_kg_1', docsExamined: 200 });
  });

  it('scans when no index applies or when hinted to with $natural, with the same result', () => {
    const { engine } = members(1000);
    const indexed = engine.find('db', 'members', { filter: { code: 'M7' } });
    const scanned = engine.find('db', 'members', { filter: { code: 'M7' }, hint: { $natural: 1 } });
    expect(engine.lastPlan).toEqual({ index: null, docsExamined: 1000 });
    expect(scanned).toEqual(indexed);
    engine.find('db', 'members', { filter: { kg: 3 } });
    expect(engine.lastPlan).toEqual({ index: null, docsExamined: 1000 });
    expect(() => engine.find('db', 'members', { filter: {}, hint: 'nope_1' })).toThrow(expect.objectContaining({ code: 2 }));
  });

  it('uses the index for a leading $match in a pipeline and for updates', () => {
    const { engine } = members(1000);
    const [row] = engine.aggregate('db', 'members', [{ $match: { code: 'M9' } }, { $project: { _id: 0, code: 1 } }]);
    expect(row).toEqual({ code: 'M9' });
    expect(engine.lastPlan).toEqual({ index: 'code_1', docsExamined: 1 });
    engine.update('db', 'members', [{ q: { code: 'M10' }, u: { $set: { kg: 100 } } }], true);
    expect(engine.lastPlan).toEqual({ index: 'code_1', docsExamined: 1 });
    expect(engine.find('db', 'members', { filter: { kg: 100 } }).map((d) => d.code)).toEqual(['M10']);
  });

  it('keeps indexes in step with updates and deletes', () => {
    const { engine } = members(100);
    engine.update('db', 'members', [{ q: { code: 'M1' }, u: { $set: { code: 'X1' } } }], true);
    expect(engine.find('db', 'members', { filter: { code: 'M1' } })).toEqual([]);
    expect(engine.find('db', 'members', { filter: { code: 'X1' } })).toHaveLength(1);
    engine.delete('db', 'members', [{ q: { code: 'X1' }, limit: 1 }], true);
    expect(engine.find('db', 'members', { filter: { code: 'X1' } })).toEqual([]);
    expect(engine.lastPlan.docsExamined).toBe(0);
  });

  it('matches $in over ObjectIds by value when scanning 50,000 documents', () => {
    const { engine, docs } = members(50_000);
    const wanted = docs.filter((_, i) => i % 50 === 0).map((d) => new ObjectId(d._id.toHexString()));
    const scanned = engine.find('db', 'members', { filter: { _id: { $in: wanted } }, hint: { $natural: 1 } });
    expect(engine.lastPlan).toEqual({ index: null, docsExamined: 50_000 });
    expect(scanned.map((d) => String(d._id))).toEqual(wanted.map(String));
  });
});

describe('aggregate index use and whole-collection deletes', () => {
  it('answers a leading $match by index, or by a scan when hinted with $natural, with the same result', () => {
    const { engine } = members(4600);
    const pipeline = [{ $match: { kelurahan: 'K3' } }, { $group: { _id: '$kg', n: { $sum: 1 } } }, { $sort: { _id: 1 } }];
    const indexed = engine.aggregate('db', 'members', pipeline);
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1_kg_1', docsExamined: 100 });
    const scanned = engine.aggregate('db', 'members', pipeline, { hint: { $natural: 1 } });
    expect(engine.lastPlan).toEqual({ index: null, docsExamined: 4600 });
    expect(scanned).toEqual(indexed);
    expect(() => engine.aggregate('db', 'members', pipeline, { hint: 'no_such_index' })).toThrow(/hint provided does not correspond to an existing index/);
    expect(() => engine.aggregate('db', 'members', [{ $count: 'n' }], { hint: 'no_such_index' })).toThrow(/hint provided/);
  });

  it('empties every index when a delete removes the whole collection', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { code: 1 }, unique: true }, { key: { k: 1 } }]);
    const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ code: `C${i}`, k: i % 3 }));
    engine.insert('db', 'c', docs(30), true);
    expect(engine.delete('db', 'c', [{ q: {}, limit: 0 }], true).n).toBe(30);
    expect(engine.find('db', 'c', { filter: { k: 1 } })).toEqual([]);
    expect(engine.insert('db', 'c', docs(6), true)).toEqual({ n: 6, writeErrors: [] });
    expect(engine.find('db', 'c', { filter: { k: 1 } }).map((d) => d.code)).toEqual(['C1', 'C4']);
    expect(engine.insert('db', 'c', [{ code: 'C2' }], true).writeErrors[0]?.code).toBe(11000);
  });
});

describe('ordered index walks', () => {
  it('serve an equality prefix with a range and a sort from a compound index, stopping at the limit', () => {
    const { engine, docs } = members(4600);
    engine.createIndexes('db', 'members', [{ key: { kelurahan: 1, _id: 1 } }]);
    const inK5 = docs.filter((d) => d.kelurahan === 'K5').sort((a, b) => a._id.toHexString().localeCompare(b._id.toHexString()));
    const page = engine.find('db', 'members', { filter: { kelurahan: 'K5', _id: { $gt: inK5[10]._id } }, sort: { _id: 1 }, limit: 21 });
    expect(page.map((d) => String(d._id))).toEqual(inK5.slice(11, 32).map((d) => String(d._id)));
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1__id_1', docsExamined: 21 });
    expect(engine.lastReport).toMatchObject({ sortInMemory: null, keysExamined: 21, access: { method: 'range', direction: 'forward' } });
  });

  it('return what a collection scan and an in-memory sort return, for random filters and sorts', () => {
    let state = 42;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
    const engine = createEngine();
    const value = () => pick<unknown>([1, 2, 3, 4, 5, null, undefined, 'x', 'y', 2.5]);
    engine.insert('db', 'c', Array.from({ length: 600 }, (_, i) => {
      const doc: Record<string, unknown> = { _id: i, a: value(), b: value(), c: i % 7 };
      if (doc.a === undefined) delete doc.a;
      if (doc.b === undefined) delete doc.b;
      return doc;
    }), true);
    engine.createIndexes('db', 'c', [{ key: { a: 1, b: -1 } }, { key: { b: 1 } }, { key: { c: 1, _id: -1 } }]);
    const filters = [{}, { a: 2 }, { a: 2, b: { $gt: 2 } }, { b: { $gte: 2, $lt: 5 } }, { c: 3, _id: { $lt: 300 } }, { a: { $in: [1, 'x'] } }, { b: 'y' }, { c: 1 }];
    const sorts = [undefined, { a: 1 }, { b: -1 }, { a: 1, b: -1 }, { a: -1, b: 1 }, { _id: -1 }, { c: 1, _id: -1 }, { b: 1, _id: 1 }];
    for (let t = 0; t < 300; t++) {
      const options = { filter: pick(filters) as Record<string, unknown>, sort: pick(sorts), skip: pick([0, 0, 3]), limit: pick([0, 1, 7, 50]) };
      const planned = engine.find('db', 'c', options);
      const scanned = engine.find('db', 'c', { ...options, hint: { $natural: 1 } });
      const every = new Set(engine.find('db', 'c', { filter: options.filter, hint: { $natural: 1 } }).map((d) => d._id));
      const what = JSON.stringify(options);
      expect(planned.length, what).toBe(scanned.length);
      expect(planned.every((d) => every.has(d._id)), what).toBe(true);
      // MongoDB leaves the order of documents with equal sort keys open (an index gives index order, a sort natural
      // order), so the sort keys must come in the same sequence, and the documents be the same when none are cut off.
      const keys = (docs: Record<string, unknown>[]) => docs.map((d) => Object.keys(options.sort ?? {}).map((field) => d[field] ?? null));
      expect(keys(planned), what).toEqual(keys(scanned));
      if (!options.skip && !options.limit) expect(new Set(planned.map((d) => d._id)), what).toEqual(every);
    }
  });
});
