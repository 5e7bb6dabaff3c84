import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, Types, type Connection, type Model, type PipelineStage } from 'mongoose';
import { GENERAL_PATH, withLevers } from '../engine/levers';
import { EMBEDDED, startTarget, type Target } from './target';

/**
 * The shapes of the agencies' scorecard aggregations (a ranged `$match` with `$ne` and `$in`, a `$group` by a document
 * `_id` with a `$cond` sum, a second `$group`), the finds and counts tests pick records with, and the MongoDB rules the
 * store's fast paths follow where mingo's would not: checked against figures computed here from the documents, over
 * the wire, outside and inside a transaction. On the embedded store the same requests are also answered with every
 * fast path off, and must come out the same.
 */
let target: Target;
let connection: Connection;

interface Report {
  kelurahanCode: string;
  period: string;
  status: string;
  taxpayerId: Types.ObjectId;
  filedOnTime: boolean;
  taxDue: number;
}

const reportSchema = new Schema<Report>({
  kelurahanCode: String,
  period: String,
  status: String,
  taxpayerId: Schema.Types.ObjectId,
  filedOnTime: Boolean,
  taxDue: Number,
});
reportSchema.index({ kelurahanCode: 1, period: 1, status: 1 });
reportSchema.index({ period: 1, status: 1 });

let Reports: Model<Report>;
const docs: Report[] = [];
const TAXPAYERS = Array.from({ length: 30 }, () => new Types.ObjectId());
const CODES = ['35.71.01.1001', '35.71.01.1002', '35.71.02.1001', '35.71.03.1004'];

beforeAll(async () => {
  target = await startTarget('scorecard');
  connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
  Reports = connection.model('Report', reportSchema);
  await Reports.init();
  for (let i = 0; i < 1200; i++) {
    docs.push({
      kelurahanCode: CODES[i % CODES.length],
      period: `${2023 + (i % 3)}-${String((i % 12) + 1).padStart(2, '0')}`,
      status: ['draft', 'submitted', 'verified'][i % 3 === 0 && i % 2 === 0 ? 0 : (i % 2) + 1],
      taxpayerId: TAXPAYERS[(i * 7) % TAXPAYERS.length],
      filedOnTime: i % 5 !== 0,
      taxDue: 1000 + (i % 13) * 250,
    });
  }
  await Reports.insertMany(docs);
});

afterAll(async () => {
  await connection?.close();
  await target?.stop();
});

/** The tax agency's report tally: per group and taxpayer first, then per group. */
function tally(year: number, codes?: string[]): PipelineStage[] {
  return [
    { $match: { ...(codes ? { kelurahanCode: { $in: codes } } : {}), period: { $gte: `${year}-01`, $lte: `${year}-12` }, status: { $ne: 'draft' } } },
    {
      $group: {
        _id: { group: codes ? '$kelurahanCode' : null, taxpayerId: '$taxpayerId' },
        filed: { $sum: 1 },
        onTime: { $sum: { $cond: [{ $eq: ['$filedOnTime', true] }, 1, 0] } },
        taxDue: { $sum: '$taxDue' },
      },
    },
    { $group: { _id: '$_id.group', reportsFiled: { $sum: '$filed' }, onTime: { $sum: '$onTime' }, taxDue: { $sum: '$taxDue' }, taxpayers: { $sum: 1 } } },
    { $sort: { _id: 1 } },
  ];
}

/** The same tally computed here, from the documents as inserted. */
function expectedTally(year: number, codes?: string[]) {
  const groups = new Map<string | null, { reportsFiled: number; onTime: number; taxDue: number; taxpayers: Set<string> }>();
  for (const doc of docs) {
    if (!doc.period.startsWith(`${year}-`) || doc.status === 'draft' || (codes && !codes.includes(doc.kelurahanCode))) continue;
    const key = codes ? doc.kelurahanCode : null;
    const group = groups.get(key) ?? { reportsFiled: 0, onTime: 0, taxDue: 0, taxpayers: new Set() };
    groups.set(key, group);
    group.reportsFiled++;
    if (doc.filedOnTime) group.onTime++;
    group.taxDue += doc.taxDue;
    group.taxpayers.add(String(doc.taxpayerId));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([_id, { taxpayers, ...figures }]) => ({ _id, ...figures, taxpayers: taxpayers.size }));
}

/** On the embedded store, a request answered with every fast path off as well, which must answer the same. */
async function bothWays<T>(run: () => Promise<T>): Promise<T> {
  const fast = await run();
  if (EMBEDDED) {
    const general = await withLevers(GENERAL_PATH, run);
    expect(fast).toEqual(general);
  }
  return fast;
}

describe('scorecard aggregations', () => {
  it('tallies a city-year and every kelurahan of a year', async () => {
    expect(await bothWays(() => Reports.aggregate(tally(2024)))).toEqual(expectedTally(2024));
    expect(await bothWays(() => Reports.aggregate(tally(2024, CODES)))).toEqual(expectedTally(2024, CODES));
    expect(await bothWays(() => Reports.aggregate(tally(2025, [CODES[1]])))).toEqual(expectedTally(2025, [CODES[1]]));
  });

  it('tallies inside a transaction, its own write included and nobody else seeing it', async () => {
    const extra: Report = { kelurahanCode: CODES[2], period: '2024-05', status: 'submitted', taxpayerId: new Types.ObjectId(), filedOnTime: false, taxDue: 99 };
    const session = await connection.startSession();
    try {
      session.startTransaction();
      await Reports.create([extra], { session });
      const inside = await bothWays(() => Reports.aggregate(tally(2024, CODES)).session(session));
      docs.push(extra);
      expect(inside).toEqual(expectedTally(2024, CODES));
      docs.pop();
      expect(await Reports.aggregate(tally(2024, CODES))).toEqual(expectedTally(2024, CODES));
    } finally {
      await session.abortTransaction();
      await session.endSession();
    }
  });

  it('picks ids and counts a range, as tests do', async () => {
    const ids = await bothWays(() => Reports.find({}, { _id: 1 }).lean());
    expect(ids).toHaveLength(docs.length);
    expect(Object.keys(ids[0])).toEqual(['_id']);
    const inRange = docs.filter((doc) => doc.period >= '2024-03' && doc.period <= '2024-09').length;
    expect(await bothWays(() => Reports.countDocuments({ period: { $gte: '2024-03', $lte: '2024-09' } }))).toBe(inRange);
  });
});

describe('MongoDB rules the fast paths follow', () => {
  it('leaves missing values out of $push and $addToSet, and shows a missing field of a document _id as null', async () => {
    const items = connection.collection('rules');
    await items.insertMany([{ g: 1, v: 2 }, { g: 1 }, { g: 1, v: 2 }, { g: 1, v: null }]);
    const [row] = await items.aggregate([{ $group: { _id: { g: '$g', missing: '$nope' }, pushed: { $push: '$v' }, set: { $addToSet: '$v' } } }]).toArray();
    expect(row._id).toEqual({ g: 1, missing: null });
    expect(row.pushed).toEqual([2, 2, null]);
    expect([...row.set].sort()).toEqual([2, null]);
  });

  it('projects dotted paths through arrays: documents kept and projected, other elements dropped', async () => {
    const items = connection.collection('schedules');
    await items.insertOne({ _id: 'loan' as never, code: 'K1', instalments: [{ due: 1, amount: 5, paid: true }, 7, [{ due: 2, other: 1 }], { other: 3 }] });
    const [loan] = await items.find({ _id: 'loan' as never }, { projection: { code: 1, 'instalments.due': 1, 'instalments.amount': 1 } }).toArray();
    expect(loan).toEqual({ _id: 'loan', code: 'K1', instalments: [{ due: 1, amount: 5 }, [{ due: 2 }], {}] });
  });
});
