import { describe, expect, it } from 'vitest';
import { createEngine } from './index';

describe('unique indexes', () => {
  it('refuses a duplicate on insert with MongoDB-shaped write errors', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'people', [{ key: { email: 1 }, unique: true }]);
    engine.insert('db', 'people', [{ _id: 1, email: 'a@kediri.go.id' }], true);
    const result = engine.insert('db', 'people', [{ _id: 2, email: 'a@kediri.go.id' }], true);
    expect(result.n).toBe(0);
    expect(result.writeErrors).toEqual([
      {
        index: 0,
        code: 11000,
        codeName: 'DuplicateKey',
        errmsg: 'E11000 duplicate key error collection: db.people index: email_1 dup key: { email: "a@kediri.go.id" }',
        keyPattern: { email: 1 },
        keyValue: { email: 'a@kediri.go.id' },
      },
    ]);
    expect(engine.count('db', 'people')).toBe(1);
  });

  it('stops an ordered batch at the first error and lets an unordered batch go on', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1 }], true);
    const ordered = engine.insert('db', 'c', [{ _id: 2 }, { _id: 1 }, { _id: 3 }], true);
    expect(ordered.n).toBe(1);
    expect(ordered.writeErrors.map((e) => e.index)).toEqual([1]);
    expect(engine.distinct('db', 'c', '_id')).toEqual([1, 2]);

    const unordered = engine.insert('db', 'c', [{ _id: 1 }, { _id: 4 }, { _id: 2 }, { _id: 5 }], false);
    expect(unordered.n).toBe(2);
    expect(unordered.writeErrors.map((e) => [e.index, e.code, e.keyValue])).toEqual([
      [0, 11000, { _id: 1 }],
      [2, 11000, { _id: 2 }],
    ]);
    expect(engine.distinct('db', 'c', '_id')).toEqual([1, 2, 4, 5]);
  });

  it('enforces compound unique indexes on the whole key only', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'stalls', [{ key: { pasar: 1, nomor: 1 }, unique: true }]);
    const first = engine.insert('db', 'stalls', [
      { pasar: 'Setono Betek', nomor: 1 },
      { pasar: 'Setono Betek', nomor: 2 },
      { pasar: 'Bandar', nomor: 1 },
    ], true);
    expect(first.writeErrors).toEqual([]);
    const dup = engine.insert('db', 'stalls', [{ pasar: 'Bandar', nomor: 1 }], true);
    expect(dup.writeErrors[0]).toMatchObject({
      code: 11000,
      keyPattern: { pasar: 1, nomor: 1 },
      keyValue: { pasar: 'Bandar', nomor: 1 },
      errmsg: expect.stringContaining('index: pasar_1_nomor_1 dup key: { pasar: "Bandar", nomor: 1 }'),
    });
  });

  it('enforces uniqueness on update and upsert, leaving the document unchanged', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'u', [{ key: { code: 1 }, unique: true }]);
    engine.insert('db', 'u', [{ _id: 1, code: 'A', kg: 1 }, { _id: 2, code: 'B', kg: 2 }], true);
    const update = engine.update('db', 'u', [{ q: { _id: 2 }, u: { $set: { code: 'A', kg: 9 } } }], true);
    expect(update).toMatchObject({ n: 0, nModified: 0, writeErrors: [{ index: 0, code: 11000, keyValue: { code: 'A' } }] });
    expect(engine.find('db', 'u', { filter: { _id: 2 } })).toEqual([{ _id: 2, code: 'B', kg: 2 }]);

    const upsert = engine.update('db', 'u', [{ q: { code: 'B', kg: 5 }, u: { $set: { x: 1 } }, upsert: true }], true);
    expect(upsert.writeErrors[0]).toMatchObject({ code: 11000, keyValue: { code: 'B' } });
    expect(engine.count('db', 'u')).toBe(2);
  });

  it('treats missing fields as null unless the index is sparse', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'dense', [{ key: { nik: 1 }, unique: true }]);
    engine.createIndexes('db', 'sparse', [{ key: { nik: 1 }, unique: true, sparse: true }]);
    expect(engine.insert('db', 'dense', [{ a: 1 }, { a: 2 }], true).writeErrors[0]).toMatchObject({ keyValue: { nik: null } });
    expect(engine.insert('db', 'sparse', [{ a: 1 }, { a: 2 }], true).writeErrors).toEqual([]);
  });

  it('fails to build a unique index over duplicate data, and leaves no index behind', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ name: 'x' }, { name: 'x' }], true);
    expect(() => engine.createIndexes('db', 'c', [{ key: { name: 1 }, unique: true }])).toThrow(
      expect.objectContaining({ code: 11000, extra: { keyPattern: { name: 1 }, keyValue: { name: 'x' } } }),
    );
    expect(engine.listIndexes('db', 'c').map((i) => i.name)).toEqual(['_id_']);
  });

  it('treats an identical index as a no-op and a same-name different spec as a conflict', () => {
    const engine = createEngine();
    const created = engine.createIndexes('db', 'c', [{ key: { a: 1, b: -1 } }]);
    expect(created).toEqual({ createdCollectionAutomatically: true, numIndexesBefore: 1, numIndexesAfter: 2 });
    expect(engine.createIndexes('db', 'c', [{ key: { a: 1, b: -1 } }])).toMatchObject({ numIndexesAfter: 2, note: 'all indexes already exist' });
    expect(() => engine.createIndexes('db', 'c', [{ key: { a: 1 }, name: 'a_1_b_-1' }])).toThrow(expect.objectContaining({ code: 86 }));
    expect(engine.listIndexes('db', 'c')).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { a: 1, b: -1 }, name: 'a_1_b_-1' },
    ]);
    expect(engine.dropIndexes('db', 'c', 'a_1_b_-1')).toEqual({ nIndexesWas: 2 });
    expect(() => engine.dropIndexes('db', 'c', 'nope')).toThrow(expect.objectContaining({ code: 27 }));
    expect(() => engine.dropIndexes('db', 'c', '_id_')).toThrow(expect.objectContaining({ code: 72 }));
  });

  it('indexes each element of an array field', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { tags: 1 }, unique: true }]);
    expect(engine.insert('db', 'c', [{ tags: ['a', 'b', 'a'] }], true).writeErrors).toEqual([]);
    expect(engine.insert('db', 'c', [{ tags: ['c', 'b'] }], true).writeErrors[0]).toMatchObject({ keyValue: { tags: 'b' } });
  });
});

describe('a bulk load (an insert at least as large as the collection)', () => {
  const people = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ _id: from + i, nik: `N${from + i}`, kelurahan: `K${(from + i) % 7}`, tags: (from + i) % 3 === 0 ? ['rt01', 'rt02'] : 'rt01' }));

  it('still refuses a duplicate of a unique index as it comes, and its other indexes answer every lookup after', () => {
    const engine = createEngine();
    engine.createIndexes('db', 'people', [{ key: { nik: 1 }, unique: true }, { key: { kelurahan: 1 } }, { key: { tags: 1 } }]);
    const batch = people(0, 3_000);
    batch[2_500] = { ...batch[2_500], nik: 'N10' };
    const result = engine.insert('db', 'people', batch, true);
    expect(result.n).toBe(2_500);
    expect(result.writeErrors.map((error) => [error.index, error.keyValue])).toEqual([[2_500, { nik: 'N10' }]]);
    const index = (name: string) => engine.collection('db', 'people')!.findIndex(name)!;
    expect([index('nik_1').deferred, index('kelurahan_1').deferred, index('tags_1').deferred]).toEqual([false, true, true]);

    // Writes between the load and the first lookup, one by one: the indexes hold what they leave.
    engine.insert('db', 'people', [{ _id: 9_001, nik: 'X1', kelurahan: 'K3', tags: 'rt09' }], true);
    engine.delete('db', 'people', [{ q: { _id: 3 }, limit: 1 }], true);
    const inK3 = engine.find('db', 'people', { filter: { kelurahan: 'K3' } }).map((doc) => doc._id);
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1', docsExamined: inK3.length });
    expect(inK3).toEqual([...people(0, 2_500).filter((doc) => doc.kelurahan === 'K3' && doc._id !== 3).map((doc) => doc._id), 9_001]);
    expect(engine.find('db', 'people', { filter: { tags: 'rt09' } }).map((doc) => doc._id)).toEqual([9_001]);
    expect([index('tags_1').multikey, index('kelurahan_1').multikey]).toEqual([true, false]);
    expect(engine.insert('db', 'people', [{ _id: 9_002, nik: 'N42' }], true).writeErrors[0]?.code).toBe(11000);
  });
});
