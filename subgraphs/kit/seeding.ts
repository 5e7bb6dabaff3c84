import type { Connection, Model } from 'mongoose';
import type { AgencyDefinition, ModelMap, Secrets } from './agency';
import { connectAgencyDatabase, ensureIndexes } from './database';
import { readModelModels, type ReadModelModels } from './readModel';

/**
 * Sample data and the read model built from it. Seeds build documents of the stored shape with the same
 * rule functions the mutations use, so casting tens of thousands of them one by one through mongoose would
 * cost far more than the insert itself; the first few of each collection are still validated against the
 * model, which catches a seed that has drifted from its schema before anything is written.
 */
const CHUNK = 5_000;
const VALIDATED_SAMPLE = 3;

/** Connections to an in-memory store in this process, whose seeds it bulk-loads (see sample.ts). */
const bulkLoads = new WeakMap<Connection, (collection: string, docs: readonly object[]) => number>();

/** From now on, the seeds written through `connection` go to `load` instead of through the driver. */
export function bulkLoadSeeds(connection: Connection, load: (collection: string, docs: readonly object[]) => number): void {
  bulkLoads.set(connection, load);
}

export async function insertSeed(model: Model<any>, docs: readonly object[]): Promise<number> {
  for (const doc of docs.slice(0, VALIDATED_SAMPLE)) await new model(doc).validate();
  const load = bulkLoads.get(model.db);
  if (load) return load(model.collection.collectionName, docs);
  for (let start = 0; start < docs.length; start += CHUNK) {
    await model.collection.insertMany(docs.slice(start, start + CHUNK) as object[], { ordered: true });
  }
  return docs.length;
}

/**
 * Seeds an agency's database when every one of its own collections is empty, then builds its read model
 * from what was written; a database with any data is left as it is. Returns what was written, or
 * undefined when nothing was.
 */
export async function seedIfEmpty<Models extends ModelMap>(
  definition: AgencyDefinition<Models, any>,
  models: Models & ReadModelModels,
  secrets: Secrets,
  options: SampleOptions = {},
): Promise<Record<string, number> | undefined> {
  if (!definition.seed) return undefined;
  const own = Object.entries(models).filter(([key]) => key !== 'Figures' && key !== 'DataVersion');
  for (const [, model] of own) if ((await model.estimatedDocumentCount()) > 0) return undefined;
  const written = await definition.seed(models, secrets);
  if (options.figures === false) await recordPillarVersion(definition, models);
  else await rebuildReadModel(definition, models);
  return written;
}

export interface SampleOptions {
  /**
   * Whether the read model is built with the sample (the default). Without it no year is built yet, which is exact
   * all the same: a year is built by its first read or write, unless its figures are copied in first (see sample.ts).
   */
  figures?: boolean;
}

/** Rebuilds the agency's figures from its raw records and records which pillar version computed them. */
export async function rebuildReadModel<Models extends ModelMap>(
  definition: AgencyDefinition<Models, any>,
  models: Models & ReadModelModels,
): Promise<number> {
  const pillar = definition.pillar;
  if (!pillar) return 0;
  const written = await pillar.rebuild(models);
  await recordPillarVersion(definition, models);
  return written;
}

/** Records which version of the pillar the stored figures follow, so that a start does not rebuild them. */
async function recordPillarVersion<Models extends ModelMap>(definition: AgencyDefinition<Models, any>, models: Models & ReadModelModels): Promise<void> {
  if (!definition.pillar) return;
  await models.DataVersion.updateOne(
    { _id: definition.name },
    { $set: { pillarVersion: definition.pillar.definition.version, changedAt: new Date() }, $inc: { version: 1 } },
    { upsert: true },
  );
}

/**
 * At start: when the stored figures were computed by another version of the pillar (or never), rebuilds
 * them. Returns how many figure documents were written, or undefined when the read model was current.
 */
export async function ensureReadModel<Models extends ModelMap>(
  definition: AgencyDefinition<Models, any>,
  models: Models & ReadModelModels,
): Promise<number | undefined> {
  if (!definition.pillar) return undefined;
  const stored = await models.DataVersion.findById(definition.name).lean();
  if (stored?.pillarVersion === definition.pillar.definition.version) return undefined;
  return rebuildReadModel(definition, models);
}

/**
 * Seeds one agency's database at `mongoUri` when it is empty, and makes sure its read model is current.
 * `npm run seed` and the test suite's global setup use it; a subgraph seeds itself only when told to.
 */
export async function seedDatabase<Models extends ModelMap>(
  definition: AgencyDefinition<Models, any>,
  mongoUri: string,
  secrets: Secrets,
): Promise<{ written?: Record<string, number>; figures?: number }> {
  const connection = await connectAgencyDatabase(definition.name, mongoUri);
  try {
    const models = { ...definition.models(connection), ...readModelModels(connection) } as Models & ReadModelModels;
    await ensureIndexes(models);
    const written = await seedIfEmpty(definition, models, secrets);
    const figures = await ensureReadModel(definition, models);
    return { written, figures };
  } finally {
    await connection.close();
  }
}
