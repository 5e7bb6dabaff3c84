import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from 'mongoose';
import { Schema } from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo';
import type { WriteUnitOutcome } from '../../platform/metrics';
import { connectAgencyDatabase } from './database';
import { readDataVersion, readModelModels } from './readModel';
import { runWriteUnit } from './writes';

/**
 * Write units that race: each reads a counter and writes it back one higher, as a mutation reads a balance or a
 * budget before it writes. Every unit raises the data version, so no two can commit side by side: within one
 * process they take turns and never run twice; between two processes (here two connections) they meet as write
 * conflicts and run again, and still each counts exactly once.
 */
let store: EmbeddedMongo;
const connections: Connection[] = [];

beforeAll(async () => {
  store = await startEmbeddedMongo({ port: 0, log: () => {} });
});

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await store?.stop();
});

const counterSchema = new Schema({ _id: String, n: Number, order: [Number] }, { versionKey: false });

async function agencyConnection() {
  const connection = await connectAgencyDatabase('writes-test', store.uri);
  connections.push(connection);
  const models = { ...readModelModels(connection), Counter: connection.model('Counter', counterSchema) };
  const outcomes: WriteUnitOutcome[] = [];
  const unit = (id: number, fail = false) =>
    runWriteUnit({ agency: 'writes-test', connection, models, observe: (outcome) => outcomes.push(outcome) }, async () => {
      const counter = await models.Counter.findById('c').lean<{ n: number; order: number[] }>();
      if (fail) throw new Error(`unit ${id} refused`);
      await models.Counter.updateOne({ _id: 'c' }, { $set: { n: (counter?.n ?? 0) + 1, order: [...(counter?.order ?? []), id] } }, { upsert: true });
      return id;
    });
  return { models, outcomes, unit };
}

const count = (outcomes: WriteUnitOutcome[], outcome: WriteUnitOutcome) => outcomes.filter((item) => item === outcome).length;

describe('write units that race for the same records', () => {
  it('take turns within one process, in the order they came: each runs once and counts once', async () => {
    const { models, outcomes, unit } = await agencyConnection();
    await models.Counter.deleteMany({});
    const before = await readDataVersion(models, 'writes-test');
    const ids = Array.from({ length: 12 }, (_, index) => index);
    expect(await Promise.all(ids.map((id) => unit(id)))).toEqual(ids);
    expect(await models.Counter.findById('c').lean()).toMatchObject({ n: 12, order: ids });
    expect([count(outcomes, 'committed'), count(outcomes, 'retried'), count(outcomes, 'failed')]).toEqual([12, 0, 0]);
    expect(await readDataVersion(models, 'writes-test')).toBe(before + 12);
  });

  it('hand the turn on when one fails', async () => {
    const { models, outcomes, unit } = await agencyConnection();
    await models.Counter.deleteMany({});
    const results = await Promise.allSettled([unit(1), unit(2, true), unit(3)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await models.Counter.findById('c').lean()).toMatchObject({ n: 2, order: [1, 3] });
    expect(count(outcomes, 'failed')).toBe(1);
  });

  it('from two processes meet as write conflicts, run again after a pause, and each still counts exactly once', async () => {
    const [one, two] = [await agencyConnection(), await agencyConnection()];
    await one.models.Counter.deleteMany({});
    const ids = Array.from({ length: 8 }, (_, index) => index);
    await Promise.all(ids.flatMap((id) => [one.unit(id), two.unit(100 + id)]));
    const counter = await one.models.Counter.findById('c').lean<{ n: number; order: number[] }>();
    expect(counter?.n).toBe(16);
    expect([...(counter?.order ?? [])].sort((a, b) => a - b)).toEqual([...ids, ...ids.map((id) => 100 + id)]);
    expect(count(one.outcomes, 'committed') + count(two.outcomes, 'committed')).toBe(16);
    expect(count(one.outcomes, 'retried') + count(two.outcomes, 'retried')).toBeGreaterThan(0);
  });
});
