import { Aggregator } from 'mingo/aggregator';
import { OpType } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import { deepClone } from './clone';
import { mongoError } from './errors';
import { storeContext } from './operators';
import { intactPrefixLength } from './copies';
import { mingoOptions, toMongoError, USE_REAL_MONGODB } from './query';
import type { Document } from './types';

/** MongoDB stages the store refuses: they write to or read from server state that it does not keep. */
const UNSUPPORTED_STAGES = new Set([
  '$out', '$merge', '$geoNear', '$search', '$searchMeta', '$vectorSearch', '$collStats', '$indexStats',
  '$currentOp', '$listSessions', '$listLocalSessions', '$changeStream', '$planCacheStats', '$listSearchIndexes',
]);

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

/**
 * Runs a validated pipeline over `input`, which may be the stored documents themselves. The leading stages that
 * never modify their input (see copies.ts) run over them directly; what those stages produce is copied once, before
 * the first stage that may modify its input, so that no stored document is ever changed. `readCollection` returns
 * another collection's stored documents for `$lookup`, `$graphLookup` and `$unionWith`, copied when `copy` is set.
 * Results may share values with stored documents: a caller that hands them out must copy them, a caller that only
 * serialises them need not.
 */
export function runPipeline(
  input: Document[],
  pipeline: Document[],
  readCollection: (name: string, copy: boolean) => Document[],
): Document[] {
  if (pipeline.length === 0) return input;
  const split = intactPrefixLength(pipeline);
  const prefix = pipeline.slice(0, split);
  const rest = pipeline.slice(split);
  // Another collection's documents are shared with the prefix (its output is copied) and copied for the rest.
  const resolved = new Map<string, Document[]>();
  const resolver = (copy: boolean) => (name: string) => {
    const key = `${copy ? 'copy' : 'shared'}:${name}`;
    let docs = resolved.get(key);
    if (!docs) {
      docs = readCollection(name, copy);
      resolved.set(key, docs);
    }
    return docs;
  };
  try {
    if (rest.length === 0) return aggregator(prefix, resolver(false)).run(input) as Document[];
    // The copy is a lazy step between the two parts, so a later $limit still stops the work (and the copying) early.
    const intact = prefix.length === 0 ? Lazy(input) : aggregator(prefix, resolver(false)).stream(input);
    return aggregator(rest, resolver(true)).run(intact.map(deepClone)) as Document[];
  } catch (error) {
    throw toMongoError(error, 'PlanExecutor error during aggregation');
  }
}

function aggregator(stages: Document[], collectionResolver: (name: string) => Document[]): Aggregator {
  return new Aggregator(stages, mingoOptions({ collectionResolver }));
}
