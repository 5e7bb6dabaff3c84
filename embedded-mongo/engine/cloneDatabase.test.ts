import { ObjectId } from 'bson';
import { describe, expect, it, vi } from 'vitest';
import type { MemoryEngine } from './engine';
import { createEngine } from './index';
import type { Document } from './types';

/**
 * cloneDatabase at the engine: a copy as of now that shares stored documents and, until one side writes, the maps
 * that find them (copy on write). Whatever either side does afterwards, the other never sees it.
 */
function agency(count = 500): MemoryEngine {
  const engine = createEngine();
  engine.createIndexes('tax', 'reports', [
    { key: { taxObjectId: 1, period: 1 }, unique: true },
    { key: { kelurahan: 1, period: 1 } },
    { key: { billingCode: 1 }, unique: true, sparse: true },
  ]);
  engine.insert(
    'tax',
    'reports',
    Array.from({ length: count }, (_, i) => ({
      _id: i,
      taxObjectId: `T${i % 50}`,
      period: `2024-${String((i / 50 | 0) + 1).padStart(2, '0')}`,
      kelurahan: `K${i % 7}`,
      amount: i,
      ...(i % 3 === 0 ? { billingCode: `B${i}` } : {}),
    })),
    true,
  );
  engine.insert('tax', 'payments', [{ _id: new ObjectId(), reportId: 1, paid: 10 }], true);
  engine.createCollection('tax', 'empty');
  return engine;
}

const all = (engine: MemoryEngine, db: string, collection = 'reports') => engine.find(db, collection, { sort: { _id: 1 } });
const ids = (docs: Document[]) => docs.map((doc) => doc._id);

describe('cloneDatabase', () => {
  it('copies every collection, document, option and index as of now', () => {
    const engine = agency();
    // Ordered keys built before the clone are copied too.
    engine.find('tax', 'reports', { filter: { kelurahan: 'K1', period: { $gte: '2024-03' } } });
    expect(engine.cloneDatabase('tax', 'tax_t1')).toEqual({ collections: 3, documents: 501, indexes: 6 });
    expect(engine.listCollections('tax_t1').map((info) => info.name).sort()).toEqual(['empty', 'payments', 'reports']);
    expect(engine.listIndexes('tax_t1', 'reports')).toEqual(engine.listIndexes('tax', 'reports'));
    expect(all(engine, 'tax_t1')).toEqual(all(engine, 'tax'));
    expect(all(engine, 'tax_t1', 'payments')).toEqual(all(engine, 'tax', 'payments'));
    const filter = { kelurahan: { $in: ['K1', 'K2'] }, period: { $gte: '2024-03', $lt: '2024-06' } };
    expect(engine.find('tax_t1', 'reports', { filter })).toEqual(engine.find('tax', 'reports', { filter }));
    expect(engine.lastPlan.index).toBe('kelurahan_1_period_1');
    expect(engine.stats('tax_t1')).toEqual(engine.stats('tax'));
  });

  it('refuses a source that does not exist, a target that does, and names it cannot take', () => {
    const engine = agency(10);
    engine.insert('other', 'c', [{ a: 1 }], true);
    expect(() => engine.cloneDatabase('nope', 'x')).toThrow(expect.objectContaining({ code: 26, message: expect.stringContaining("source database 'nope' not found") }));
    expect(() => engine.cloneDatabase('tax', 'other')).toThrow(expect.objectContaining({ code: 48, message: expect.stringContaining("target database 'other' already exists") }));
    expect(() => engine.cloneDatabase('tax', 'tax')).toThrow(expect.objectContaining({ code: 48 }));
    expect(() => engine.cloneDatabase('tax', 'bad.name')).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => engine.cloneDatabase('tax', 'admin')).toThrow(expect.objectContaining({ code: 2 }));
    expect(engine.listDatabases().map((info) => info.name).sort()).toEqual(['other', 'tax']);
  });

  it('keeps inserts, updates and deletes on either side out of the other, indexes included', () => {
    const engine = agency();
    engine.cloneDatabase('tax', 'copy');
    const before = all(engine, 'tax');
    engine.insert('copy', 'reports', [{ _id: 'new', taxObjectId: 'T1', period: '2099-01', kelurahan: 'K1' }], true);
    engine.update('copy', 'reports', [{ q: { kelurahan: 'K2' }, u: { $set: { kelurahan: 'K9' }, $inc: { amount: 1000 } }, multi: true }], true);
    engine.delete('copy', 'reports', [{ q: { period: '2024-01' }, limit: 0 }], true);
    expect(all(engine, 'tax')).toEqual(before);
    expect(engine.find('tax', 'reports', { filter: { kelurahan: 'K9' } })).toEqual([]);
    expect(engine.count('tax', 'reports', { period: '2024-01' })).toBe(50);
    expect(engine.count('copy', 'reports', { period: '2024-01' })).toBe(0);
    expect(engine.count('copy', 'reports', { kelurahan: 'K9', amount: { $gte: 1000 } })).toBe(engine.count('tax', 'reports', { kelurahan: 'K2', period: { $ne: '2024-01' } }));

    // The source changes too, and the copy does not see it.
    const copied = all(engine, 'copy');
    engine.delete('tax', 'reports', [{ q: { kelurahan: 'K3' }, limit: 0 }], true);
    engine.update('tax', 'reports', [{ q: { _id: 7 }, u: { $set: { amount: -1 } } }], true);
    expect(all(engine, 'copy')).toEqual(copied);
    expect(engine.find('copy', 'reports', { filter: { kelurahan: 'K3', period: { $gte: '2024-02' } } })).toHaveLength(
      copied.filter((doc) => doc.kelurahan === 'K3' && (doc.period as string) >= '2024-02').length,
    );
  });

  it('checks unique keys in each database against its own documents only', () => {
    const engine = agency(100);
    engine.cloneDatabase('tax', 'copy');
    // A key the copy holds is a duplicate there, and stays one whatever the source does with it.
    const duplicate = engine.insert('copy', 'reports', [{ taxObjectId: 'T1', period: '2024-01' }], true);
    expect(duplicate.writeErrors[0]).toMatchObject({ code: 11000, keyValue: { taxObjectId: 'T1', period: '2024-01' } });
    engine.delete('tax', 'reports', [{ q: { taxObjectId: 'T1', period: '2024-01' }, limit: 1 }], true);
    expect(engine.insert('copy', 'reports', [{ taxObjectId: 'T1', period: '2024-01' }], true).writeErrors[0]?.code).toBe(11000);
    expect(engine.insert('tax', 'reports', [{ _id: 'again', taxObjectId: 'T1', period: '2024-01' }], true).writeErrors).toEqual([]);
    // A key freed in the copy is free there only.
    engine.update('copy', 'reports', [{ q: { billingCode: 'B3' }, u: { $set: { billingCode: 'B3-moved' } } }], true);
    expect(engine.insert('copy', 'reports', [{ _id: 'reuse', taxObjectId: 'X', period: 'X', billingCode: 'B3' }], true).writeErrors).toEqual([]);
    expect(engine.insert('tax', 'reports', [{ _id: 'reuse', taxObjectId: 'X', period: 'X', billingCode: 'B3' }], true).writeErrors[0]?.code).toBe(11000);
    expect(engine.find('tax', 'reports', { filter: { billingCode: 'B3-moved' } })).toEqual([]);
  });

  it('runs transactions on the copy that the source never sees, committed or aborted', () => {
    const engine = agency(200);
    engine.cloneDatabase('tax', 'copy');
    const source = all(engine, 'tax');
    const aborted = engine.beginTransaction();
    engine.operations(aborted).update('copy', 'reports', [{ q: {}, u: { $set: { amount: 0 } }, multi: true }], true);
    aborted.abort();
    const committed = engine.beginTransaction();
    const inside = engine.operations(committed);
    inside.insert('copy', 'reports', [{ _id: 'tx', taxObjectId: 'T0', period: '2030-01', kelurahan: 'K0' }], true);
    inside.delete('copy', 'reports', [{ q: { kelurahan: 'K0', period: '2024-02' }, limit: 0 }], true);
    // The source goes on being written meanwhile, without any conflict with the copy's transaction.
    engine.update('tax', 'reports', [{ q: { _id: 0 }, u: { $set: { amount: 5 } } }], true);
    committed.commit();
    expect(all(engine, 'tax')).toEqual(source.map((doc) => (doc._id === 0 ? { ...doc, amount: 5 } : doc)));
    expect(engine.find('copy', 'reports', { filter: { _id: 'tx' } })).toHaveLength(1);
    expect(engine.count('copy', 'reports', { kelurahan: 'K0', period: '2024-02' })).toBe(0);
    expect(engine.count('copy', 'reports', { amount: 0 })).toBe(1);
  });

  it('copies a copy, and survives dropping either side', () => {
    const engine = agency(50);
    engine.cloneDatabase('tax', 'first');
    engine.insert('first', 'reports', [{ _id: 'first-only', taxObjectId: 'F', period: 'F' }], true);
    engine.cloneDatabase('first', 'second');
    engine.dropDatabase('first');
    expect(ids(all(engine, 'second'))).toContain('first-only');
    expect(ids(all(engine, 'tax'))).not.toContain('first-only');
    engine.dropDatabase('tax');
    engine.insert('second', 'reports', [{ _id: 'second-only', taxObjectId: 'S', period: 'S' }], true);
    expect(all(engine, 'second')).toHaveLength(52);
  });

  it.each([
    { writers: ['tax', 'copy'], indexed: 'before the copy' },
    { writers: ['tax', 'copy'], indexed: 'after the writes' },
    { writers: ['copy'], indexed: 'after the writes' },
  ])('stays apart from its source through random writes to $writers, indexed $indexed, as two independent copies would', ({ writers, indexed }) => {
    const engine = agency(300);
    if (indexed === 'before the copy') engine.find('tax', 'reports', { filter: { kelurahan: 'K1' }, sort: { kelurahan: 1, period: 1 } });
    engine.cloneDatabase('tax', 'copy');
    // The reference: what each database must hold, kept by hand.
    const expected = new Map<string, Map<unknown, Document>>([
      ['tax', new Map(all(engine, 'tax').map((doc) => [doc._id, doc]))],
      ['copy', new Map(all(engine, 'copy').map((doc) => [doc._id, doc]))],
    ]);
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 400; step++) {
      const db = writers[next(writers.length)];
      const docs = expected.get(db) as Map<unknown, Document>;
      const id = next(400);
      switch (next(3)) {
        case 0: {
          const doc = { _id: id, taxObjectId: `R${step}`, period: `P${step}`, kelurahan: `K${next(7)}`, amount: step };
          const result = engine.insert(db, 'reports', [doc], true);
          if (docs.has(id)) expect(result.writeErrors[0]?.code).toBe(11000);
          else docs.set(id, doc);
          break;
        }
        case 1: {
          const kelurahan = `K${next(7)}`;
          engine.update(db, 'reports', [{ q: { _id: id }, u: { $set: { kelurahan } } }], true);
          const doc = docs.get(id);
          if (doc) docs.set(id, { ...doc, kelurahan });
          break;
        }
        default:
          engine.delete(db, 'reports', [{ q: { _id: id }, limit: 1 }], true);
          docs.delete(id);
      }
    }
    for (const [db, docs] of expected) {
      const sorted = [...docs.values()].sort((a, b) => String(a._id).localeCompare(String(b._id), 'en', { numeric: true }));
      expect(engine.find(db, 'reports', {}).sort((a, b) => String(a._id).localeCompare(String(b._id), 'en', { numeric: true }))).toEqual(sorted);
      for (const kelurahan of ['K0', 'K3', 'K6']) {
        const viaIndex = engine.find(db, 'reports', { filter: { kelurahan }, sort: { kelurahan: 1, period: 1 } });
        expect(ids(viaIndex).sort()).toEqual(ids(sorted.filter((doc) => doc.kelurahan === kelurahan)).sort());
      }
    }
  });

  describe('an index a copy first uses after it wrote', () => {
    /** Moves three K1 reports out of K1 or away, and two others into it, in the copy. */
    function writeToCopy(engine: MemoryEngine): void {
      engine.insert('copy', 'reports', [{ _id: 'new', taxObjectId: 'N', period: '2024-02', kelurahan: 'K1', amount: 1 }], true);
      engine.update('copy', 'reports', [{ q: { _id: 9 }, u: { $set: { kelurahan: 'K1', period: '2025-03' } } }], true);
      engine.update('copy', 'reports', [{ q: { _id: 57 }, u: { $set: { kelurahan: 'K4' } } }], true);
      engine.delete('copy', 'reports', [{ q: { _id: 64 }, limit: 1 }], true);
      engine.delete('copy', 'reports', [{ q: { _id: 106 }, limit: 1 }], true);
      engine.insert('copy', 'reports', [{ _id: 106, taxObjectId: 'R', period: '2024-09', kelurahan: 'K2', amount: 2 }], true);
    }
    const K1_SINCE_FEBRUARY = { kelurahan: 'K1', period: { $gte: '2024-02' } };
    /** The reports of K1 from February on, by period, as the documents say. */
    const expectedOf = (engine: MemoryEngine, db: string) =>
      ids(all(engine, db).filter((doc) => doc.kelurahan === 'K1' && (doc.period as string) >= '2024-02').sort((a, b) => String(a.period).localeCompare(String(b.period))));

    it("starts from the source's keys and reads only the documents the copy changed", () => {
      const engine = agency(400);
      engine.cloneDatabase('tax', 'copy');
      writeToCopy(engine);
      const index = engine.collection('copy', 'reports')!.findIndex('kelurahan_1_period_1')!;
      const read = vi.spyOn(index, 'entriesFor');

      const sorted = engine.find('copy', 'reports', { filter: K1_SINCE_FEBRUARY, sort: { kelurahan: 1, period: 1 } });
      expect(engine.lastPlan.index).toBe('kelurahan_1_period_1');
      expect(ids(sorted)).toEqual(expectedOf(engine, 'copy'));
      expect(ids(sorted)).toEqual(expect.arrayContaining(['new', 9]));
      expect(ids(sorted)).not.toContain(57);
      const looked = engine.find('copy', 'reports', { filter: { kelurahan: { $in: ['K1', 'K4'] } } });
      expect(ids(looked).sort()).toEqual(ids(all(engine, 'copy').filter((doc) => ['K1', 'K4'].includes(doc.kelurahan as string))).sort());
      // Each changed document's keys as it was and as it is, for the ordered keys and for the key maps: no other.
      expect(read.mock.calls.length).toBeLessThanOrEqual(4 * 6);
      // The source's own index, built for the copy, holds the source's documents.
      expect(ids(engine.find('tax', 'reports', { filter: K1_SINCE_FEBRUARY, sort: { kelurahan: 1, period: 1 } }))).toEqual(expectedOf(engine, 'tax'));
    });

    it('is built from the documents when the source wrote since the copy', () => {
      const engine = agency(400);
      engine.cloneDatabase('tax', 'copy');
      writeToCopy(engine);
      engine.update('tax', 'reports', [{ q: { _id: 15 }, u: { $set: { kelurahan: 'K1', period: '2024-05' } } }], true);
      const found = engine.find('copy', 'reports', { filter: K1_SINCE_FEBRUARY, sort: { kelurahan: 1, period: 1 } });
      expect(ids(found)).toEqual(expectedOf(engine, 'copy'));
      expect(ids(found)).not.toContain(15);
      expect(ids(engine.find('tax', 'reports', { filter: K1_SINCE_FEBRUARY, sort: { kelurahan: 1, period: 1 } }))).toEqual(expectedOf(engine, 'tax'));
    });

    it('is built from the documents after the copy changed a quarter of them', () => {
      const engine = agency(400);
      engine.cloneDatabase('tax', 'copy');
      engine.update('copy', 'reports', [{ q: { _id: { $lt: 120 } }, u: { $set: { kelurahan: 'K1' } }, multi: true }], true);
      const index = engine.collection('copy', 'reports')!.findIndex('kelurahan_1_period_1')!;
      const read = vi.spyOn(index, 'entriesFor');
      expect(ids(engine.find('copy', 'reports', { filter: K1_SINCE_FEBRUARY, sort: { kelurahan: 1, period: 1 } }))).toEqual(expectedOf(engine, 'copy'));
      expect(read.mock.calls.length).toBeGreaterThanOrEqual(400);
    });
  });
});
