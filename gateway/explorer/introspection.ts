import { getIntrospectionQuery, GraphQLSchema, Kind, parse, print, visit, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { measureOperation } from '../limits';

/**
 * The introspection query the explorer sends. GraphiQL sends graphql-js's, which follows a wrapped type nine
 * `ofType` levels down and so nests 15 fields deep, past the gateway's depth limit (MAX_QUERY_DEPTH, 12 by
 * default): the explorer would then know nothing of the schema. It sends the same query instead, with as many
 * `ofType` levels as fit the limit; four cover any type reference shallower than [[Type!]!]!, and this graph's
 * deepest is [Type!]!, which needs three.
 */
const MOST_LEVELS = 9;

function typeRefSelection(levels: number): SelectionSetNode {
  const fields = (remaining: number): string => (remaining === 0 ? 'kind name' : `kind name ofType { ${fields(remaining - 1)} }`);
  const fragment = parse(`fragment TypeRef on __Type { ${fields(levels)} }`).definitions[0];
  if (fragment.kind !== Kind.FRAGMENT_DEFINITION) throw new Error('Expected the TypeRef fragment.');
  return fragment.selectionSet;
}

/** graphql-js's introspection query (with deprecated arguments and input fields, as GraphiQL asks) to `levels` wrappings. */
export function introspectionQuery(levels: number): string {
  const document = parse(getIntrospectionQuery({ inputValueDeprecation: true }));
  return print(
    visit(document, {
      FragmentDefinition(node) {
        return node.name.value === 'TypeRef' ? { ...node, selectionSet: typeRefSelection(levels) } : undefined;
      },
    }),
  );
}

function depthOf(query: string): number {
  const document = parse(query);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
  // Depth needs no types: an empty schema measures it as the gateway does.
  return measureOperation(new GraphQLSchema({}), document, operation).depth;
}

/** The deepest introspection query within `maxDepth`; the shallowest one when none fits (the gateway then says why). */
export function introspectionWithin(maxDepth: number): { query: string; levels: number; depth: number } {
  let levels = MOST_LEVELS;
  let query = introspectionQuery(levels);
  while (levels > 1 && depthOf(query) > maxDepth) {
    levels -= 1;
    query = introspectionQuery(levels);
  }
  return { query, levels, depth: depthOf(query) };
}
