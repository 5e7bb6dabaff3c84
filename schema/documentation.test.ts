import { readFileSync } from 'node:fs';
import {
  Kind,
  parse,
  type ASTNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type EnumValueDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUBGRAPHS } from '../subgraphs/registry';
import { ROOT } from './composition';

/**
 * Satu Data Indonesia asks that every published element be described: each subgraph's contract documents
 * every type, field, argument and enum value it declares. This lists what is missing, by name.
 */
type Described = { description?: { value: string } } & ASTNode;

function undocumented(sdl: string): string[] {
  const missing: string[] = [];
  const check = (node: Described, name: string) => {
    if (!node.description?.value.trim()) missing.push(name);
  };
  for (const definition of parse(sdl).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const typeName = definition.name.value;
    const isExtension = definition.kind === Kind.OBJECT_TYPE_EXTENSION;
    // Query and Mutation describe themselves through their fields.
    if (!isExtension && !['Query', 'Mutation'].includes(typeName)) check(definition as Described, typeName);
    const fields = ('fields' in definition ? definition.fields : undefined) as readonly (FieldDefinitionNode | InputValueDefinitionNode)[] | undefined;
    for (const field of fields ?? []) {
      check(field, `${typeName}.${field.name.value}`);
      for (const arg of ('arguments' in field ? field.arguments : undefined) ?? []) {
        check(arg, `${typeName}.${field.name.value}(${arg.name.value})`);
      }
    }
    const values = ('values' in definition ? definition.values : undefined) as readonly EnumValueDefinitionNode[] | undefined;
    for (const value of values ?? []) check(value, `${typeName}.${value.name.value}`);
  }
  return missing;
}

describe('every subgraph documents its contract', () => {
  it.each(SUBGRAPHS.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
    const sdl = readFileSync(new URL(`${entry.dir}/schema.graphql`, ROOT), 'utf8');
    expect(undocumented(sdl)).toEqual([]);
  });
});
