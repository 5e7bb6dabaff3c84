import { Kind, parse, valueFromASTUntyped, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { ResidentGrant } from '../../platform/identity';

/**
 * A resident's personal data leaves a subgraph only under the gateway's grant. The graph reaches a resident
 * at an agency through one door, the `_entities` lookup of `Resident` representations by pseudonymous id;
 * every id asked for there must be named by the grant that the gateway signed after writing the read's audit
 * record. A request captured and replayed, or crafted around the gateway, has no such grant and is refused,
 * so no path around the audit reads a resident.
 */
export class ResidentGrantError extends Error {
  override name = 'ResidentGrantError';
}

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
}

/** The `_entities` fields at the root of the operation, wherever they stand (aliases, fragments). */
function entityLookups(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  const found: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '_entities') found.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      found.push(...entityLookups(selection.selectionSet, fragments, seen));
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) found.push(...entityLookups(fragment.selectionSet, fragments, seen));
    }
  }
  return found;
}

/** The resident ids an entity lookup asks for; an unparsable body is left to GraphQL to refuse. */
export function residentIdsAsked(body: unknown): string[] {
  const { query, variables } = (body ?? {}) as GraphQLBody;
  if (typeof query !== 'string' || !query.includes('_entities')) return [];
  let document;
  try {
    document = parse(query);
  } catch {
    return [];
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const values = (variables && typeof variables === 'object' ? variables : {}) as Record<string, unknown>;
  const ids: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const lookup of entityLookups(definition.selectionSet, fragments)) {
      const argument = lookup.arguments?.find((arg) => arg.name.value === 'representations');
      const representations = argument ? valueFromASTUntyped(argument.value, values) : undefined;
      for (const representation of Array.isArray(representations) ? representations : []) {
        if (representation?.__typename === 'Resident') ids.push(String(representation.id));
      }
    }
  }
  return ids;
}

export function requireResidentGrant(body: unknown, grant: ResidentGrant | undefined): void {
  const asked = residentIdsAsked(body);
  if (asked.length === 0) return;
  const granted = new Set((grant?.reads ?? []).map((read) => read.residentId));
  const missing = asked.filter((id) => !granted.has(id));
  if (missing.length > 0) {
    throw new ResidentGrantError(
      `Reading a resident's personal data needs the gateway's grant naming that resident, the purpose and the audit record; ` +
        `${missing.length} of the ${asked.length} residents asked for have none. Read residents through the gateway's resident(id, purpose).`,
    );
  }
}
