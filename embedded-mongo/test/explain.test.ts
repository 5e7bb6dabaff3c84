import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, ObjectId, type Collection, type Db, type Document } from 'mongodb';
import mongoose, { Schema, type Connection } from 'mongoose';
import { EMBEDDED, startTarget, type Target } from './target';

/**
 * explain through the driver and mongoose: the plan is the one the store really runs, so a test can assert that a
 * paged list is served by an index (no COLLSCAN, no SORT) and see how much it examined.
 */
let target: Target;
let client: MongoClient;
let db: Db;
let residents: Collection;
const KELURAHAN = ['BANDAR', 'NGRONGGO', 'SETONO', 'POCANAN'];
let ids: ObjectId[];

beforeAll(async () => {
  target = await startTarget('explain');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  residents = db.collection('residents');
  const docs = Array.from({ length: 400 }, (_, i) => ({ _id: new ObjectId(), kelurahanCode: KELURAHAN[i % 4], age: i % 90, name: `warga ${i}` }));
  ids = docs.map((d) => d._id);
  await residents.insertMany(docs);
  await residents.createIndexes([{ key: { kelurahanCode: 1, _id: 1 } }, { key: { age: 1 } }]);
});

afterAll(async () => {
  await client?.close();
  await target?.stop();
});

/** The stage names of a plan from the top down, following inputStage. */
function stages(plan: Document): string[] {
  const names: string[] = [];
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) names.push(stage.stage as string);
  return names;
}

function find(plan: Document, name: string): Document | undefined {
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) if (stage.stage === name) return stage;
  return undefined;
}

describe('explain of find', () => {
  it('serves a keyset page (equality prefix, range on _id, sort by _id, limit) from a compound index without a sort', async () => {
    const sorted = ids.filter((_, i) => i % 4 === 1).sort((a, b) => a.toHexString().localeCompare(b.toHexString()));
    const after = sorted[30];
    const explained = await residents
      .find({ kelurahanCode: 'NGRONGGO', _id: { $gt: after } })
      .sort({ _id: 1 })
      .limit(21)
      .explain('executionStats');
    const plan = explained.queryPlanner.winningPlan;
    expect(stages(plan)).not.toContain('COLLSCAN');
    expect(stages(plan)).not.toContain('SORT');
    expect(find(plan, 'IXSCAN')).toMatchObject({ indexName: 'kelurahanCode_1__id_1', keyPattern: { kelurahanCode: 1, _id: 1 } });
    expect(explained.executionStats.nReturned).toBe(21);
    if (EMBEDDED) {
      expect(stages(plan)).toEqual(['LIMIT', 'FETCH', 'IXSCAN']);
      expect(explained.executionStats.totalKeysExamined).toBe(21);
      expect(explained.executionStats.totalDocsExamined).toBe(21);
    }
    const page = await residents.find({ kelurahanCode: 'NGRONGGO', _id: { $gt: after } }).sort({ _id: 1 }).limit(21).toArray();
    expect(page.map((d) => d._id.toHexString())).toEqual(sorted.slice(31, 52).map((id) => id.toHexString()));
  });

  it('walks the _id index backwards for a newest-first page with no filter', async () => {
    const explained = await residents.find({}).sort({ _id: -1 }).limit(5).explain('executionStats');
    const plan = explained.queryPlanner.winningPlan;
    expect(stages(plan)).not.toContain('SORT');
    expect(find(plan, 'IXSCAN')).toMatchObject({ indexName: '_id_', direction: 'backward' });
    expect(explained.executionStats.nReturned).toBe(5);
    if (EMBEDDED) expect(explained.executionStats.totalDocsExamined).toBe(5);
  });

  it('reports a collection scan when no index applies, with every document examined', async () => {
    const explained = await residents.find({ name: 'warga 7' }).explain('executionStats');
    expect(stages(explained.queryPlanner.winningPlan)).toEqual(['COLLSCAN']);
    expect(explained.executionStats.totalDocsExamined).toBe(400);
    expect(explained.executionStats.totalKeysExamined).toBe(0);
    expect(explained.executionStats.nReturned).toBe(1);
  });

  it('reports an in-memory SORT when the index finds the documents but not in the requested order', async () => {
    const explained = await residents.find({ kelurahanCode: 'SETONO' }).sort({ age: -1 }).limit(10).explain('executionStats');
    const plan = explained.queryPlanner.winningPlan;
    expect(stages(plan)).toContain('SORT');
    expect(stages(plan)).not.toContain('COLLSCAN');
    expect(find(plan, 'SORT')).toMatchObject({ sortPattern: { age: -1 } });
    expect(explained.executionStats.nReturned).toBe(10);
    if (EMBEDDED) expect(explained.executionStats.totalDocsExamined).toBe(100);
  });

  it('uses an index for a range, with its bounds', async () => {
    const explained = await residents.find({ age: { $gte: 10, $lt: 12 } }).explain('executionStats');
    const scan = find(explained.queryPlanner.winningPlan, 'IXSCAN');
    expect(scan).toMatchObject({ indexName: 'age_1' });
    expect(explained.executionStats.nReturned).toBe(10);
    if (EMBEDDED) {
      expect(scan?.indexBounds).toEqual({ age: ['[10, 12)'] });
      expect(explained.executionStats.totalKeysExamined).toBe(10);
    }
  });

  it('answers queryPlanner verbosity without executionStats, and an EOF plan for a missing collection', async () => {
    const explained = await residents.find({ kelurahanCode: 'BANDAR' }).explain('queryPlanner');
    expect(explained.queryPlanner.namespace).toBe(`${target.dbName}.residents`);
    expect(explained.executionStats).toBeUndefined();
    const missing = await db.collection('no_such_collection').find({ a: 1 }).explain('executionStats');
    expect(stages(missing.queryPlanner.winningPlan)).toEqual(['EOF']);
  });
});

describe('explain of aggregate and count', () => {
  it('explains the leading $match (and $sort and $limit) of a pipeline as the query it runs', async () => {
    const explained = await residents.aggregate([{ $match: { kelurahanCode: 'POCANAN' } }, { $group: { _id: '$age', n: { $sum: 1 } } }]).explain();
    const cursor = explained.stages?.[0]?.$cursor ?? explained;
    expect(stages(cursor.queryPlanner.winningPlan)).not.toContain('COLLSCAN');
    expect(find(cursor.queryPlanner.winningPlan, 'IXSCAN')).toMatchObject({ indexName: 'kelurahanCode_1__id_1' });
    if (EMBEDDED) expect(explained.stages[1]).toEqual({ $group: { _id: '$age', n: { $sum: 1 } } });

    const paged = await residents.aggregate([{ $match: { kelurahanCode: 'POCANAN' } }, { $sort: { _id: 1 } }, { $limit: 3 }]).explain('executionStats');
    const pagedCursor = paged.stages?.[0]?.$cursor ?? paged;
    expect(stages(pagedCursor.queryPlanner.winningPlan)).not.toContain('SORT');
    if (EMBEDDED) expect(pagedCursor.executionStats.totalDocsExamined).toBe(3);
  });

  it('explains count', async () => {
    const explained = await db.command({ explain: { count: 'residents', query: { age: 5 } }, verbosity: 'executionStats' });
    const plan = explained.queryPlanner.winningPlan;
    expect(plan.stage).toBe('COUNT');
    expect(stages(plan)).not.toContain('COLLSCAN');
    if (EMBEDDED) expect(explained.executionStats.executionStages.nCounted).toBe(5);
  });
});

describe('explain through mongoose', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('Model.find(...).explain() shows the index a paged list uses', async () => {
    const Resident = connection.model('Resident', new Schema({ kelurahanCode: String, age: Number, name: String }), 'residents');
    const explained = (await Resident.find({ kelurahanCode: 'BANDAR' }).sort({ _id: 1 }).limit(21).explain('executionStats')) as unknown as Document;
    const plan = explained.queryPlanner.winningPlan;
    expect(stages(plan)).not.toContain('COLLSCAN');
    expect(stages(plan)).not.toContain('SORT');
    expect(find(plan, 'IXSCAN')?.indexName).toBe('kelurahanCode_1__id_1');
    expect(explained.executionStats.nReturned).toBe(21);
  });
});
