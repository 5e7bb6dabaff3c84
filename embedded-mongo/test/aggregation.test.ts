import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { startTarget, type Target } from './target';

let target: Target;
let connection: Connection;
const reportSchema = new Schema({
  district: { type: String, required: true },
  kind: { type: String, required: true },
  severity: { type: Number, required: true },
  tags: [String],
});
const districtSchema = new Schema({ _id: { type: String, required: true }, mayor: String, population: Number });

let Report: Model<InferSchemaType<typeof reportSchema>>;
let District: Model<InferSchemaType<typeof districtSchema>>;

beforeAll(async () => {
  target = await startTarget('aggregation');
  connection = await mongoose.createConnection(target.uri, { dbName: target.dbName }).asPromise();
  Report = connection.model('Report', reportSchema);
  District = connection.model('District', districtSchema);
  await District.create([
    { _id: 'kota', mayor: 'A', population: 100 },
    { _id: 'mojoroto', mayor: 'B', population: 200 },
    { _id: 'pesantren', mayor: 'C', population: 150 },
  ]);
  await Report.create([
    { district: 'kota', kind: 'flood', severity: 3, tags: ['water', 'road'] },
    { district: 'kota', kind: 'fire', severity: 5, tags: ['urgent'] },
    { district: 'mojoroto', kind: 'flood', severity: 2, tags: ['water'] },
    { district: 'mojoroto', kind: 'flood', severity: 4, tags: [] },
    { district: 'pesantren', kind: 'noise', severity: 1, tags: ['night', 'road'] },
  ]);
});

afterAll(async () => {
  await connection?.close();
  await target?.stop();
});

describe('Model.aggregate', () => {
  it('$match, $group, $sort, $skip, $limit', async () => {
    const result = await Report.aggregate([
      { $match: { severity: { $gte: 2 } } },
      { $group: { _id: '$district', total: { $sum: '$severity' }, reports: { $sum: 1 } } },
      { $sort: { total: -1 } },
      { $skip: 0 },
      { $limit: 2 },
    ]);
    expect(result).toEqual([
      { _id: 'kota', total: 8, reports: 2 },
      { _id: 'mojoroto', total: 6, reports: 2 },
    ]);
  });

  it('$project, $addFields, $set and $unset', async () => {
    const result = await Report.aggregate([
      { $match: { kind: 'fire' } },
      { $project: { _id: 0, district: 1, severity: 1, kind: 1 } },
      { $addFields: { doubled: { $multiply: ['$severity', 2] } } },
      { $set: { label: { $concat: ['$district', ':', '$kind'] } } },
      { $unset: 'kind' },
    ]);
    expect(result).toEqual([{ district: 'kota', severity: 5, doubled: 10, label: 'kota:fire' }]);
  });

  it('$unwind and $count', async () => {
    const tags = await Report.aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(tags).toEqual([
      { _id: 'night', n: 1 },
      { _id: 'road', n: 2 },
      { _id: 'urgent', n: 1 },
      { _id: 'water', n: 2 },
    ]);
    expect(await Report.aggregate([{ $match: { kind: 'flood' } }, { $count: 'floods' }])).toEqual([{ floods: 3 }]);
  });

  it('$lookup another collection and $replaceRoot', async () => {
    const result = await Report.aggregate([
      { $match: { kind: 'noise' } },
      { $lookup: { from: District.collection.name, localField: 'district', foreignField: '_id', as: 'place' } },
      { $unwind: '$place' },
      { $replaceRoot: { newRoot: '$place' } },
    ]);
    expect(result).toEqual([{ _id: 'pesantren', mayor: 'C', population: 150, __v: 0 }]);
  });

  it('$facet', async () => {
    const [facets] = await Report.aggregate([
      {
        $facet: {
          byKind: [{ $group: { _id: '$kind', n: { $sum: 1 } } }, { $sort: { n: -1, _id: 1 } }],
          worst: [{ $sort: { severity: -1 } }, { $limit: 1 }, { $project: { _id: 0, kind: 1 } }],
        },
      },
    ]);
    expect(facets.byKind).toEqual([
      { _id: 'flood', n: 3 },
      { _id: 'fire', n: 1 },
      { _id: 'noise', n: 1 },
    ]);
    expect(facets.worst).toEqual([{ kind: 'fire' }]);
  });

  it('returns large results through a cursor', async () => {
    const Many = connection.model('Many', new Schema({ i: Number }));
    await Many.insertMany(Array.from({ length: 450 }, (_, i) => ({ i })));
    const all = await Many.aggregate([{ $sort: { i: -1 } }, { $project: { _id: 0, i: 1 } }]).cursor({ batchSize: 50 });
    const seen: number[] = [];
    for await (const doc of all) seen.push(doc.i);
    expect(seen).toHaveLength(450);
    expect(seen[0]).toBe(449);
  });

  it('never changes stored documents', async () => {
    const before = await Report.find().sort({ _id: 1 }).lean();
    await Report.aggregate([
      { $unwind: '$tags' },
      { $set: { severity: 0, district: 'changed' } },
      { $project: { tags: 0 } },
    ]);
    await Report.aggregate([{ $replaceRoot: { newRoot: { x: 1 } } }]);
    const after = await Report.find().sort({ _id: 1 }).lean();
    expect(after).toEqual(before);
  });
});
