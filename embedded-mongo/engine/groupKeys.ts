import { compileExpression, type CompiledExpression } from './expressions';
import type { Document } from './types';
import { canonicalKey } from './values';

/**
 * The key of a `$group`: which group a document falls in (a string, equal exactly for the `_id` values MongoDB puts in
 * one group), and the `_id` the group shows. Keys are built for every document, so the common `_id` shapes get keys
 * cheaper than the general canonical form: a field's string or number, an ObjectId's raw bytes, and for a document
 * `_id` its fields' keys one after the other, each prefixed by its length so that no two lists of keys run together.
 */
export interface GroupKeyer {
  keyOf(doc: Document): string;
  idOf(doc: Document): unknown;
}

/** A Buffer's bytes as a one-byte string: much cheaper than hex, and as unique. */
type LatinBytes = Uint8Array & { latin1Slice?: (start: number, end: number) => string };

/** Where an ObjectId keeps its group key once computed (see objectIdKey). */
const GROUP_KEY = Symbol('embedded-mongo group key');

type KeyedObjectId = { id: LatinBytes; [GROUP_KEY]?: string };

/**
 * An ObjectId's group key: its raw bytes, under a prefix canonicalKey never uses. Reading the bytes means following
 * the ObjectId to its buffer and the buffer to its memory, which costs more than all the rest of grouping a document
 * by it; so the key is kept on the ObjectId (a hidden property: BSON and every comparison read only its bytes, which
 * never change), and the next aggregation over the same stored documents finds it there.
 */
function objectIdKey(value: KeyedObjectId): string {
  const kept = value[GROUP_KEY];
  if (kept !== undefined) return kept;
  const bytes = value.id;
  // Every ObjectId is keyed the same way whatever holds its bytes (a Buffer, or a plain Uint8Array).
  const latin = typeof bytes.latin1Slice === 'function' ? bytes.latin1Slice(0, bytes.length) : String.fromCharCode(...bytes);
  const key = `O${latin}`;
  if (Object.isExtensible(value)) Object.defineProperty(value, GROUP_KEY, { value: key, enumerable: false, writable: false, configurable: false });
  return key;
}

/**
 * A string equal for two values exactly when MongoDB groups them together. It is canonicalKey except for ObjectIds,
 * keyed by their raw bytes under a prefix canonicalKey never uses; the keys of one `$group` are only ever compared
 * with each other, so the two forms never meet.
 */
function valueKeyer(): (value: unknown) => string {
  // A number's canonical key must equal that of a Long or Decimal128 of the same value, which takes some work to
  // compute; the numbers a group is keyed by repeat, so each is keyed once per run.
  const numberKeys = new Map<number, string>();
  return (value) => {
    switch (typeof value) {
      case 'string':
        return `s${value}`;
      case 'number': {
        let key = numberKeys.get(value);
        if (key === undefined) {
          key = canonicalKey(value);
          numberKeys.set(value, key);
        }
        return key;
      }
      case 'undefined':
        return 'z';
      default:
        break;
    }
    if (value !== null && (value as { _bsontype?: string })._bsontype === 'ObjectId') return objectIdKey(value as KeyedObjectId);
    return canonicalKey(value);
  };
}

/** Whether an expression is a literal: the same value for every document. */
function isConstant(expr: unknown): boolean {
  if (typeof expr === 'string') return !expr.startsWith('$');
  return typeof expr !== 'object' || expr === null || (!Array.isArray(expr) && !isPlainObject(expr));
}

function isPlainObject(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The keyer for a `$group`'s `_id` expression, or null for a shape whose `_id` only mingo's `$group` builds the way it
 * does (a document `_id` with nested documents).
 */
export function groupKeyOf(idExpression: unknown): GroupKeyer | null {
  const isDocument = isPlainObject(idExpression) && !Object.keys(idExpression).some((key) => key.startsWith('$'));
  if (!isDocument) {
    const value: CompiledExpression = compileExpression(idExpression);
    const keyOfValue = valueKeyer();
    return { keyOf: (doc) => keyOfValue(value(doc) ?? null), idOf: (doc) => value(doc) ?? null };
  }
  const entries = Object.entries(idExpression);
  if (entries.some(([, expr]) => isPlainObject(expr) && !Object.keys(expr).some((key) => key.startsWith('$')))) return null;
  const names = entries.map(([name]) => name);
  const fields = entries.map(([, expr]) => compileExpression(expr));
  const idOf = (doc: Document) => {
    const id: Document = {};
    for (let i = 0; i < names.length; i++) id[names[i]] = fields[i](doc) ?? null;
    return id;
  };
  // A constant field (`group: null`) is the same in every group, so only the other fields tell groups apart.
  const varying = entries.flatMap(([, expr], i) => (isConstant(expr) ? [] : [fields[i]]));
  const keyOfValue = valueKeyer();
  if (varying.length === 0) return { keyOf: () => '', idOf };
  if (varying.length === 1) {
    const [field] = varying;
    return { keyOf: (doc) => keyOfValue(field(doc) ?? null), idOf };
  }
  return {
    keyOf(doc) {
      let key = '';
      for (let i = 0; i < varying.length; i++) {
        const part = keyOfValue(varying[i](doc) ?? null);
        key += `${part.length}:${part}`;
      }
      return key;
    },
    idOf,
  };
}
