import { ObjectId } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { update as mingoUpdate } from 'mingo/updater';
import { resolve } from 'mingo/util';
import { deepClone } from './clone';
import { mongoError } from './errors';
import { addNumbers, isNumeric, multiplyNumbers } from './numeric';
import { mingoOptions, toMongoError } from './query';
import type { Document } from './types';
import { canonicalKey, compareValues, formatValue, typeOrder, TypeOrder } from './values';

/**
 * Update documents: operator updates ($set, $inc, ...) through mingo's updater, replacement documents,
 * and pipeline updates. The store takes over what mingo gets wrong for BSON: `$inc`, `$mul`, `$min` and
 * `$max` on Long and Decimal128 (mingo ignores them or compares them as text), and `$setOnInsert`, which
 * mingo does not have. Every function here works on a copy; stored documents are never touched.
 */
const UPDATE_OPERATORS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$pull', '$pullAll', '$pop',
  '$rename', '$currentDate', '$setOnInsert', '$bit',
]);

const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

const IMMUTABLE_ID = "Performing an update on the path '_id' would modify the immutable field '_id'";

export type UpdateKind = 'operators' | 'replacement' | 'pipeline';

/** Classifies an update and refuses malformed ones with MongoDB's messages. */
export function updateKind(update: Document | Document[]): UpdateKind {
  if (Array.isArray(update)) {
    for (const stage of update) {
      const name = Object.keys(stage ?? {})[0];
      if (!PIPELINE_UPDATE_STAGES.has(name)) {
        throw mongoError('InvalidOptions', `${name} is not allowed to be used within an update`);
      }
    }
    return 'pipeline';
  }
  if (typeof update !== 'object' || update === null) {
    throw mongoError('FailedToParse', `An update must be a document or a pipeline, got ${formatValue(update)}`);
  }
  const keys = Object.keys(update);
  if (keys.length === 0 || !keys[0].startsWith('$')) {
    const dollar = keys.find((k) => k.startsWith('$'));
    if (dollar) {
      throw mongoError('BadValue', `The dollar ($) prefixed field '${dollar}' in '${dollar}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`);
    }
    return 'replacement';
  }
  for (const key of keys) {
    if (!UPDATE_OPERATORS.has(key)) {
      throw mongoError('FailedToParse', `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    const fields = update[key];
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw mongoError('FailedToParse', `Modifiers operate on fields but we found type ${Array.isArray(fields) ? 'array' : typeof fields} instead. For example: {$mod: {<field>: ...}} not {${key}: ${formatValue(fields)}}`);
    }
  }
  return 'operators';
}

/** Positional paths (`a.$.b`, `a.$[]`, `a.$[x]`) are left to mingo, which resolves them against the query. */
const isPositional = (path: string) => path.split('.').some((part) => part.startsWith('$'));

function fieldType(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : (value as { _bsontype?: string })?._bsontype?.toLowerCase() ?? typeof value;
}

/**
 * Rewrites `$inc`, `$mul`, `$min` and `$max` on plain paths into `$set` of the computed value, so that every
 * numeric type is handled exactly (mingo only knows JS numbers) and type errors say what MongoDB says.
 */
function computeArithmetic(doc: Document, update: Document): Document {
  const rewritten: Document = { ...update };
  const set: Document = { ...((update.$set as Document) ?? {}) };
  for (const operator of ['$inc', '$mul', '$min', '$max'] as const) {
    const fields = update[operator] as Document | undefined;
    if (!fields) continue;
    const remaining: Document = {};
    for (const [path, operand] of Object.entries(fields)) {
      if (isPositional(path)) {
        remaining[path] = operand;
        continue;
      }
      const current = resolve(doc, path);
      if (operator === '$inc' || operator === '$mul') {
        if (!isNumeric(operand)) {
          const verb = operator === '$inc' ? 'increment' : 'multiply';
          throw mongoError('TypeMismatch', `Cannot ${verb} with non-numeric argument: {${path}: ${formatValue(operand)}}`);
        }
        if (current !== undefined && !isNumeric(current)) {
          throw mongoError('TypeMismatch', `Cannot apply ${operator} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${path}' of non-numeric type ${fieldType(current)}`);
        }
        if (operator === '$inc') set[path] = current === undefined ? operand : addNumbers(current, operand);
        else set[path] = multiplyNumbers(current === undefined ? 0 : current, operand);
      } else {
        const better = operator === '$min' ? compareValues(operand, current) < 0 : compareValues(operand, current) > 0;
        if (current === undefined || better) set[path] = operand;
      }
    }
    if (Object.keys(remaining).length > 0) rewritten[operator] = remaining;
    else delete rewritten[operator];
  }
  if (Object.keys(set).length > 0) rewritten.$set = set;
  return rewritten;
}

/** Whether an update is a `$set` of top-level fields alone, `_id` not among them (see applyOperators). */
function setsTopLevelFields(modifier: Document): boolean {
  const keys = Object.keys(modifier);
  if (keys.length !== 1 || keys[0] !== '$set') return false;
  const fields = Object.keys(modifier.$set as Document);
  return fields.length > 0 && fields.every((field) => field !== '' && field !== '_id' && !field.startsWith('$') && !field.includes('.'));
}

function applyOperators(doc: Document, update: Document, query: Document, arrayFilters: Document[] | undefined, inserting: boolean): Document {
  const { $setOnInsert, ...rest } = update;
  let modifier = computeArithmetic(doc, rest);
  if (inserting && $setOnInsert) modifier = { ...modifier, $set: { ...((modifier.$set as Document) ?? {}), ...($setOnInsert as Document) } };
  if (Object.keys(modifier).length === 0) return doc;
  if (setsTopLevelFields(modifier) && arrayFilters === undefined) {
    // Most updates set top-level fields by now (an `$inc` is a `$set` of the sum): assigning them is what mingo's
    // `$set` does there, without the operator tables mingo's updater copies for every update it makes.
    for (const [field, value] of Object.entries(modifier.$set as Document)) doc[field] = deepClone(value);
    return doc;
  }
  try {
    mingoUpdate(doc, modifier as never, arrayFilters, query as never, { cloneMode: 'deep', queryOptions: mingoOptions() });
  } catch (error) {
    if (error instanceof Error && error.message.includes("immutable field '_id'")) throw mongoError('ImmutableField', IMMUTABLE_ID);
    throw toMongoError(error, 'Update failed');
  }
  return doc;
}

function applyPipeline(doc: Document, pipeline: Document[]): Document {
  try {
    const [result] = new Aggregator(pipeline, mingoOptions()).run([doc]) as Document[];
    return result ?? {};
  } catch (error) {
    throw toMongoError(error, 'Update pipeline failed');
  }
}

/** Puts `_id` first, as MongoDB stores it. */
function idFirst(doc: Document): Document {
  if (Object.keys(doc)[0] === '_id' || doc._id === undefined) return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

export interface UpdateContext {
  query: Document;
  arrayFilters?: Document[];
}

/**
 * The new version of a stored document after an update. Throws ImmutableField when the update would change
 * `_id`. The stored document itself is not modified.
 */
export function applyUpdate(stored: Document, update: Document | Document[], context: UpdateContext): Document {
  const kind = updateKind(update);
  const spec = deepClone(update);
  let next: Document;
  if (kind === 'replacement') {
    const replacement = spec as Document;
    if (replacement._id !== undefined && canonicalKey(replacement._id) !== canonicalKey(stored._id)) {
      throw mongoError('ImmutableField', `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(replacement._id)}`);
    }
    const { _id: _ignored, ...fields } = replacement;
    next = { _id: stored._id, ...fields };
  } else if (kind === 'pipeline') {
    next = applyPipeline(deepClone(stored), spec as Document[]);
  } else {
    next = applyOperators(deepClone(stored), spec as Document, context.query, context.arrayFilters, false);
  }
  if (next._id === undefined || canonicalKey(next._id) !== canonicalKey(stored._id)) {
    throw mongoError('ImmutableField', IMMUTABLE_ID);
  }
  return idFirst(next);
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    const child = target[part];
    if (typeof child !== 'object' || child === null || typeOrder(child) !== TypeOrder.Object) target[part] = {};
    target = target[part] as Document;
  }
  target[parts[parts.length - 1]] = deepClone(value);
}

function isOperatorObject(value: unknown): boolean {
  return typeOrder(value) === TypeOrder.Object && Object.keys(value as object).some((k) => k.startsWith('$'));
}

/** Copies the query's equality conditions (`field: value`, `field: {$eq: value}`, inside `$and`) into a seed. */
function seedEqualities(query: Document, seed: Document): void {
  for (const [field, condition] of Object.entries(query)) {
    if (field === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (typeof clause === 'object' && clause !== null) seedEqualities(clause as Document, seed);
      continue;
    }
    if (field.startsWith('$')) continue;
    if (!isOperatorObject(condition)) {
      if (!(condition instanceof RegExp)) setPath(seed, field, condition);
    } else if ('$eq' in (condition as Document)) {
      setPath(seed, field, (condition as Document).$eq);
    }
  }
}

/**
 * The document an upsert inserts: the query's equality conditions, then the update (replacement fields,
 * operators or pipeline), then `$setOnInsert`, and a generated ObjectId when nothing gave an `_id`.
 */
export function buildUpsert(update: Document | Document[], context: UpdateContext): Document {
  const kind = updateKind(update);
  const spec = deepClone(update);
  const seed: Document = {};
  seedEqualities(context.query, seed);
  let doc: Document;
  if (kind === 'replacement') {
    const replacement = spec as Document;
    doc = replacement._id === undefined && seed._id !== undefined ? { _id: seed._id, ...replacement } : replacement;
  } else if (kind === 'pipeline') {
    doc = applyPipeline(seed, spec as Document[]);
  } else {
    const seededId = seed._id;
    doc = applyOperators(seed, spec as Document, {}, context.arrayFilters, true);
    if (seededId !== undefined && canonicalKey(doc._id) !== canonicalKey(seededId)) throw mongoError('ImmutableField', IMMUTABLE_ID);
  }
  if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
  return idFirst(doc);
}
