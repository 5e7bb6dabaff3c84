import { readFileSync } from 'node:fs';
import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf } from '../../schema/changes';
import { SUPERGRAPH_URL } from '../../schema/composition';
import { SUBGRAPHS } from '../../subgraphs/registry';
import { EXPLORER_EXAMPLES } from './examples';

/** The explorer's opening tabs stay true to the graph: each is a valid named operation of the committed supergraph. */
describe("the explorer's example operations", () => {
  const schema = apiSchemaOf(readFileSync(SUPERGRAPH_URL, 'utf8'));

  it('give every role of the city a tab: public, dashboard, each agency, caseworker and auditor', () => {
    const roles = EXPLORER_EXAMPLES.map((example) => example.role);
    expect(new Set(roles)).toEqual(new Set(['public', 'dashboard', ...SUBGRAPHS.map((entry) => `agency:${entry.name}`), 'caseworker', 'auditor']));
    expect(roles).toHaveLength(new Set(roles).size);
  });

  it('open on the public tab, which needs no variables and no key', () => {
    expect(EXPLORER_EXAMPLES[0]).toEqual({ role: 'public', query: expect.any(String) });
  });

  it.each(EXPLORER_EXAMPLES.map((example) => [example.role, example] as const))('validate as %s against the supergraph, one named query each', (_role, example) => {
    const document = parse(example.query);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
    expect(operations).toHaveLength(1);
    expect(operations[0].operation).toBe('query');
    expect(operations[0].name?.value).toMatch(/^[A-Z][A-Za-z]+$/);
    // Every variable the operation declares is given, so Run answers without editing anything first.
    const declared = (operations[0].variableDefinitions ?? []).filter((variable) => variable.type.kind === 'NonNullType').map((variable) => variable.variable.name.value);
    for (const name of declared) expect(example.variables ?? {}, name).toHaveProperty(name);
  });
});
