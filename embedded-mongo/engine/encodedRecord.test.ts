import { Binary, BSON, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { encodedFields, encodedPathHasArray } from './encodedRecord';

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

describe('reading the scalar fields a unique index needs from a document\'s BSON', () => {
  const doc = { ...EVERY_TYPE, nested: { code: '35.71.01.1005', at: new Date('2025-03-01T00:00:00Z'), list: [1] }, last: 42 };
  const bytes = BSON.serialize(doc);
  const decoded = BSON.deserialize(bytes, { promoteLongs: false });

  it.each(['double', 'string', 'objectId', 'bool', 'date', 'null', 'int32', 'int64', 'nested.code', 'nested.at', 'last'])(
    'reads %s as decoding gives it',
    (path) => {
      const split = path.split('.');
      const expected = split.length === 1 ? { [path]: decoded[path] } : { [split[0]]: { [split[1]]: decoded[split[0]][split[1]] } };
      expect(encodedFields(bytes, [split])).toEqual(expected);
    },
  );

  it('reads several paths into one document, and leaves out those the document does not have', () => {
    expect(encodedFields(bytes, [['string'], ['nested', 'code'], ['missing'], ['nested', 'none'], ['string', 'below']])).toEqual({
      string: 'Kediri',
      nested: { code: '35.71.01.1005' },
    });
  });

  it.each(['array', 'document', 'nested.list', 'array.x', 'binary', 'decimal', 'regex'])('asks for a decode when %s is not a plain scalar', (path) => {
    expect(encodedFields(bytes, [path.split('.')])).toBeUndefined();
  });
});
