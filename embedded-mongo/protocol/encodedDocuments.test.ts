import { BSON, Decimal128, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { encodeDocuments, serializeReply } from './encodedDocuments';

const documents = Array.from({ length: 300 }, (_, i) => ({
  _id: new ObjectId(),
  i,
  name: `document ${i}`,
  when: new Date(i),
  price: Decimal128.fromString(`${i}.5`),
  big: Long.fromNumber(i * 1e12),
  nested: { list: [i, { deep: 'x'.repeat(i % 50) }] },
}));

describe('encoded cursor batches', () => {
  it('serialise to exactly the bytes of the same reply with a plain array', () => {
    const id = Long.fromNumber(12345);
    const encoded = encodeDocuments(documents, 7, 101, Infinity);
    expect(encoded.length).toBe(101);
    const spliced = serializeReply({ cursor: { firstBatch: encoded, id, ns: 'db.c' }, ok: 1 });
    const plain = BSON.serialize({ cursor: { firstBatch: documents.slice(7, 108), id, ns: 'db.c' }, ok: 1 });
    expect(Buffer.from(spliced).equals(Buffer.from(plain))).toBe(true);
  });

  it('stop at the byte limit but always take one document, and grow past the scratch buffer', () => {
    const size = BSON.calculateObjectSize(documents[0]);
    expect(encodeDocuments(documents, 0, Infinity, size * 3).length).toBeLessThan(4);
    expect(encodeDocuments(documents, 0, Infinity, 1).length).toBe(1);
    const large = Array.from({ length: 5 }, (_, i) => ({ i, text: 'y'.repeat(700_000) }));
    const encoded = encodeDocuments(large, 0, Infinity, Infinity);
    const reply = BSON.deserialize(serializeReply({ batch: encoded }) as Buffer);
    expect(reply.batch.map((d: { i: number; text: string }) => [d.i, d.text.length])).toEqual(large.map((d) => [d.i, 700_000]));
  });

  it('leave replies without a batch to bson as they are', () => {
    const reply = { ok: 1, n: 3, nested: { list: [1, 2] } };
    expect(Buffer.from(serializeReply(reply)).equals(Buffer.from(BSON.serialize(reply)))).toBe(true);
  });
});
