import { compareNumbers, isNumeric, numberKey } from './numeric';

/**
 * BSON value comparison as MongoDB defines it: first by the canonical type order
 * (MinKey < null < numbers < strings < objects < arrays < binary < ObjectId < booleans < dates <
 * timestamps < regular expressions < MaxKey), then within a type by value. Numbers of every BSON numeric
 * type compare with each other by value. Missing values are treated as null, as MongoDB sorts them.
 */
export const TypeOrder = {
  MinKey: 1,
  Null: 2,
  Number: 3,
  String: 4,
  Object: 5,
  Array: 6,
  Binary: 7,
  ObjectId: 8,
  Boolean: 9,
  Date: 10,
  Timestamp: 11,
  RegExp: 12,
  Code: 13,
  MaxKey: 14,
} as const;

function bsonTypeName(value: object): string | undefined {
  return (value as { _bsontype?: string })._bsontype;
}

export function typeOrder(value: unknown): number {
  if (value === null || value === undefined) return TypeOrder.Null;
  switch (typeof value) {
    case 'number':
      return TypeOrder.Number;
    case 'string':
      return TypeOrder.String;
    case 'boolean':
      return TypeOrder.Boolean;
    case 'bigint':
      return TypeOrder.Number;
    case 'object':
      break;
    default:
      return TypeOrder.Object;
  }
  if (Array.isArray(value)) return TypeOrder.Array;
  if (value instanceof Date) return TypeOrder.Date;
  if (value instanceof RegExp) return TypeOrder.RegExp;
  switch (bsonTypeName(value)) {
    case 'Long':
    case 'Decimal128':
    case 'Int32':
    case 'Double':
      return TypeOrder.Number;
    case 'ObjectId':
      return TypeOrder.ObjectId;
    case 'Binary':
      return TypeOrder.Binary;
    case 'Timestamp':
      return TypeOrder.Timestamp;
    case 'BSONRegExp':
      return TypeOrder.RegExp;
    case 'BSONSymbol':
      return TypeOrder.String;
    case 'Code':
      return TypeOrder.Code;
    case 'MinKey':
      return TypeOrder.MinKey;
    case 'MaxKey':
      return TypeOrder.MaxKey;
    default:
      return TypeOrder.Object;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const size = Math.min(a.length, b.length);
  for (let i = 0; i < size; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return Math.sign(a.length - b.length);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const bson = value as { pattern: string; options: string };
  return [bson.pattern, bson.options];
}

/** Total order over BSON values, MongoDB's comparison rules; arrays compare element by element. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeOrder(a);
  const tb = typeOrder(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case TypeOrder.Null:
    case TypeOrder.MinKey:
    case TypeOrder.MaxKey:
      return 0;
    case TypeOrder.Number:
      return compareNumbers(a, b);
    case TypeOrder.String:
      return compareStrings(String(a), String(b));
    case TypeOrder.Boolean:
      return a === b ? 0 : a ? 1 : -1;
    case TypeOrder.Date:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case TypeOrder.ObjectId:
      return compareBytes((a as { id: Uint8Array }).id, (b as { id: Uint8Array }).id);
    case TypeOrder.Binary: {
      const x = a as { buffer: Uint8Array; sub_type: number };
      const y = b as { buffer: Uint8Array; sub_type: number };
      if (x.buffer.length !== y.buffer.length) return Math.sign(x.buffer.length - y.buffer.length);
      if (x.sub_type !== y.sub_type) return Math.sign(x.sub_type - y.sub_type);
      return compareBytes(x.buffer, y.buffer);
    }
    case TypeOrder.Timestamp:
      return (a as { compare(o: unknown): number }).compare(b);
    case TypeOrder.RegExp: {
      const [pa, fa] = regexParts(a);
      const [pb, fb] = regexParts(b);
      return compareStrings(pa, pb) || compareStrings(fa, fb);
    }
    case TypeOrder.Code:
      return compareStrings(String((a as { code: string }).code), String((b as { code: string }).code));
    case TypeOrder.Array: {
      const x = a as unknown[];
      const y = b as unknown[];
      const size = Math.min(x.length, y.length);
      for (let i = 0; i < size; i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return Math.sign(x.length - y.length);
    }
    default: {
      // Objects compare field by field in stored order: first each field's type, then its name, then its value.
      const x = Object.entries(a as object);
      const y = Object.entries(b as object);
      const size = Math.min(x.length, y.length);
      for (let i = 0; i < size; i++) {
        const byType = Math.sign(typeOrder(x[i][1]) - typeOrder(y[i][1]));
        if (byType !== 0) return byType;
        const byName = compareStrings(x[i][0], y[i][0]);
        if (byName !== 0) return byName;
        const byValue = compareValues(x[i][1], y[i][1]);
        if (byValue !== 0) return byValue;
      }
      return Math.sign(x.length - y.length);
    }
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex digits of a byte array; bson's toHexString allocates a Buffer per call, which dominates `_id` lookups. */
function hex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += HEX[bytes[i]];
  return text;
}

/** The canonical key of an ObjectId, from its twelve bytes. */
export function objectIdKey(id: Uint8Array): string {
  return `o${hex(id)}`;
}

/**
 * A string that is equal for two values exactly when MongoDB considers them equal. Indexes, `$in` sets,
 * `distinct` and upsert bookkeeping key their maps with it, so that 5, Long 5 and Decimal128 5.0 land on the
 * same entry and two ObjectIds with the same bytes do too.
 */
export function canonicalKey(value: unknown): string {
  if (value === null || value === undefined) return 'z';
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return `n${numberKey(value)}`;
    case 'boolean':
      return value ? 'b1' : 'b0';
    default:
      break;
  }
  if (Array.isArray(value)) return `a[${value.map((v) => JSON.stringify(canonicalKey(v))).join(',')}]`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r/${value.source}/${value.flags}`;
  if (isNumeric(value)) return `n${numberKey(value)}`;
  const type = bsonTypeName(value as object);
  switch (type) {
    case 'ObjectId':
      return objectIdKey((value as { id: Uint8Array }).id);
    case 'Binary': {
      const binary = value as { buffer: Uint8Array; sub_type: number };
      return `x${binary.sub_type}:${Buffer.from(binary.buffer).toString('base64')}`;
    }
    case 'Timestamp':
      return `t${String(value)}`;
    case 'BSONRegExp': {
      const [pattern, flags] = regexParts(value);
      return `r/${pattern}/${flags}`;
    }
    case 'BSONSymbol':
      return `s${String(value)}`;
    case 'MinKey':
    case 'MaxKey':
      return type;
    case 'Code':
      return `c${(value as { code: string }).code}`;
    default: {
      const fields = Object.entries(value as object).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(canonicalKey(v))}`);
      return `{${fields.join(',')}}`;
    }
  }
}

/** Renders a value the way MongoDB's error messages show it: `"x"`, `42`, `ObjectId('…')`. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  const type = bsonTypeName(value as object);
  if (type === 'ObjectId') return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
  if (type === 'Long') return String(value);
  if (type === 'Decimal128') return `Decimal128("${String(value)}")`;
  if (type !== undefined) return String(value);
  const fields = Object.entries(value as object).map(([k, v]) => `${k}: ${formatValue(v)}`);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}
