import DataLoader from 'dataloader';
import type { FilterQuery, Model } from 'mongoose';

/**
 * DataLoader factories shared by every agency. Each turns the keys gathered during one tick of resolution
 * into ONE `$in` query, so resolving 46 kelurahan or 100 reports costs one round trip, not one per key.
 * They are built per request (in each agency's loaders.ts), so nothing is cached across callers.
 */

/** One record per key, e.g. a taxpayer by NPWPD; a missing key resolves to null. */
export function oneByField<T extends Record<string, unknown>>(
  model: Model<any>,
  field: string,
  scope: FilterQuery<any> = {},
): DataLoader<string, T | null> {
  return new DataLoader(async (keys) => {
    const docs = await model.find({ ...scope, [field]: { $in: keys } }).lean<T[]>();
    const byKey = new Map(docs.map((doc) => [String(doc[field]), doc]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Every record per key, e.g. the reports of a tax object, in the order `sort` gives. */
export function manyByField<T extends Record<string, unknown>>(
  model: Model<any>,
  field: string,
  options: { scope?: FilterQuery<any>; sort?: Record<string, 1 | -1> } = {},
): DataLoader<string, T[]> {
  return new DataLoader(async (keys) => {
    const docs = await model
      .find({ ...(options.scope ?? {}), [field]: { $in: keys } })
      .sort(options.sort ?? { _id: 1 })
      .lean<T[]>();
    const byKey = new Map<string, T[]>(keys.map((key) => [key, []]));
    for (const doc of docs) byKey.get(String(doc[field]))?.push(doc);
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

/**
 * A batch function over composite keys (such as kelurahan and year) answered by one aggregation. The keys
 * are strings made by `compositeKey`, so DataLoader's cache compares them by value.
 */
export function compositeKey(...parts: (string | number)[]): string {
  return parts.join('|');
}

export function splitKey(key: string): string[] {
  return key.split('|');
}
