import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo';
import { loadDefinition } from '../definitions';
import type { AgencyDefinition } from './agency';
import { connectAgencyDatabase } from './database';
import { reportedYears } from './pillar';
import { CITY, figuresKey, readModelModels, type ReadModelModels } from './readModel';
import { copyFigures, saveSample } from './sample';
import { TEST_SECRETS } from './testing';

/**
 * The sample as npm start's first start writes it: the records first, then the read model, built from the same
 * sample elsewhere and copied in while the graph already serves. Health's sample is small enough to write here.
 */
let directory: string;
let definition: AgencyDefinition<any, any>;
let store: EmbeddedMongo;

beforeAll(async () => {
  directory = path.join(await mkdtemp(path.join(os.tmpdir(), 'kediri-sample-test-')), 'health');
  definition = await loadDefinition('health');
  await saveSample(definition, directory, TEST_SECRETS, { figures: false });
  store = await startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} });
});

afterAll(async () => {
  await store?.stop();
  await rm(path.dirname(directory), { recursive: true, force: true });
});

async function withModels<T>(use: (models: ReadModelModels & Record<string, any>) => Promise<T>): Promise<T> {
  const connection = await connectAgencyDatabase('health', store.uri);
  try {
    return await use({ ...definition.models(connection), ...readModelModels(connection) });
  } finally {
    await connection.close();
  }
}

describe('a sample written without its figures', () => {
  it('holds the records and the pillar version, and no year of figures', async () => {
    await withModels(async (models) => {
      expect(await models.Visit.estimatedDocumentCount()).toBeGreaterThan(1_000);
      expect(await models.Figures.countDocuments()).toBe(0);
      expect((await models.DataVersion.findById('health').lean())?.pillarVersion).toBe(definition.pillar!.definition.version);
    });
  });

  it('gets every year it had not built copied in, newest first, and keeps the year it had built itself', async () => {
    const builtHere = reportedYears().at(-3) as number;
    const before = await withModels(async (models) => {
      await definition.pillar!.rebuild(models, [builtHere]);
      return (await models.Figures.findById(figuresKey(builtHere, CITY)).lean())?.refreshedAt;
    });
    expect(before).toBeInstanceOf(Date);

    const copied = await copyFigures(definition, directory, store.uri);
    expect(copied).toEqual(reportedYears().filter((year) => year !== builtHere).reverse());

    await withModels(async (models) => {
      expect((await models.Figures.findById(figuresKey(builtHere, CITY)).lean())?.refreshedAt).toEqual(before);
      expect(await definition.pillar!.check(models)).toEqual([]);
    });
    // A second copy finds every year built and copies nothing.
    expect(await copyFigures(definition, directory, store.uri)).toEqual([]);
  });
});
