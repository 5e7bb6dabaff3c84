import type { Model } from 'mongoose';

/**
 * Writes sample data through the driver in chunks. Seeds build documents of the stored shape with the same
 * rule functions the mutations use, so casting tens of thousands of them one by one through mongoose would
 * cost far more than the insert itself. The first few of each collection are still validated against the
 * model, which catches a seed that has drifted from its schema before anything is written.
 */
const CHUNK = 5_000;
const VALIDATED_SAMPLE = 3;

export async function insertSeed(model: Model<any>, docs: readonly object[]): Promise<number> {
  for (const doc of docs.slice(0, VALIDATED_SAMPLE)) await new model(doc).validate();
  for (let start = 0; start < docs.length; start += CHUNK) {
    await model.collection.insertMany(docs.slice(start, start + CHUNK) as object[], { ordered: true });
  }
  return docs.length;
}
