import { Decimal128, Long, ObjectId } from 'bson';
import { update as mingoUpdate } from 'mingo/updater';
import { describe, expect, it } from 'vitest';
import { deepClone } from './clone';
import { createEngine } from './index';
import { mingoOptions } from './query';

describe('updates', () => {
  it('seeds an upsert from the query equalities, then applies the update, then $setOnInsert', () => {
    const engine = createEngine();
    const result = engine.update('db', 'c', [{
      q: { kelurahan: 'Bandar Lor', 'alamat.rt': 3, status: { $eq: 'aktif' }, kg: { $gt: 2 }, $and: [{ jenis: 'organik' }] },
      u: { $set: { kg: 5 }, $setOnInsert: { dibuat: 'baru' } },
      upsert: true,
    }], true);
    expect(result.n).toBe(1);
    expect(result.nModified).toBe(0);
    expect(result.upserted).toHaveLength(1);
    expect(result.upserted[0].index).toBe(0);
    expect(result.upserted[0]._id).toBeInstanceOf(ObjectId);
    const [doc] = engine.find('db', 'c', {});
    expect(Object.keys(doc)[0]).toBe('_id');
    expect(doc).toEqual({
      _id: result.upserted[0]._id,
      kelurahan: 'Bandar Lor',
      alamat: { rt: 3 },
      status: 'aktif',
      jenis: 'organik',
      kg: 5,
      dibuat: 'baru',
    });
  });

  it('ignores $setOnInsert when the upsert finds a document, and counts matches and modifications', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, a: 1 }, { _id: 2, a: 1 }, { _id: 3, a: 2 }], true);
    const result = engine.update('db', 'c', [
      { q: { _id: 1 }, u: { $set: { b: 1 }, $setOnInsert: { c: 1 } }, upsert: true },
      { q: { a: 1 }, u: { $set: { b: 1 } }, multi: true },
      { q: { a: 9 }, u: { $set: { b: 1 } } },
    ], true);
    expect(result).toEqual({ n: 3, nModified: 2, upserted: [], writeErrors: [] });
    expect(engine.find('db', 'c', { filter: { _id: 1 } })).toEqual([{ _id: 1, a: 1, b: 1 }]);
  });

  it('uses the query _id for an upsert and refuses to change _id', () => {
    const engine = createEngine();
    const upsert = engine.update('db', 'c', [{ q: { _id: 'k-1' }, u: { $inc: { n: 1 } }, upsert: true }], true);
    expect(upsert.upserted).toEqual([{ index: 0, _id: 'k-1' }]);
    const changeId = engine.update('db', 'c', [{ q: { _id: 'k-1' }, u: { $set: { _id: 'k-2' } } }], true);
    expect(changeId.writeErrors[0]).toMatchObject({
      code: 66,
      codeName: 'ImmutableField',
      errmsg: "Performing an update on the path '_id' would modify the immutable field '_id'",
    });
    const replace = engine.update('db', 'c', [{ q: { _id: 'k-1' }, u: { _id: 'k-3', n: 5 } }], true);
    expect(replace.writeErrors[0]).toMatchObject({ code: 66 });
    expect(engine.find('db', 'c', {})).toEqual([{ _id: 'k-1', n: 1 }]);
  });

  it('sets top-level fields as mingo does: in place, new ones last, as copies of what it was given', () => {
    const stored = { _id: 1, a: 1, b: { c: [1, 2] }, d: new Date(0), e: 'x' };
    const updates = [
      { $set: { a: 2 } },
      { $set: { z: 1, y: { n: [3] }, a: null } },
      { $set: { b: { c: [1, 2] }, d: new Date(0) } },
      { $set: { e: new ObjectId('5a6b5e9000020000000007d8'), f: Long.fromNumber(7), g: Decimal128.fromString('1.50') } },
      { $inc: { a: 1, n: 2 } },
    ];
    for (const u of updates) {
      const engine = createEngine();
      engine.insert('db', 'c', [deepClone(stored)], true);
      const given = deepClone(u);
      engine.update('db', 'c', [{ q: { _id: 1 }, u: given }], true);
      const [updated] = engine.find('db', 'c', {});
      const expected = deepClone(stored) as Record<string, unknown>;
      mingoUpdate(expected, (u.$inc ? { $set: { a: 2, n: 2 } } : u) as never, undefined, { _id: 1 } as never, { cloneMode: 'deep', queryOptions: mingoOptions() });
      expect(updated, JSON.stringify(u)).toEqual(expected);
      expect(Object.keys(updated), JSON.stringify(u)).toEqual(Object.keys(expected));
      // What the update was given stays the caller's: changing it afterwards changes nothing stored.
      if (given.$set?.y) (given.$set.y as { n: number[] }).n.push(4);
      expect(engine.find('db', 'c', {})).toEqual([updated]);
    }
  });

  it('replaces a document while keeping its _id', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, a: 1, b: 2 }], true);
    expect(engine.update('db', 'c', [{ q: { _id: 1 }, u: { c: 3 } }], true)).toMatchObject({ n: 1, nModified: 1 });
    expect(engine.find('db', 'c', {})).toEqual([{ _id: 1, c: 3 }]);
  });

  it('adds and multiplies Long and Decimal128 exactly, keeping their types', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, saldo: Decimal128.fromString('10.10'), hits: Long.fromString('9007199254740993'), n: 2 }], true);
    engine.update('db', 'c', [{ q: { _id: 1 }, u: { $inc: { saldo: Decimal128.fromString('0.20'), hits: 1, n: Long.fromNumber(3), baru: 1 } } }], true);
    let [doc] = engine.find('db', 'c', {});
    expect(String(doc.saldo)).toBe('10.30');
    expect(doc.saldo).toBeInstanceOf(Decimal128);
    expect(String(doc.hits)).toBe('9007199254740994');
    expect(doc.hits).toBeInstanceOf(Long);
    expect(doc.n).toEqual(Long.fromNumber(5));
    expect(doc.baru).toBe(1);
    engine.update('db', 'c', [{ q: { _id: 1 }, u: { $mul: { saldo: 3 }, $max: { hits: Long.fromString('9007199254740999') } } }], true);
    [doc] = engine.find('db', 'c', {});
    expect(String(doc.saldo)).toBe('30.90');
    expect(String(doc.hits)).toBe('9007199254740999');
  });

  it('refuses $inc on non-numeric values with TypeMismatch', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, name: 'x' }], true);
    const bad = engine.update('db', 'c', [{ q: { _id: 1 }, u: { $inc: { name: 1 } } }, { q: { _id: 1 }, u: { $inc: { n: 'a' } } }], false);
    expect(bad.writeErrors.map((e) => [e.index, e.code])).toEqual([[0, 14], [1, 14]]);
    expect(bad.writeErrors[0].errmsg).toContain("has the field 'name' of non-numeric type string");
  });

  it('refuses unknown update operators and mixed documents', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1 }], true);
    const bad = engine.update('db', 'c', [{ q: {}, u: { $frobnicate: { a: 1 } } }, { q: {}, u: { a: 1, $set: { b: 1 } } }], false);
    expect(bad.writeErrors.map((e) => e.code)).toEqual([9, 2]);
    expect(bad.writeErrors[0].errmsg).toContain('Unknown modifier: $frobnicate');
  });

  it('applies array operators and pipeline updates', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, tags: ['a'], scores: [3, 1] }], true);
    engine.update('db', 'c', [{
      q: { _id: 1 },
      u: { $addToSet: { tags: { $each: ['a', 'b'] } }, $push: { scores: { $each: [2], $sort: 1 } } },
    }], true);
    engine.update('db', 'c', [{ q: { _id: 1 }, u: [{ $set: { count: { $size: '$tags' } } }, { $unset: 'scores' }] }], true);
    expect(engine.find('db', 'c', {})).toEqual([{ _id: 1, tags: ['a', 'b'], count: 2 }]);
  });

  it('findAndModify returns the old or new document, upserts and removes', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, n: 1 }, { _id: 2, n: 5 }], true);
    const before = engine.findAndModify('db', 'c', { query: {}, sort: { n: -1 }, update: { $inc: { n: 1 } } });
    expect(before).toEqual({ value: { _id: 2, n: 5 }, lastErrorObject: { n: 1, updatedExisting: true } });
    const after = engine.findAndModify('db', 'c', { query: { _id: 2 }, update: { $inc: { n: 1 } }, new: true, fields: { _id: 0 } });
    expect(after.value).toEqual({ n: 7 });
    const upserted = engine.findAndModify('db', 'c', { query: { _id: 3 }, update: { $set: { n: 0 } }, upsert: true, new: true });
    expect(upserted).toEqual({ value: { _id: 3, n: 0 }, lastErrorObject: { n: 1, updatedExisting: false, upserted: 3 } });
    const removed = engine.findAndModify('db', 'c', { query: { _id: 1 }, remove: true });
    expect(removed.value).toEqual({ _id: 1, n: 1 });
    expect(engine.count('db', 'c')).toBe(2);
  });

  it('findAndModify throws the duplicate key error as a command error', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { k: 1 }, unique: true }]);
    engine.insert('db', 'c', [{ _id: 1, k: 'a' }, { _id: 2, k: 'b' }], true);
    expect(() => engine.findAndModify('db', 'c', { query: { _id: 2 }, update: { $set: { k: 'a' } } })).toThrow(
      expect.objectContaining({ code: 11000, extra: { keyPattern: { k: 1 }, keyValue: { k: 'a' } } }),
    );
  });

  it('deletes one or many', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ a: 1 }, { a: 1 }, { a: 2 }], true);
    expect(engine.delete('db', 'c', [{ q: { a: 1 }, limit: 1 }], true)).toEqual({ n: 1, writeErrors: [] });
    expect(engine.delete('db', 'c', [{ q: {}, limit: 0 }], true)).toEqual({ n: 2, writeErrors: [] });
  });
});
