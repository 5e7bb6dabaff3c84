import { Decimal128, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { createEngine } from './index';
import { GENERAL_PATH, withLevers } from './levers';
import type { Document } from './types';

/**
 * The fast paths one by one (fastPaths.random.test.ts compares them all with the general path at random): what each
 * does, that it answers what MongoDB answers, and where it knowingly parts from mingo because mingo parts from MongoDB.
 */
const DAY = 86_400_000;
const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * DAY);

function reports(count = 2000) {
  const engine = createEngine();
  engine.createIndexes('db', 'reports', [{ key: { kelurahan: 1, period: 1, status: 1 } }, { key: { period: 1, status: 1 } }, { key: { paidAt: 1 } }]);
  engine.insert(
    'db',
    'reports',
    Array.from({ length: count }, (_, i) => ({
      _id: i,
      kelurahan: `K${i % 46}`,
      period: `202${3 + (i % 2)}-${String((i % 12) + 1).padStart(2, '0')}`,
      status: i % 10 === 0 ? 'draft' : 'submitted',
      taxpayerId: new ObjectId(`65a00000000000000000${String(i % 50).padStart(4, '0')}`),
      taxDue: (i % 7) * 1000,
      paidAt: day(i % 400),
    })),
    true,
  );
  return engine;
}

describe('index bounds', () => {
  it('walks one interval per $in value and examines only the documents inside them', () => {
    const engine = reports();
    const filter = { kelurahan: { $in: ['K1', 'K2', 'K3'] }, period: { $gte: '2024-01', $lte: '2024-06' } };
    const found = engine.find('db', 'reports', { filter });
    expect(found.length).toBeGreaterThan(0);
    expect(engine.lastPlan).toEqual({ index: 'kelurahan_1_period_1_status_1', docsExamined: found.length });
    const bounds = engine.lastReport?.access.stage === 'IXSCAN' ? engine.lastReport.access.bounds() : {};
    expect(bounds).toEqual({
      kelurahan: ['["K1", "K1"]', '["K2", "K2"]', '["K3", "K3"]'],
      period: ['["2024-01", "2024-06"]'],
      status: ['[MinKey, MaxKey]'],
    });
    // Without the lever a lookup of the three kelurahan reads all their documents.
    withLevers({ indexBounds: false }, () => engine.find('db', 'reports', { filter }));
    expect(engine.lastPlan.docsExamined).toBeGreaterThan(found.length);
  });

  it('yields a walk in natural order when nothing asks for the index order, and in index order when a sort does', () => {
    const engine = reports();
    const filter = { period: { $gte: '2024-01', $lte: '2024-12' } };
    const natural = engine.find('db', 'reports', { filter }).map((doc) => doc._id as number);
    expect(natural).toEqual([...natural].sort((a, b) => a - b));
    expect(engine.lastReport?.access.stage).toBe('IXSCAN');
    const sorted = engine.find('db', 'reports', { filter, sort: { period: -1 }, limit: 3 });
    expect(sorted.map((doc) => doc.period)).toEqual(['2024-12', '2024-12', '2024-12']);
    expect(engine.lastReport?.sortInMemory).toBeNull();
  });

  it('counts a range without reading the documents when the bounds answer the whole filter', () => {
    const engine = reports();
    const filter = { paidAt: { $gte: day(10), $lt: day(20) } };
    expect(engine.count('db', 'reports', filter)).toBe(50);
    expect(engine.aggregate('db', 'reports', [{ $match: filter }, { $group: { _id: 1, n: { $sum: 1 } } }])).toEqual([{ _id: 1, n: 50 }]);
  });
});

describe('exact bounds', () => {
  function mixed() {
    const engine = createEngine();
    engine.createIndexes('db', 'c', [{ key: { t: 1 } }]);
    engine.insert('db', 'c', [
      { _id: 1, t: day(1) },
      { _id: 2, t: day(5) },
      { _id: 3, t: null },
      { _id: 4 },
      { _id: 5, t: 7 },
      { _id: 6, t: 'text' },
      { _id: 7, t: { nested: true } },
      { _id: 8, t: day(9) },
      { _id: 9, t: Long.fromNumber(3) },
    ], true);
    return engine;
  }

  it('answers a range of one type exactly, and a one-sided range only with the values of its type', () => {
    const engine = mixed();
    const ids = (filter: Document) => engine.find('db', 'c', { filter }).map((doc) => doc._id);
    expect(ids({ t: { $gte: day(0), $lt: day(6) } })).toEqual([1, 2]);
    // The walk of `$lt: date` starts at the lowest key (null, numbers, strings...): the filter still rules those out.
    expect(ids({ t: { $lt: day(6) } })).toEqual([1, 2]);
    expect(ids({ t: { $gt: 2, $lte: 7 } })).toEqual([5, 9]);
    expect(ids({ t: { $gte: 1, $lte: 'zzz' } })).toEqual([]);
    expect(ids({ t: { $in: [7, 'text', day(9)] } })).toEqual([5, 6, 8]);
    for (const filter of [{ t: { $lt: day(6) } }, { t: { $gte: day(0), $lt: day(6) } }, { t: { $gt: 2, $lte: 7 } }]) {
      const scanned = withLevers(GENERAL_PATH, () => engine.find('db', 'c', { filter, hint: { $natural: 1 } }).map((doc) => doc._id));
      expect(ids(filter)).toEqual(scanned);
    }
  });

  it('counts an index multikey as MongoDB does, for an array of one element or none, and then never walks it', () => {
    const engine = mixed();
    expect(engine.find('db', 'c', { filter: { t: { $gte: 0, $lte: 10 } } }).map((doc) => doc._id)).toEqual([5, 9]);
    engine.insert('db', 'c', [{ _id: 10, t: [4] }, { _id: 11, t: [] }], true);
    expect(engine.find('db', 'c', { filter: { t: { $gte: 0, $lte: 10 } } }).map((doc) => doc._id)).toEqual([5, 9, 10]);
    expect(engine.lastReport?.access.stage).toBe('COLLSCAN');
    // An empty array is not null to MongoDB's equality, though its index key is.
    expect(engine.find('db', 'c', { filter: { t: null } }).map((doc) => doc._id)).toEqual([3, 4]);
  });
});

describe('$group', () => {
  it('groups by a document _id whose constant fields do not split groups, and shows a missing field as null', () => {
    const engine = reports(200);
    engine.insert('db', 'reports', [{ _id: 'x', status: 'submitted' }], true);
    const rows = engine.aggregate('db', 'reports', [
      { $match: { status: { $ne: 'draft' } } },
      { $group: { _id: { group: null, taxpayerId: '$taxpayerId' }, filed: { $sum: 1 } } },
      { $group: { _id: '$_id.group', taxpayers: { $sum: 1 }, filed: { $sum: '$filed' } } },
    ]);
    // 45 taxpayers have submitted reports (those of the other 5 are all drafts), and the added report has none.
    expect(rows).toEqual([{ _id: null, taxpayers: 46, filed: 181 }]);
    const missing = engine.aggregate('db', 'reports', [{ $match: { _id: 'x' } }, { $group: { _id: { a: '$nope', s: '$status' } } }]);
    expect(missing).toEqual([{ _id: { a: null, s: 'submitted' } }]);
  });

  it('puts equal ObjectIds in one group whatever their instances, also after the documents are replaced', () => {
    const engine = createEngine();
    const hex = '65a000000000000000000001';
    engine.insert('db', 'c', [{ o: new ObjectId(hex), v: 1 }, { o: new ObjectId(hex), v: 2 }, { o: new ObjectId(), v: 4 }], true);
    const group = () => engine.aggregate('db', 'c', [{ $group: { _id: '$o', v: { $sum: '$v' } } }, { $sort: { v: 1 } }]).map((row) => row.v);
    expect(group()).toEqual([3, 4]);
    engine.update('db', 'c', [{ q: { v: 4 }, u: { $set: { o: new ObjectId(hex) } } }], true);
    expect(group()).toEqual([7]);
  });

  it('leaves missing values out of $push and $addToSet and gives null for them to $first and $last, as MongoDB does', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1 }, { _id: 2, a: 5 }, { _id: 3, a: Long.fromNumber(5) }, { _id: 4, a: null }], true);
    const [row] = engine.aggregate('db', 'c', [
      { $sort: { _id: 1 } },
      { $group: { _id: null, pushed: { $push: '$a' }, set: { $addToSet: '$a' }, first: { $first: '$a' }, last: { $last: '$b' } } },
    ]);
    expect(row).toEqual({ _id: null, pushed: [5, Long.fromNumber(5), null], set: [5, null], first: null, last: null });
  });

  it('sums exactly across numeric types and counts constants as the general path does', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ v: 0.1 }, { v: Long.fromNumber(2) }, { v: Decimal128.fromString('0.25') }, { v: 'text' }, { v: [1] }], true);
    const pipeline = [{ $group: { _id: null, total: { $sum: '$v' }, avg: { $avg: '$v' }, tenths: { $sum: 0.1 }, n: { $count: {} } } }];
    const fast = engine.aggregate('db', 'c', pipeline);
    expect(fast).toEqual(withLevers(GENERAL_PATH, () => engine.aggregate('db', 'c', pipeline)));
    expect(String(fast[0].total)).toBe('2.35');
    expect(fast[0].n).toBe(5);
  });
});

describe('compiled expressions', () => {
  it('hands values they do not compute to the general path, one document at a time, with the same results and errors', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [{ _id: 1, a: 2, b: Long.fromNumber(3), s: 'x', n: 2.5 }, { _id: 2, a: 2, b: 4, s: [1, 2], n: null }], true);
    const run = (expression: unknown) => engine.aggregate('db', 'c', [{ $group: { _id: '$_id', v: { $first: expression } } }, { $sort: { _id: 1 } }]);
    const outcome = (expression: unknown) => {
      try {
        return { value: run(expression) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const expressions = [
      { $multiply: ['$a', '$n'] },
      { $multiply: ['$a', '$b'] },
      { $add: ['$a', '$b', 1] },
      { $subtract: ['$n', '$a'] },
      { $cond: [{ $gt: ['$b', 3] }, '$s', 'none'] },
      { $size: '$s' },
      { $in: ['$a', '$s'] },
    ];
    for (const expression of expressions) expect(outcome(expression)).toEqual(withLevers(GENERAL_PATH, () => outcome(expression)));
    expect(outcome({ $multiply: ['$a', '$n'] })).toEqual({ value: [{ _id: 1, v: 5 }, { _id: 2, v: null }] });
    expect(outcome({ $size: '$s' })).toMatchObject({ error: expect.stringContaining('$size') });
  });
});

describe('projections', () => {
  const doc = { _id: 1, b: 2, a: 1, c: { d: 1, e: 2 }, arr: [{ d: 1, e: 2 }, 3, [{ d: 5 }], { e: 9 }] };

  it('keeps the document order with _id first, and follows dotted paths through documents and arrays', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [doc, { _id: 2 }], true);
    const project = (projection: Document) => engine.find('db', 'c', { projection });
    expect(Object.keys(project({ a: 1, b: 1 })[0])).toEqual(['_id', 'b', 'a']);
    expect(project({ 'arr.d': 1, 'c.x': 1 })).toEqual([{ _id: 1, c: {}, arr: [{ d: 1 }, [{ d: 5 }], {}] }, { _id: 2 }]);
    expect(project({ _id: 0, c: 0, arr: 0 })).toEqual([{ b: 2, a: 1 }, {}]);
    for (const projection of [{ a: 1 }, { 'arr.d': 1, 'c.x': 1 }, { _id: 0, c: 0 }, { _id: 1 }, { 'c.e': 1, a: true }]) {
      expect(project(projection)).toEqual(withLevers(GENERAL_PATH, () => project(projection)));
    }
  });

  it('leaves mixed and colliding projections to mingo, which refuses them', () => {
    const engine = createEngine();
    engine.insert('db', 'c', [doc], true);
    expect(() => engine.find('db', 'c', { projection: { a: 1, b: 0 } })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => engine.find('db', 'c', { projection: { 'c.d': 1, c: 1 } })).toThrow(/Path collision/);
  });
});

describe('inside a transaction', () => {
  it('merges its own versions into a walk read in natural order, and hides the committed ones they replace', () => {
    const engine = reports(300);
    const transaction = engine.beginTransaction();
    const inside = engine.operations(transaction);
    const filter = { paidAt: { $gte: day(0), $lt: day(10) } };
    inside.update('db', 'reports', [{ q: { _id: 5 }, u: { $set: { paidAt: day(200) } } }], true);
    inside.update('db', 'reports', [{ q: { _id: 250 }, u: { $set: { paidAt: day(3) } } }], true);
    inside.insert('db', 'reports', [{ _id: 'new', paidAt: day(4) }], true);
    inside.delete('db', 'reports', [{ q: { _id: 1 }, limit: 1 }], true);
    const ids = inside.find('db', 'reports', { filter }).map((doc) => doc._id);
    expect(ids).toEqual([0, 2, 3, 4, 6, 7, 8, 9, 250, 'new']);
    expect(engine.find('db', 'reports', { filter }).map((doc) => doc._id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(withLevers(GENERAL_PATH, () => inside.find('db', 'reports', { filter, hint: { $natural: 1 } }).map((doc) => doc._id))).toEqual(ids);
    transaction.abort();
  });
});
