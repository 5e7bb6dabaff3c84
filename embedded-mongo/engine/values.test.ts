import { Binary, Decimal128, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { compareValues } from './values';

/**
 * Values in MongoDB's ascending order, one group per rank: values of a group are equal. Numbers of every type
 * compare by value, NaN below every other number; strings compare by code unit; dates by instant.
 */
const ASCENDING: unknown[][] = [
  [new MinKey()],
  [null, undefined],
  [Number.NaN],
  [-Infinity],
  [-1.5],
  [Long.fromNumber(-1), -1],
  [0, -0, Long.fromNumber(0)],
  [2],
  [Decimal128.fromString('2.5'), 2.5],
  [Infinity],
  [''],
  ['A'],
  ['a'],
  ['ab'],
  ['b'],
  [{ a: 1 }],
  [[1]],
  [new Binary(Buffer.from('x'))],
  [new ObjectId('650000000000000000000001')],
  [new ObjectId('650000000000000000000002')],
  [false],
  [true],
  [new Date(0), new Date(0)],
  [new Date(1)],
  [new Timestamp({ t: 1, i: 1 })],
  [/x/],
  [new MaxKey()],
];

describe('comparing values as MongoDB orders them', () => {
  it('orders every pair by rank, and gives 0 within a rank', () => {
    const ranked = ASCENDING.flatMap((group, rank) => group.map((value) => ({ value, rank })));
    const wrong: string[] = [];
    for (const a of ranked) {
      for (const b of ranked) {
        const got = Math.sign(compareValues(a.value, b.value));
        if (got !== Math.sign(a.rank - b.rank)) wrong.push(`${String(a.value)} vs ${String(b.value)}: ${got}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
