import { describe, expect, it } from 'vitest';
import { Decimal128, Long, ObjectId } from 'bson';
import { OrderedKeys, type KeyEntry } from './orderedKeys';

/** A seeded generator, so that a failure can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('OrderedKeys', () => {
  it('keeps entries in index order through random inserts and removals, and scans ranges both ways', () => {
    const next = random(7);
    const keys = new OrderedKeys([1, -1]);
    let model: KeyEntry[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (model.length > 0 && next() < 0.3) {
        const victim = model[Math.floor(next() * model.length)];
        expect(keys.remove(victim)).toBe(true);
        model = model.filter((entry) => entry !== victim);
      } else {
        const entry = { values: [Math.floor(next() * 50), Math.floor(next() * 50)], seq: i, id: String(i) };
        keys.insert(entry);
        model.push(entry);
      }
    }
    model.sort((a, b) => keys.compare(a, b));
    expect(keys.size).toBe(model.length);
    expect([...keys.scan(null, null)]).toEqual(model);
    expect([...keys.scan(null, null, true)]).toEqual([...model].reverse());
    for (let t = 0; t < 100; t++) {
      const lower = { values: [Math.floor(next() * 50), Math.floor(next() * 50)], inclusive: next() < 0.5 };
      const upper = { values: [lower.values[0]], inclusive: true };
      const expected = model.filter((entry) => {
        const above = keys.comparePrefix(entry.values, lower.values);
        return (lower.inclusive ? above >= 0 : above > 0) && keys.comparePrefix(entry.values, upper.values) <= 0;
      });
      expect([...keys.scan(lower, upper)]).toEqual(expected);
      expect([...keys.scan(lower, upper, true)]).toEqual([...expected].reverse());
      // collect finds both ends by binary search and copies what lies between: the same entries as the scan.
      const collected: KeyEntry[] = [];
      keys.collect(lower, upper, collected);
      expect(collected).toEqual(expected);
      const open = { values: [lower.values[0]], inclusive: next() < 0.5 };
      const all: KeyEntry[] = [];
      keys.collect(next() < 0.5 ? open : null, next() < 0.5 ? { ...open, inclusive: !open.inclusive } : null, all);
      expect(all.length).toBeLessThanOrEqual(model.length);
    }
    const everything: KeyEntry[] = [];
    keys.collect(null, null, everything);
    expect(everything).toEqual(model);
  });

  it('copies itself into an independent structure that shares the entries', () => {
    const keys = new OrderedKeys([1]);
    keys.load(Array.from({ length: 1000 }, (_, i) => ({ values: [i], seq: i, id: String(i) })));
    const copy = keys.copy();
    copy.insert({ values: [5.5], seq: 5000, id: 'x' });
    expect(keys.remove({ values: [7], seq: 7, id: '7' })).toBe(true);
    expect(copy.size).toBe(1001);
    expect(keys.size).toBe(999);
    expect([...copy.scan({ values: [5], inclusive: true }, { values: [7], inclusive: true })].map((entry) => entry.id)).toEqual(['5', 'x', '6', '7']);
    expect([...keys.scan({ values: [5], inclusive: true }, { values: [7], inclusive: true })].map((entry) => entry.id)).toEqual(['5', '6']);
  });

  it('orders a descending field backwards, equal keys in natural order, and loads sorted entries in bulk', () => {
    const keys = new OrderedKeys([-1]);
    const entries = [3, 1, 2, 2].map((value, seq) => ({ values: [value], seq, id: String(seq) }));
    const sorted = [...entries].sort((a, b) => keys.compare(a, b));
    expect(sorted.map((entry) => entry.seq)).toEqual([0, 2, 3, 1]);
    const loaded = new OrderedKeys([-1]);
    loaded.load(sorted);
    expect([...loaded.scan({ values: [2], inclusive: true }, null)].map((entry) => entry.seq)).toEqual([2, 3, 1]);
    expect(loaded.remove({ values: [9], seq: 0, id: '0' })).toBe(false);
  });

  describe('sorting the keys of a new index', () => {
    const next = random(11);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const ids = Array.from({ length: 8 }, (_, i) => new ObjectId(`65a0000000000000000000${String(i * 31).padStart(2, '0').slice(-2)}`));
    const plain: Record<string, () => unknown> = {
      string: () => pick(['', 'a', 'A', 'ab', 'b', 'kelurahan', 'é', '3571010001', '3571010002']),
      number: () => pick([0, -0, 1, -1, 2.5, 1e15, -7, 0.1]),
      boolean: () => next() < 0.5,
      date: () => new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 40) * 86_400_000),
      objectId: () => pick(ids),
    };
    /** Values that only the general comparison orders: other BSON types, NaN, an invalid date, or a second kind. */
    const odd = [() => Long.fromNumber(3), () => Decimal128.fromString('2.5'), () => NaN, () => new Date(NaN), () => ({ a: 1 }), () => 'x', () => 4];

    function entriesOf(columns: (() => unknown)[], count: number, nulls: boolean): KeyEntry[] {
      return Array.from({ length: count }, (_, seq) => ({
        values: columns.map((value) => (nulls && next() < 0.1 ? null : value())),
        seq: count - seq,
        id: String(seq),
      }));
    }

    it('gives the general comparison\'s order for every plain kind, with nulls, in both directions', () => {
      for (let round = 0; round < 200; round++) {
        const width = 1 + Math.floor(next() * 3);
        const kinds = Array.from({ length: width }, () => pick(Object.keys(plain)));
        const directions = kinds.map(() => (next() < 0.5 ? 1 : -1)) as (1 | -1)[];
        const keys = new OrderedKeys(directions);
        const entries = entriesOf(kinds.map((kind) => plain[kind]), 50, next() < 0.5);
        const expected = [...entries].sort((a, b) => keys.compare(a, b));
        expect(keys.sort([...entries]), kinds.join(', ')).toEqual(expected);
      }
    });

    it('falls back to the general comparison when a field holds another type, NaN or two kinds', () => {
      for (const unusual of odd) {
        const keys = new OrderedKeys([1, -1]);
        const entries = entriesOf([plain.date, plain.objectId], 60, true);
        entries[17].values[next() < 0.5 ? 0 : 1] = unusual();
        const expected = [...entries].sort((a, b) => keys.compare(a, b));
        expect(keys.sort([...entries])).toEqual(expected);
      }
    });
  });
});
