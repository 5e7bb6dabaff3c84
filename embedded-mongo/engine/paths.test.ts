import { ObjectId } from 'bson';
import { resolve } from 'mingo/util';
import { describe, expect, it } from 'vitest';
import { pathReader } from './paths';
import type { Document } from './types';

/** The direct path readers against mingo's resolver, which they must equal on every document and path. */
describe('pathReader', () => {
  const documents: unknown[] = [
    { a: 1, b: { c: 2, d: { e: 3 } }, constructor: 'own', n: null },
    { a: [1, 2], b: [{ c: 1 }, { c: [2, 3] }, 4, null], d: new Date(0), o: new ObjectId() },
    { b: { c: [{ d: 1 }, { d: [2] }] }, toString: { x: 1 } },
    { b: 'text', '0': 'zero', e: { '1': 'one' } },
    {},
    Object.assign(Object.create(null), { a: 'no prototype', b: { c: 5 } }),
  ];
  const paths = ['a', 'b', 'b.c', 'b.c.d', 'b.d.e', 'constructor', 'toString', 'toString.x', 'hasOwnProperty', 'n', 'n.x', 'd.getTime', 'o.id', '0', 'e.1', 'b.0.c', 'missing.deep'];

  it('reads every path of every document as mingo resolves it, with and without unwrapArray', () => {
    for (const doc of documents) {
      for (const path of paths) {
        expect(pathReader(path)(doc), `${path} of ${JSON.stringify(doc)}`).toEqual(resolve(doc as Document, path));
        expect(pathReader(path, { unwrapArray: true })(doc), `${path} of ${JSON.stringify(doc)}`).toEqual(resolve(doc as Document, path, { unwrapArray: true }));
      }
    }
  });

  it('refuses what mingo refuses', () => {
    expect(() => pathReader('__proto__')({})).toThrow();
  });
});
