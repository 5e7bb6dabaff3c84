import { readFileSync } from 'node:fs';
import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf } from '../schema/changes';
import { SUPERGRAPH_URL } from '../schema/composition';
import { DEFAULT_LIMITS, limitBreached, measureOperation } from './limits';

const SCHEMA = apiSchemaOf(readFileSync(SUPERGRAPH_URL, 'utf8'));

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return measureOperation(SCHEMA, document, operation, variables);
}

/** A document of `levels` fragments, each spreading the next twice: 2^levels paths in about 40 bytes a level. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { kelurahanList { code } }`;
}

describe('measuring an operation before any subgraph is asked', () => {
  it('counts depth through fields, inline fragments and named fragments', () => {
    expect(measure('{ kelurahanList { code } }').depth).toBe(2);
    expect(measure('{ kelurahanList { ... on Kelurahan { kecamatan { name } } } }').depth).toBe(3);
    expect(measure('{ kelurahanList { ...K } } fragment K on Kelurahan { scorecard(year: 2023) { kelurahan { code } } }').depth).toBe(4);
  });

  it('measures a 1 KB document of 2^24 paths in milliseconds, as the number of fields it would expand to', () => {
    const query = fragmentBomb(24);
    expect(query.length).toBeLessThan(1_100);
    const started = performance.now();
    const result = measure(query);
    const elapsed = performance.now() - started;
    expect(result.fields).toBe(2 ** 24 * 2);
    expect(result.depth).toBe(2);
    // Generous for a shared machine: a path-by-path walk would take tens of seconds.
    expect(elapsed).toBeLessThan(1_000);
    expect(limitBreached(result, DEFAULT_LIMITS, 'public')?.extensions.code).toBe('TOO_MANY_FIELDS');
  });

  it('counts aliases after fragment expansion, and root fields and directives', () => {
    const result = measure(`
      query { a: kecamatanList { code } b: kecamatanList { c: code } ...F ...F }
      fragment F on Query { d: kelurahanList @include(if: true) { code } }`);
    expect(result.aliases).toBe(3 + 2);
    expect(result.rootFields).toBe(3);
    expect(result.directives).toBe(2);
  });

  it("costs a list by its `first`, the city's known list lengths, or a default page", () => {
    const one = measure('{ kelurahan(code: "35.71.01.1005") { code } }').cost;
    const all = measure('{ kelurahanList { code } }').cost;
    expect(one).toBe(2);
    expect(all).toBe(1 + 46);
    const paged = (first: number) => measure('query($n: Int) { prodamasProposals(first: $n) { nodes { id } } }', { n: first }).cost;
    expect(paged(50)).toBeGreaterThan(paged(5) * 5);
  });

  it('refuses each limit with its own code, and the cost budget by role', () => {
    const base = { depth: 2, aliases: 0, fields: 2, rootFields: 1, directives: 0, cost: 10 };
    expect(limitBreached(base, DEFAULT_LIMITS, 'public')).toBeUndefined();
    expect(limitBreached({ ...base, depth: 40 }, DEFAULT_LIMITS, 'public')?.extensions.code).toBe('QUERY_TOO_DEEP');
    expect(limitBreached({ ...base, aliases: 10_000 }, DEFAULT_LIMITS, 'public')?.extensions.code).toBe('TOO_MANY_ALIASES');
    expect(limitBreached({ ...base, rootFields: 500 }, DEFAULT_LIMITS, 'public')?.extensions.code).toBe('TOO_MANY_ROOT_FIELDS');
    expect(limitBreached({ ...base, directives: 500 }, DEFAULT_LIMITS, 'public')?.extensions.code).toBe('TOO_MANY_DIRECTIVES');
    const costly = { ...base, cost: DEFAULT_LIMITS.maxCost.public + 1 };
    expect(limitBreached(costly, DEFAULT_LIMITS, 'public')?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', http: { status: 400 } });
    expect(limitBreached(costly, DEFAULT_LIMITS, 'dashboard')).toBeUndefined();
  });

  it('keeps the dashboard operations the city committed within the public budget', () => {
    for (const file of ['CityDashboard', 'KelurahanPage', 'CityScorecard', 'KelurahanName']) {
      const text = readFileSync(new URL(`../schema/operations/${file}.graphql`, import.meta.url), 'utf8');
      const pillars = readFileSync(new URL('../schema/operations/pillars.graphql', import.meta.url), 'utf8');
      const result = measure(`${text}\n${pillars}`, { year: 2023, code: '35.71.01.1005', first: 50 });
      expect(limitBreached(result, DEFAULT_LIMITS, 'public'), file).toBeUndefined();
    }
  });
});
