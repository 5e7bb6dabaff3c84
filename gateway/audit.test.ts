import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { plannedServices, residentReads } from './audit';

const SCHEMA = buildSchema(`
  type Query { resident(id: ID!, purpose: String!): Resident kelurahanList: [Kelurahan!]! }
  type Resident { id: ID! }
  type Kelurahan { code: String! }
`);

function reads(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return residentReads(SCHEMA, document, operation, variables);
}

const ID = 'R0123456789abcdef0123456789abcdef';

describe('finding the resident reads an operation makes, so each leaves an audit record', () => {
  it('finds a read with literal arguments and with variables', () => {
    expect(reads(`{ resident(id: "${ID}", purpose: "case 1") { id } }`)).toEqual([{ residentId: ID, purpose: 'case 1' }]);
    expect(reads('query($i: ID!, $p: String!) { resident(id: $i, purpose: $p) { id } }', { i: ID, p: 'case 2' })).toEqual([
      { residentId: ID, purpose: 'case 2' },
    ]);
  });

  it('reads ids and purposes from variable defaults, as the executor does', () => {
    const query = `query($i: ID = "${ID}", $p: String = "Case 9: default purpose") { resident(id: $i, purpose: $p) { id } }`;
    expect(reads(query)).toEqual([{ residentId: ID, purpose: 'Case 9: default purpose' }]);
    expect(reads(query, { p: 'Case 10: given purpose' })).toEqual([{ residentId: ID, purpose: 'Case 10: given purpose' }]);
  });

  it('finds reads under aliases, inline fragments and named fragments at the root', () => {
    const found = reads(`
      query { a: resident(id: "${ID}", purpose: "one") { id } ... on Query { b: resident(id: "${ID}", purpose: "two") { id } } ...F }
      fragment F on Query { c: resident(id: "${ID}", purpose: "three") { id } }`);
    expect(found.map((read) => read.purpose)).toEqual(['one', 'two', 'three']);
  });

  it('counts a read only when @skip and @include let the executor run it', () => {
    expect(reads(`{ resident(id: "${ID}", purpose: "p") @skip(if: true) { id } }`)).toEqual([]);
    expect(reads(`query($s: Boolean!) { resident(id: "${ID}", purpose: "p") @include(if: $s) { id } }`, { s: false })).toEqual([]);
    expect(reads(`query($s: Boolean!) { ... @include(if: $s) { resident(id: "${ID}", purpose: "p") { id } } }`, { s: true })).toHaveLength(1);
    expect(reads(`query($s: Boolean = true) { ...F @skip(if: $s) } fragment F on Query { resident(id: "${ID}", purpose: "p") { id } }`)).toEqual([]);
  });

  it('ignores operations that read no resident, and visits a fragment spread many times once', () => {
    expect(reads('{ kelurahanList { code } }')).toEqual([]);
    expect(reads(`query { ...F ...F ...F } fragment F on Query { resident(id: "${ID}", purpose: "p") { id } }`)).toHaveLength(1);
  });
});

describe('the agencies a query plan asks', () => {
  it('collects every fetch, however deeply the plan nests them', () => {
    const plan = {
      kind: 'QueryPlan',
      node: {
        kind: 'Sequence',
        nodes: [
          { kind: 'Fetch', serviceName: 'city' },
          { kind: 'Parallel', nodes: [{ kind: 'Flatten', node: { kind: 'Fetch', serviceName: 'tax' } }, { kind: 'Fetch', serviceName: 'health' }] },
        ],
      },
    };
    expect([...plannedServices(plan)].sort()).toEqual(['city', 'health', 'tax']);
  });
});
