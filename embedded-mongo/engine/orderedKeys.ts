import { compareValues } from './values';

/** One key of an ordered index: the indexed values of one document, and which document (by id and natural order). */
export interface KeyEntry {
  values: unknown[];
  /** The document's insertion sequence; it orders equal keys, so equal keys come back in natural order. */
  seq: number;
  id: string;
}

/**
 * A bound of an index range: entries whose leading `values.length` fields compare below (for a lower bound) or above
 * (for an upper bound) are outside it. Shorter bounds constrain only a prefix of the key.
 */
export interface KeyBound {
  values: unknown[];
  inclusive: boolean;
}

/** Blocks split in two past this size: small enough that splicing is cheap, large enough that there are few blocks. */
const MAX_BLOCK = 512;

/**
 * The keys of an index in index order, as a list of sorted blocks (a two-level B-tree). Insertion and removal cost a
 * binary search and a splice within one block; keys that arrive in order (ObjectId `_id`s, timestamps) are appended to
 * the last block without any search. A range scan seeks its lower bound by binary search and then walks the blocks.
 */
export class OrderedKeys {
  private blocks: KeyEntry[][] = [];
  private count = 0;

  constructor(private readonly directions: readonly (1 | -1)[]) {}

  get size(): number {
    return this.count;
  }

  /** An independent copy (for a copied collection): its own blocks, sharing the entries, which are never modified. */
  copy(): OrderedKeys {
    const copy = new OrderedKeys(this.directions);
    copy.blocks = this.blocks.map((block) => block.slice());
    copy.count = this.count;
    return copy;
  }

  /** Index order: each field by its direction, then natural order. */
  compare(a: KeyEntry, b: KeyEntry): number {
    const order = this.comparePrefix(a.values, b.values);
    return order !== 0 ? order : a.seq - b.seq;
  }

  /** Compares an entry's values with a bound over the bound's length only. */
  comparePrefix(values: readonly unknown[], bound: readonly unknown[]): number {
    for (let i = 0; i < bound.length; i++) {
      const order = compareValues(values[i], bound[i]);
      if (order !== 0) return order * this.directions[i];
    }
    return 0;
  }

  /** Sorts entries into this index's order (see sortIntoIndexOrder), ready for `load`. */
  sort(entries: KeyEntry[]): KeyEntry[] {
    return sortIntoIndexOrder(entries, this.directions, (a, b) => this.compare(a, b));
  }

  /**
   * Fills an empty structure from entries already in index order, leaving every block half full. The entries are
   * allocated anew in that order, so that they lie in memory in index order: a walk then reads them one after the
   * other rather than all over the heap, as it would the entries of a build that met documents in natural order.
   */
  load(sorted: KeyEntry[]): void {
    const half = MAX_BLOCK / 2;
    for (let i = 0; i < sorted.length; i += half) {
      this.blocks.push(sorted.slice(i, i + half).map(({ values, seq, id }) => ({ values, seq, id })));
    }
    this.count += sorted.length;
  }

  insert(entry: KeyEntry): void {
    this.count++;
    const last = this.blocks[this.blocks.length - 1];
    if (!last) {
      this.blocks.push([entry]);
      return;
    }
    if (this.compare(entry, last[last.length - 1]) > 0) {
      last.push(entry);
      if (last.length > MAX_BLOCK) this.split(this.blocks.length - 1);
      return;
    }
    const b = this.blockFor((e) => this.compare(e, entry) >= 0);
    const block = this.blocks[b];
    block.splice(lowerBound(block, (e) => this.compare(e, entry) >= 0), 0, entry);
    if (block.length > MAX_BLOCK) this.split(b);
  }

  /** Removes the entry with these values and sequence; returns whether it was there. */
  remove(entry: KeyEntry): boolean {
    const b = this.blockFor((e) => this.compare(e, entry) >= 0);
    if (b === this.blocks.length) return false;
    const block = this.blocks[b];
    const i = lowerBound(block, (e) => this.compare(e, entry) >= 0);
    if (i >= block.length || this.compare(block[i], entry) !== 0) return false;
    block.splice(i, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /**
   * The entries between two bounds, in index order or (with `reverse`) backwards. The caller must not change the
   * index while it walks the result.
   */
  *scan(lower: KeyBound | null, upper: KeyBound | null, reverse = false): Generator<KeyEntry> {
    const aboveLower = (e: KeyEntry) => {
      if (!lower) return true;
      const order = this.comparePrefix(e.values, lower.values);
      return lower.inclusive ? order >= 0 : order > 0;
    };
    const belowUpper = (e: KeyEntry) => {
      if (!upper) return true;
      const order = this.comparePrefix(e.values, upper.values);
      return upper.inclusive ? order <= 0 : order < 0;
    };
    if (!reverse) {
      let b = this.blockFor(aboveLower);
      let i = b < this.blocks.length ? lowerBound(this.blocks[b], aboveLower) : 0;
      for (; b < this.blocks.length; b++, i = 0) {
        const block = this.blocks[b];
        for (; i < block.length; i++) {
          if (!belowUpper(block[i])) return;
          yield block[i];
        }
      }
      return;
    }
    // Backwards: start just before the first entry beyond the upper bound.
    const beyondUpper = (e: KeyEntry) => !belowUpper(e);
    let b = this.blockFor(beyondUpper);
    let i: number;
    if (b === this.blocks.length) {
      b--;
      i = b >= 0 ? this.blocks[b].length - 1 : -1;
    } else {
      i = lowerBound(this.blocks[b], beyondUpper) - 1;
    }
    while (b >= 0) {
      const block = this.blocks[b];
      for (; i >= 0; i--) {
        if (!aboveLower(block[i])) return;
        yield block[i];
      }
      b--;
      if (b >= 0) i = this.blocks[b].length - 1;
    }
  }

  /**
   * Appends to `out` every entry between two bounds, in index order. Both ends are found by binary search, so the
   * entries in between are copied without comparing any of them, which is what a walk that reads its whole range (no
   * limit to stop it early) wants.
   */
  collect(lower: KeyBound | null, upper: KeyBound | null, out: KeyEntry[]): void {
    const start = lower ? this.position((e) => this.atOrBeyond(e, lower, lower.inclusive)) : { block: 0, index: 0 };
    const end = upper ? this.position((e) => this.atOrBeyond(e, upper, !upper.inclusive)) : { block: this.blocks.length, index: 0 };
    for (let b = start.block, i = start.index; b < end.block || (b === end.block && i < end.index); b++, i = 0) {
      const block = this.blocks[b];
      const stop = b === end.block ? end.index : block.length;
      for (; i < stop; i++) out.push(block[i]);
    }
  }

  /** Whether an entry lies at a bound (when `at` is true) or beyond it, in index order. */
  private atOrBeyond(entry: KeyEntry, bound: KeyBound, at: boolean): boolean {
    const order = this.comparePrefix(entry.values, bound.values);
    return at ? order >= 0 : order > 0;
  }

  /** Where the first entry satisfying a monotonic predicate is: its block and its index in that block. */
  private position(predicate: (entry: KeyEntry) => boolean): { block: number; index: number } {
    const block = this.blockFor(predicate);
    if (block === this.blocks.length) return { block, index: 0 };
    return { block, index: lowerBound(this.blocks[block], predicate) };
  }

  /** The first block whose last entry satisfies a monotonic predicate, or the number of blocks when none does. */
  private blockFor(predicate: (entry: KeyEntry) => boolean): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const block = this.blocks[middle];
      if (predicate(block[block.length - 1])) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  private split(b: number): void {
    const block = this.blocks[b];
    const half = block.length >>> 1;
    this.blocks.splice(b + 1, 0, block.slice(half));
    block.length = half;
  }
}

/** The first position in a sorted array where a monotonic predicate holds, or the length when it never does. */
function lowerBound<T>(items: T[], predicate: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (predicate(items[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The values of one key field, one per entry, as primitives that JavaScript's `<` orders as compareValues orders the
 * values themselves, or null when some value has no such form or the field mixes kinds. Nulls (and missing values,
 * which index keys hold as null) stay null: they sort before every kind taken here, as in MongoDB's type order.
 */
function primitiveColumn(entries: readonly KeyEntry[], field: number): (number | string | null)[] | null {
  let kind: string | null = null;
  const column = new Array<number | string | null>(entries.length);
  for (let j = 0; j < entries.length; j++) {
    const value = entries[j].values[field];
    let form: number | string;
    let itsKind: string;
    if (value === null || value === undefined) {
      column[j] = null;
      continue;
    } else if (typeof value === 'string') {
      // The engine orders strings as JavaScript does (compareValues).
      [form, itsKind] = [value, 'string'];
    } else if (typeof value === 'number') {
      if (Number.isNaN(value)) return null;
      [form, itsKind] = [value, 'number'];
    } else if (typeof value === 'boolean') {
      [form, itsKind] = [value ? 1 : 0, 'boolean'];
    } else if (value instanceof Date) {
      form = value.getTime();
      if (Number.isNaN(form)) return null;
      itsKind = 'date';
    } else if ((value as { _bsontype?: string })._bsontype === 'ObjectId') {
      // Lower-case hexadecimal orders as the bytes do.
      [form, itsKind] = [(value as { toHexString(): string }).toHexString(), 'objectId'];
    } else {
      return null;
    }
    if (kind !== null && kind !== itsKind) return null;
    kind = itsKind;
    column[j] = form;
  }
  return column;
}

/**
 * Entries in index order, as `compare` orders them. Building an index sorts every document's key, and comparing BSON
 * values in general (type order first, numbers across types, ObjectIds byte by byte) is most of that work. When every
 * field of the key holds values of one plain kind (strings, numbers, booleans, dates or ObjectIds, and nulls), as in
 * nearly every index, each value is turned once into a string or number that `<` orders alike, and the sort compares
 * those; otherwise it falls back to `compare`.
 */
export function sortIntoIndexOrder(entries: KeyEntry[], directions: readonly (1 | -1)[], compare: (a: KeyEntry, b: KeyEntry) => number): KeyEntry[] {
  const columns: (number | string | null)[][] = [];
  for (let field = 0; field < directions.length; field++) {
    const column = primitiveColumn(entries, field);
    if (column === null) return entries.sort(compare);
    columns.push(column);
  }
  const positions = Array.from({ length: entries.length }, (_, j) => j);
  positions.sort((x, y) => {
    for (let field = 0; field < columns.length; field++) {
      const a = columns[field][x];
      const b = columns[field][y];
      if (a === b) continue;
      const direction = directions[field];
      if (a === null) return -direction;
      if (b === null) return direction;
      return a < b ? -direction : direction;
    }
    return entries[x].seq - entries[y].seq;
  });
  return positions.map((j) => entries[j]);
}
