import { Aggregator } from 'mingo/aggregator';
import { OpType } from 'mingo/core';
import { deepClone } from './clone';
import { mongoError } from './errors';
import { storeContext } from './operators';
import { mingoOptions, toMongoError, USE_REAL_MONGODB } from './query';
import type { Document } from './types';

/** MongoDB stages the store refuses: they write to or read from server state that it does not keep. */
const UNSUPPORTED_STAGES = new Set([
  '$out', '$merge', '$geoNear', '$search', '$searchMeta', '$vectorSearch', '$collStats', '$indexStats',
  '$currentOp', '$listSessions', '$listLocalSessions', '$changeStream', '$planCacheStats', '$listSearchIndexes',
]);

/**
 * Stages that never modify their input documents in mingo. A pipeline made only of these may run over the
 * stored documents themselves (its output is copied afterwards); any other stage gets a copy of its input.
 */
const READ_ONLY_STAGES = new Set(['$match', '$group', '$sort', '$limit', '$skip', '$count', '$sortByCount', '$project']);

function stageName(stage: Document): string {
  const keys = Object.keys(stage ?? {});
  if (typeof stage !== 'object' || stage === null || keys.length !== 1) {
    throw mongoError('Location40324', `A pipeline stage specification object must contain exactly one field, got ${JSON.stringify(stage)}`);
  }
  return keys[0];
}

/** Checks every stage, nested `$facet`, `$lookup` and `$unionWith` pipelines included, before anything runs. */
export function validatePipeline(pipeline: unknown): asserts pipeline is Document[] {
  if (!Array.isArray(pipeline)) throw mongoError('TypeMismatch', `'pipeline' option must be specified as an array, got ${JSON.stringify(pipeline)}`);
  for (const stage of pipeline as Document[]) {
    const name = stageName(stage);
    if (UNSUPPORTED_STAGES.has(name)) {
      throw mongoError('Location40324', `Pipeline stage ${name} is not supported by the embedded store; ${USE_REAL_MONGODB}`);
    }
    if (!storeContext.getOperator(OpType.PIPELINE, name)) {
      throw mongoError('Location40324', `Unrecognized pipeline stage name: '${name}' (the embedded store does not support it; ${USE_REAL_MONGODB})`);
    }
    const spec = stage[name] as Document;
    if (name === '$facet' && typeof spec === 'object' && spec !== null) Object.values(spec).forEach(validatePipeline);
    if ((name === '$lookup' || name === '$unionWith') && Array.isArray(spec?.pipeline)) validatePipeline(spec.pipeline);
  }
}

export function isReadOnly(pipeline: Document[]): boolean {
  return pipeline.every((stage) => READ_ONLY_STAGES.has(Object.keys(stage)[0]));
}

/**
 * Runs a validated pipeline. `input` must already be safe to hand to mingo (copies, unless the pipeline is
 * read-only); `readCollection` returns copies of another collection of the same database for `$lookup`,
 * `$graphLookup` and `$unionWith`. Results are always fresh copies.
 */
export function runPipeline(input: Document[], pipeline: Document[], readCollection: (name: string) => Document[]): Document[] {
  if (pipeline.length === 0) return input.map(deepClone);
  const resolved = new Map<string, Document[]>();
  const collectionResolver = (name: string) => {
    let docs = resolved.get(name);
    if (!docs) {
      docs = readCollection(name);
      resolved.set(name, docs);
    }
    return docs;
  };
  try {
    const output = new Aggregator(pipeline, mingoOptions({ collectionResolver })).run(input) as Document[];
    return output.map(deepClone);
  } catch (error) {
    throw toMongoError(error, 'PlanExecutor error during aggregation');
  }
}
