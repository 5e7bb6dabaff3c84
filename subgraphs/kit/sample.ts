import type { Connection } from 'mongoose';
import { startEmbeddedMongo } from '../../embedded-mongo';
import type { AgencyDefinition, ModelMap, Secrets } from './agency';
import { connectAgencyDatabase, databaseName, ensureIndexes } from './database';
import { reportedYears } from './pillar';
import { CITY, figuresKey, readModelModels, type ReadModelModels } from './readModel';
import { bulkLoadSeeds, seedIfEmpty, type SampleOptions } from './seeding';

/**
 * Writes one agency's sample data, and the read model built from it, into `directory` as a data directory closed
 * cleanly, which stores then start from or import (`loadFrom`): what `npm start` does on its first start, and the
 * test suite once per run. The seeds go into an in-memory store in this process without a client's round trip
 * (the store's `load`, which stores what an insert through the driver would); the read model is built through
 * mongoose as anywhere else.
 */
export async function saveSample<Models extends ModelMap>(
  definition: AgencyDefinition<Models, any>,
  directory: string,
  secrets: Secrets,
  options: SampleOptions = {},
): Promise<void> {
  const store = await startEmbeddedMongo({ port: 0, log: () => {} });
  try {
    const connection = await connectAgencyDatabase(definition.name, store.uri);
    try {
      const database = databaseName(definition.name);
      bulkLoadSeeds(connection, (collection, docs) => store.load(database, collection, docs as Record<string, unknown>[]));
      const models = { ...definition.models(connection), ...readModelModels(connection) } as Models & ReadModelModels;
      await ensureIndexes(models);
      await seedIfEmpty(definition, models, secrets, options);
    } finally {
      await connection.close();
    }
    await store.saveTo(directory);
  } finally {
    await store.stop();
  }
}

/**
 * For a sample written without its figures (`directory`) and since loaded into the store at `uri`: builds its read
 * model in an in-memory store of this process, from the same records, and copies it into the agency's database at
 * `uri` year by year, newest first. Each year goes in one transaction that first checks the year was not built there
 * meanwhile: a read or a write of a year builds it (and every write builds each year it changes), so a year still
 * unbuilt holds the records the copy was computed from, and a year built there is left as it is. Returns the years
 * copied. The launcher's first start runs it in the sample workers, so that the store serves while they compute.
 */
export async function copyFigures<Models extends ModelMap>(definition: AgencyDefinition<Models, any>, directory: string, uri: string): Promise<number[]> {
  const pillar = definition.pillar;
  if (!pillar) return [];
  const source = await startEmbeddedMongo({ port: 0, loadFrom: [directory], log: () => {} });
  const connections: Connection[] = [];
  try {
    const from = await connectAgencyDatabase(definition.name, source.uri);
    connections.push(from);
    const built = { ...definition.models(from), ...readModelModels(from) } as Models & ReadModelModels;
    await pillar.rebuild(built);
    const to = await connectAgencyDatabase(definition.name, uri);
    connections.push(to);
    const target = readModelModels(to);
    const copied: number[] = [];
    for (const year of reportedYears().reverse()) {
      const figures = await built.Figures.find({ year }).lean();
      const copiedYear = await to.transaction(async () => {
        if (await target.Figures.exists({ _id: figuresKey(year, CITY) })) return false;
        await target.Figures.insertMany(figures);
        return true;
      });
      if (copiedYear) copied.push(year);
    }
    return copied;
  } finally {
    for (const connection of connections) await connection.close();
    await source.stop();
  }
}
