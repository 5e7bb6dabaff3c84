import { Binary, BSON, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { encodedPathHasArray } from './encodedRecord';

/** Every BSON type, so that reading past each of them to a later field is exercised. */
const EVERY_TYPE = {
  double: new Double(1.5),
  string: 'Kediri',
  document: { inner: [1, 2], deeper: { list: ['a'] } },
  array: [{ x: 1 }],
  binary: new Binary(Buffer.from('bytes')),
  objectId: new ObjectId(),
  bool: true,
  date: new Date(),
  null: null,
  regex: new BSONRegExp('^35\\.71', 'i'),
  code: new Code('function () {}'),
  symbol: new BSONSymbol('sym'),
  scoped: new Code('function () { return x; }', { x: 1 }),
  int32: new Int32(7),
  timestamp: new Timestamp({ t: 1, i: 2 }),
  int64: Long.fromNumber(9),
  decimal: Decimal128.fromString('1.25'),
  min: new MinKey(),
  max: new MaxKey(),
};

/** The answer from the decoded document: does any step of the path hold an array? */
function decodedHasArray(doc: Record<string, unknown>, path: string[]): boolean {
  let value: unknown = doc;
  for (const name of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    value = (value as Record<string, unknown>)[name];
    if (Array.isArray(value)) return true;
  }
  return false;
}

describe('reading whether a path holds an array from a document\'s BSON', () => {
  const doc = { ...EVERY_TYPE, last: 'after every type', tags: ['a', 'b'], nested: { list: [{ deep: 1 }], value: 3 }, 'kota·kediri': [1] };
  const bytes = BSON.serialize(doc);
  const decoded = BSON.deserialize(bytes);
  const paths = [
    'last', 'tags', 'nested', 'nested.list', 'nested.list.deep', 'nested.value', 'nested.missing', 'missing', 'missing.below',
    'document.inner', 'document.deeper.list', 'document.deeper.none', 'array.x', 'string.length', 'kota·kediri', 'max', 'min',
  ];

  it.each(paths)('%s', (path) => {
    const split = path.split('.');
    expect(encodedPathHasArray(bytes, split)).toBe(decodedHasArray(decoded, split));
  });

  it('reads a document that is a view into a larger buffer', () => {
    const padded = Buffer.concat([Buffer.from([9, 9, 9]), bytes]);
    expect(encodedPathHasArray(padded.subarray(3), ['nested', 'list'])).toBe(true);
    expect(encodedPathHasArray(padded.subarray(3), ['last'])).toBe(false);
  });
});
