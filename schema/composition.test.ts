import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUBGRAPHS } from '../subgraphs/registry';
import { CompositionError, SUPERGRAPH_URL, composeSupergraph } from './composition';

describe('the committed supergraph', () => {
  it('composes from every registered subgraph and matches schema/supergraph.graphql', () => {
    const composed = composeSupergraph();
    expect(readFileSync(SUPERGRAPH_URL, 'utf8'), 'run `npm run compose` and commit the result').toBe(composed);
  });

  it('routes every registered subgraph at its registry port', () => {
    const supergraph = readFileSync(SUPERGRAPH_URL, 'utf8');
    for (const entry of SUBGRAPHS) {
      expect(supergraph).toContain(`url: "http://localhost:${entry.port}/graphql"`);
    }
  });
});

describe('composition failures', () => {
  it('reports a subgraph whose SDL does not parse, naming its file', () => {
    const broken = { ...SUBGRAPHS[0], dir: 'schema/fixtures/broken' };
    expect(() => composeSupergraph([broken])).toThrow(CompositionError);
    expect(() => composeSupergraph([broken])).toThrow(/schema\/fixtures\/broken\/schema.graphql does not parse/);
  });

  it('reports conflicting definitions of a shared type', () => {
    const entries = [
      { ...SUBGRAPHS[0], name: 'one', dir: 'schema/fixtures/conflict-one' },
      { ...SUBGRAPHS[0], name: 'two', dir: 'schema/fixtures/conflict-two' },
    ];
    expect(() => composeSupergraph(entries)).toThrow(/Composition failed/);
  });
});
