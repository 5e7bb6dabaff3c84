import { BSON, Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, BSONRegExp } from 'bson';
import { describe, expect, it } from 'vitest';
import { documentsIn, moveIdFirst } from './bsonBytes';

describe('moveIdFirst', () => {
  it('gives the bytes of the document with _id first, across every common BSON type', () => {
    const fields = {
      double: new Double(1.5), string: 'héllo', doc: { a: [1, { b: null }] }, array: ['x', 2], binary: new Binary(Buffer.from([1, 2, 3]), 4),
      objectId: new ObjectId(), bool: true, date: new Date(5), null: null, regex: new BSONRegExp('a+b', 'i'), int32: new Int32(7),
      timestamp: new Timestamp({ t: 1, i: 2 }), long: Long.fromNumber(2 ** 40), decimal: Decimal128.fromString('1.10'), min: new MinKey(), max: new MaxKey(),
    };
    const _id = new ObjectId();
    const sent = BSON.serialize({ ...fields, _id });
    const moved = moveIdFirst(sent);
    expect(Buffer.from(moved as Uint8Array)).toEqual(Buffer.from(BSON.serialize({ _id, ...fields })));
  });

  it('returns the same bytes when _id is first, and null without an _id or with damaged lengths', () => {
    const first = BSON.serialize({ _id: 1, a: 2 });
    expect(moveIdFirst(first)).toBe(first);
    expect(moveIdFirst(BSON.serialize({ a: 1, _idx: 2 }))).toBeNull();
    const damaged = Buffer.from(BSON.serialize({ a: 'text', _id: 1 }));
    damaged.writeInt32LE(1000, 7);
    expect(moveIdFirst(damaged)).toBeNull();
  });
});

describe('documentsIn', () => {
  it('finds the bytes of each document of an array field', () => {
    const documents = [{ _id: 1, a: 'x' }, { b: [1, 2], _id: new ObjectId() }];
    const command = BSON.serialize({ insert: 'c', documents, ordered: true, $db: 'd' });
    const found = documentsIn(command, 'documents');
    expect(found?.map((bytes) => BSON.deserialize(bytes))).toEqual(documents);
    expect(documentsIn(command, 'missing')).toBeNull();
    expect(documentsIn(BSON.serialize({ documents: [1, 2] }), 'documents')).toBeNull();
  });
});
