import { describe, expect, it } from 'vitest';
import { createEngine } from './index';
import type { MemoryEngine } from './engine';
import { canonicalKey } from './values';

function seeded(): MemoryEngine {
  const engine = createEngine();
  engine.createIndexes('db', 'people', [{ key: { nik: 1 }, unique: true }, { key: { kelurahan: 1, _id: 1 } }]);
  engine.insert('db', 'people', [
    { _id: 1, nik: 'A', kelurahan: 'K1', n: 0 },
    { _id: 2, nik: 'B', kelurahan: 'K1', n: 0 },
    { _id: 3, nik: 'C', kelurahan: 'K2', n: 0 },
  ], true);
  return engine;
}

const error = (run: () => unknown) => {
  try {
    run();
  } catch (caught) {
    return caught as { code: number; codeName: string; message: string };
  }
  throw new Error('expected an error');
};

describe('snapshot reads', () => {
  it('sees the data as of its start, whatever commits after, and its own writes on top', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    const inside = engine.operations(transaction);
    inside.update('db', 'people', [{ q: { _id: 3 }, u: { $set: { n: 30 } } }], true);
    engine.update('db', 'people', [{ q: { _id: 1 }, u: { $set: { kelurahan: 'K9', n: 1 } } }], true);
    engine.delete('db', 'people', [{ q: { _id: 2 }, limit: 1 }], true);
    engine.insert('db', 'people', [{ _id: 4, nik: 'D', kelurahan: 'K1' }], true);
    expect(inside.find('db', 'people', { sort: { _id: 1 } })).toEqual([
      { _id: 1, nik: 'A', kelurahan: 'K1', n: 0 },
      { _id: 2, nik: 'B', kelurahan: 'K1', n: 0 },
      { _id: 3, nik: 'C', kelurahan: 'K2', n: 30 },
    ]);
    // Through an index too: _id 1 left K1 after the snapshot, but the snapshot still has it there.
    expect(inside.find('db', 'people', { filter: { kelurahan: 'K1' }, sort: { _id: 1 } }).map((d) => d._id)).toEqual([1, 2]);
    expect(engine.lastReport?.access.stage).toBe('IXSCAN');
    expect(inside.count('db', 'people', { kelurahan: 'K9' })).toBe(0);
    expect(engine.find('db', 'people', { sort: { _id: 1 } }).map((d) => d._id)).toEqual([1, 3, 4]);
    expect(engine.find('db', 'people', { filter: { _id: 3 } })[0].n).toBe(0);
  });

  it('merges its own versions into an index walk in index order', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    const inside = engine.operations(transaction);
    inside.insert('db', 'people', [{ _id: 0, nik: 'Z', kelurahan: 'K1' }, { _id: 9, nik: 'Y', kelurahan: 'K1' }], true);
    inside.update('db', 'people', [{ q: { _id: 2 }, u: { $set: { kelurahan: 'K2' } } }], true);
    inside.update('db', 'people', [{ q: { _id: 3 }, u: { $set: { kelurahan: 'K1' } } }], true);
    const page = inside.find('db', 'people', { filter: { kelurahan: 'K1' }, sort: { _id: 1 } });
    expect(page.map((d) => d._id)).toEqual([0, 1, 3, 9]);
    expect(engine.lastReport?.sortInMemory).toBeNull();
    expect(inside.find('db', 'people', { filter: { kelurahan: 'K1' }, sort: { _id: -1 }, limit: 2 }).map((d) => d._id)).toEqual([9, 3]);
    expect(inside.find('db', 'people', { filter: { kelurahan: 'K1', _id: { $gt: 0 } }, sort: { _id: 1 }, limit: 2 }).map((d) => d._id)).toEqual([1, 3]);
  });
});

describe('write conflicts: first writer wins', () => {
  it('a write to a document committed by someone else since the start is a WriteConflict', () => {
    const engine = seeded();
    const inside = engine.operations(engine.beginTransaction());
    engine.update('db', 'people', [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }], true);
    const result = inside.update('db', 'people', [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }], true);
    expect(result.writeErrors[0]).toMatchObject({ code: 112, codeName: 'WriteConflict' });
  });

  it('a second transaction writing the same document gets a WriteConflict until the first ends', () => {
    const engine = seeded();
    const first = engine.beginTransaction();
    const second = engine.beginTransaction();
    engine.operations(first).update('db', 'people', [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }], true);
    expect(engine.operations(second).delete('db', 'people', [{ q: { _id: 1 }, limit: 1 }], true).writeErrors[0]?.code).toBe(112);
    first.commit();
    expect(engine.find('db', 'people', { filter: { _id: 1 } })[0].n).toBe(1);
  });

  it('unique keys: another transaction’s uncommitted key is a WriteConflict, a committed visible one is E11000', () => {
    const engine = seeded();
    const first = engine.beginTransaction();
    const second = engine.beginTransaction();
    expect(engine.operations(first).insert('db', 'people', [{ _id: 10, nik: 'N' }], true).n).toBe(1);
    expect(engine.operations(second).insert('db', 'people', [{ _id: 11, nik: 'N' }], true).writeErrors[0]?.code).toBe(112);
    first.commit();
    const third = engine.beginTransaction();
    expect(engine.operations(third).insert('db', 'people', [{ _id: 12, nik: 'N' }], true).writeErrors[0]).toMatchObject({ code: 11000, keyValue: { nik: 'N' } });
    expect(engine.operations(third).insert('db', 'people', [{ _id: 1, nik: 'Q' }], true).writeErrors[0]?.code).toBe(11000);
  });

  it('checks unique keys against its own writes, and commits a swap of keys that only the final state allows', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    const inside = engine.operations(transaction);
    expect(inside.insert('db', 'people', [{ _id: 20, nik: 'X' }, { _id: 21, nik: 'X' }], true).writeErrors[0]?.code).toBe(11000);
    inside.update('db', 'people', [{ q: { _id: 1 }, u: { $set: { nik: 'tmp' } } }], true);
    inside.update('db', 'people', [{ q: { _id: 2 }, u: { $set: { nik: 'A' } } }], true);
    inside.update('db', 'people', [{ q: { _id: 1 }, u: { $set: { nik: 'B' } } }], true);
    transaction.commit();
    expect(engine.find('db', 'people', { sort: { _id: 1 }, projection: { nik: 1 } })).toEqual([
      { _id: 1, nik: 'B' },
      { _id: 2, nik: 'A' },
      { _id: 3, nik: 'C' },
      { _id: 20, nik: 'X' },
    ]);
  });
});

describe('commit and abort', () => {
  it('abort discards every write; the documents are free again', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    engine.operations(transaction).insert('db', 'other', [{ _id: 1 }], true);
    engine.operations(transaction).update('db', 'people', [{ q: {}, u: { $set: { n: 5 } }, multi: true }], true);
    transaction.abort();
    expect(engine.listCollections('db').map((c) => c.name)).toEqual(['people']);
    expect(engine.find('db', 'people', {}).every((d) => d.n === 0)).toBe(true);
    expect(engine.update('db', 'people', [{ q: { _id: 1 }, u: { $set: { n: 1 } } }], true).blocked).toBeUndefined();
  });

  it('applies a commit to every collection or to none', () => {
    const engine = seeded();
    engine.insert('db', 'audit', [{ _id: 'kept' }], true);
    const failed = error(() =>
      engine.applyTransaction([
        { db: 'db', name: 'audit', changes: new Map([[canonicalKey('new'), { _id: 'new' }], [canonicalKey('kept'), null]]) },
        // A duplicate nik in the second collection fails the whole commit, the first collection included.
        { db: 'db', name: 'people', changes: new Map([[canonicalKey(1), { _id: 1, nik: 'B' }]]) },
      ]),
    );
    expect(failed.code).toBe(11000);
    expect(engine.find('db', 'audit', {})).toEqual([{ _id: 'kept' }]);
    expect(engine.find('db', 'people', { filter: { _id: 1 } })[0].nik).toBe('A');
  });

  it('a write outside any transaction stops before a document a transaction holds, and goes ahead after', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    engine.operations(transaction).update('db', 'people', [{ q: { _id: 2 }, u: { $inc: { n: 1 } } }], true);
    const blocked = engine.update('db', 'people', [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }, { q: {}, u: { $inc: { n: 10 } }, multi: true }], true);
    expect(blocked).toMatchObject({ n: 1, nModified: 1 });
    expect(blocked.blocked?.index).toBe(1);
    // Nothing of the blocked statement was applied, not even to the documents nobody holds.
    expect(engine.find('db', 'people', { sort: { _id: 1 } }).map((d) => d.n)).toEqual([1, 0, 0]);
    transaction.commit();
    expect(engine.update('db', 'people', [{ q: {}, u: { $inc: { n: 10 } }, multi: true }], true).blocked).toBeUndefined();
    expect(engine.find('db', 'people', { sort: { _id: 1 } }).map((d) => d.n)).toEqual([11, 11, 10]);
  });

  it('dropping a collection aborts the transactions that used it', () => {
    const engine = seeded();
    const transaction = engine.beginTransaction();
    engine.operations(transaction).find('db', 'people', {});
    engine.dropCollection('db', 'people');
    expect(transaction.state).toBe('aborted');
    expect(error(() => transaction.commit()).code).toBe(251);
  });
});

describe('a transaction view under random writes', () => {
  it('answers every plan as a scan of its snapshot plus its own writes would', () => {
    let state = 3;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { k: 1, _id: 1 } }, { key: { v: -1 } }]);
    engine.insert('db', 'c', Array.from({ length: 200 }, (_, i) => ({ _id: i, k: i % 5, v: i % 13 })), true);
    for (let round = 0; round < 20; round++) {
      const transaction = engine.beginTransaction();
      const inside = engine.operations(transaction);
      // The model: what the transaction must see, its snapshot and then its own writes.
      const model = new Map(engine.find('db', 'c', {}).map((doc) => [doc._id as number, doc]));
      for (let step = 0; step < 30; step++) {
        const id = Math.floor(next() * 260);
        const choice = next();
        // Writes by others, committed: only to documents the transaction leaves alone, and invisible to it.
        if (choice < 0.3 && id % 2 === 1) {
          engine.update('db', 'c', [{ q: { _id: id }, u: { $set: { k: pick([0, 1, 2, 3, 4]), v: pick([0, 5, 12]) } }, upsert: true }], true);
        } else if (choice < 0.4 && id % 2 === 1) {
          engine.delete('db', 'c', [{ q: { _id: id }, limit: 1 }], true);
        } else if (id % 2 === 0 && choice < 0.7) {
          const doc = { _id: id, k: pick([0, 1, 2, 3, 4]), v: pick([1, 6, 11]) };
          const result = inside.update('db', 'c', [{ q: { _id: id }, u: doc, upsert: true }], true);
          expect(result.writeErrors).toEqual([]);
          model.set(id, doc);
        } else if (id % 2 === 0) {
          expect(inside.delete('db', 'c', [{ q: { _id: id }, limit: 1 }], true).writeErrors).toEqual([]);
          model.delete(id);
        }
      }
      const expected = [...model.values()];
      for (const [filter, sort] of [
        [{}, { _id: 1 }],
        [{ k: 2 }, { _id: -1 }],
        [{ k: 3, _id: { $gt: 50 } }, { _id: 1 }],
        [{ v: { $gte: 5 } }, { v: -1, _id: 1 }],
      ] as [Record<string, unknown>, Record<string, 1 | -1>][]) {
        const found = inside.find('db', 'c', { filter, sort });
        const scanned = inside.find('db', 'c', { filter, sort, hint: { $natural: 1 } });
        const wanted = expected.filter((doc) => matches(doc, filter));
        expect(new Set(found.map((d) => d._id)), JSON.stringify(filter)).toEqual(new Set(wanted.map((d) => d._id)));
        expect(found.map((d) => Object.keys(sort).map((f) => d[f])), JSON.stringify({ filter, sort })).toEqual(scanned.map((d) => Object.keys(sort).map((f) => d[f])));
      }
      if (next() < 0.5) transaction.commit();
      else transaction.abort();
    }
  });
});

/** The few filter shapes the random test uses, evaluated directly. */
function matches(doc: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value = doc[field] as number;
    if (typeof condition !== 'object' || condition === null) return value === condition;
    const { $gt, $gte } = condition as { $gt?: number; $gte?: number };
    return ($gt === undefined || value > $gt) && ($gte === undefined || value >= $gte);
  });
}
