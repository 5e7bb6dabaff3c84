import { readFileSync } from 'node:fs';
import { buildClientSchema, getIntrospectionQuery, graphqlSync, printSchema, type IntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf } from '../../schema/changes';
import { SUPERGRAPH_URL } from '../../schema/composition';
import { DEFAULT_LIMITS } from '../limits';
import { introspectionWithin } from './introspection';

describe("the explorer's introspection query", () => {
  const schema = apiSchemaOf(readFileSync(SUPERGRAPH_URL, 'utf8'));

  it("fits the gateway's default depth limit, which GraphiQL's own does not", () => {
    const fitted = introspectionWithin(DEFAULT_LIMITS.maxDepth);
    expect(fitted.depth).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDepth);
    expect(fitted.levels).toBe(6);
    expect(introspectionWithin(100).depth).toBeGreaterThan(DEFAULT_LIMITS.maxDepth);
    expect(introspectionWithin(100).query.replace(/\s+/g, ' ')).toContain('ofType { kind name } } } } } } } } }');
  });

  it('still tells the explorer the whole schema of the graph, the same as the full query does', () => {
    const answer = (query: string) => {
      const result = graphqlSync({ schema, source: query });
      expect(result.errors).toBeUndefined();
      return printSchema(buildClientSchema(result.data as unknown as IntrospectionQuery));
    };
    expect(answer(introspectionWithin(DEFAULT_LIMITS.maxDepth).query)).toBe(answer(getIntrospectionQuery({ inputValueDeprecation: true })));
  });

  it('keeps the fewest levels when no depth limit fits any, and the gateway then says why', () => {
    expect(introspectionWithin(3).levels).toBe(1);
  });
});
