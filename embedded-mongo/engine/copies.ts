import type { Document } from './types';

/**
 * Where copies are needed. Stored documents are never modified in place, so a result may share them as long as
 * nothing modifies it before it is serialised. Mingo's stages either build new documents from their input or edit
 * it in place ($addFields and $set with a dotted field write into nested objects of a shallow copy, $unwind writes its
 * index field into the input); the functions here tell the first kind from the second, erring on the side of copying.
 */

/** Stages that never write into their input documents, whatever their specification. */
const INTACT_STAGES = new Set(['$match', '$group', '$sort', '$limit', '$skip', '$count', '$sortByCount', '$replaceRoot', '$replaceWith']);

const isPlainObject = (value: unknown): value is Document =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

const excludes = (value: unknown) => value === 0 || value === false;

/**
 * Whether a projection leaves its input intact. Mingo starts an exclusion projection from a shallow copy of the
 * input and removes dotted fields from the nested objects it shares with the input; a nested projection document
 * and the store's own `$slice` handling edit nested values too. An inclusion projection builds every path anew.
 */
export function projectionKeepsInputIntact(projection: Document): boolean {
  for (const [field, value] of Object.entries(projection)) {
    if (field.includes('.') && (excludes(value) || isPlainObject(value))) return false;
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0 || !keys.every((key) => key.startsWith('$')) || '$slice' in value) return false;
    }
  }
  return true;
}

/** `$unwind` leaves its input intact unless it writes an index field or drops empty arrays from the input. */
function unwindKeepsInputIntact(spec: unknown): boolean {
  if (typeof spec === 'string') return true;
  return isPlainObject(spec) && spec.includeArrayIndex === undefined && spec.preserveNullAndEmptyArrays === undefined;
}

/** Whether one pipeline stage leaves the documents it reads intact. Unknown or nested pipelines count as editing. */
export function stageKeepsInputIntact(stage: Document): boolean {
  const name = Object.keys(stage)[0];
  const spec = stage[name];
  if (INTACT_STAGES.has(name)) return true;
  switch (name) {
    case '$project':
      return isPlainObject(spec) && projectionKeepsInputIntact(spec);
    case '$unset':
      // $unset of top-level fields removes them from a shallow copy; a dotted path would reach shared objects.
      return (Array.isArray(spec) ? spec : [spec]).every((field) => typeof field === 'string' && !field.includes('.'));
    case '$addFields':
    case '$set':
      // Mingo adds fields to a shallow copy: top-level fields land on the copy, dotted ones inside shared objects.
      return isPlainObject(spec) && Object.keys(spec).every((field) => !field.includes('.'));
    case '$unwind':
      return unwindKeepsInputIntact(spec);
    case '$lookup':
      // Without a pipeline, $lookup only adds an array of the other collection's documents to a copy of each input.
      return isPlainObject(spec) && spec.pipeline === undefined && spec.let === undefined;
    default:
      return false;
  }
}

/** How many leading stages may run over stored documents before the documents must be copied. */
export function intactPrefixLength(pipeline: Document[]): number {
  let length = 0;
  while (length < pipeline.length && stageKeepsInputIntact(pipeline[length])) length++;
  return length;
}
