import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { plannedServices, residentReads } from './audit';

function reads(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return residentReads(operation, variables, document);
}

const ID = 'R0123456789abcdef0123456789abcdef';

describe('finding the resident reads an operation makes, so each leaves an audit record', () => {
  it('finds a read with literal arguments and with variables', () => {
    expect(reads(`{ resident(id: "${ID}", purpose: "case 1") { id } }`)).toEqual([{ residentId: ID, purpose: 'case 1' }]);
    expect(reads('query($i: ID!, $p: String!) { resident(id: $i, purpose: $p) { id } }', { i: ID, p: 'case 2' })).toEqual([
      { residentId: ID, purpose: 'case 2' },
    ]);
  });

  it('finds reads under aliases, inline fragments and named fragments at the root', () => {
    const found = reads(`
      query { a: resident(id: "${ID}", purpose: "one") { id } ... on Query { b: resident(id: "${ID}", purpose: "two") { id } } ...F }
      fragment F on Query { c: resident(id: "${ID}", purpose: "three") { id } }`);
    expect(found.map((read) => read.purpose)).toEqual(['one', 'two', 'three']);
  });

  it('ignores operations that read no resident and survives a fragment that spreads itself', () => {
    expect(reads('{ kelurahanList { code } }')).toEqual([]);
    expect(reads('query { ...F } fragment F on Query { ...F kelurahanList { code } }')).toEqual([]);
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
