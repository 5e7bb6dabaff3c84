import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isListType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Role } from '../platform/identity';
import type { GatewayContext } from './datasource';

/**
 * Every operation's size and cost are measured before any subgraph is asked, and an operation over a
 * limit is refused with HTTP 400 and a code naming the limit. The measure walks the document once with its
 * fragments memoised, so it is linear in the document's size: a 1 KB document whose fragments spread each
 * other twice over (2^24 paths) is measured in microseconds and refused, never walked path by path.
 *
 * - depth: the deepest nesting of fields;
 * - aliases and fields: counted after fragment expansion, as the executor would see them;
 * - root fields and directives;
 * - cost: each field costs 1, times the number of items its list parents are expected to return: a list's
 *   `first` argument where it has one, the known length of the city's fixed lists (46 kelurahan, 3
 *   kecamatan), and otherwise a default page of 20. The budget depends on the role.
 */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  fields: number;
  rootFields: number;
  directives: number;
  cost: number;
}

export type CostClass = 'public' | 'dashboard' | 'staff';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxRootFields: number;
  maxDirectives: number;
  maxCost: Record<CostClass, number>;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxFields: 1_000,
  maxRootFields: 20,
  maxDirectives: 50,
  maxCost: { public: 20_000, dashboard: 100_000, staff: 100_000 },
};

/** Lists of the city whose length is known: a kelurahan list is never longer than the city's 46. */
const KNOWN_LIST_LENGTHS: Record<string, number> = {
  'Query.kelurahanList': 46,
  'Query.kecamatanList': 3,
};

/** A list without `first` is expected to return one default page. */
const DEFAULT_LIST_LENGTH = 20;

export function costClass(role: Role): CostClass {
  return role === 'public' || role === 'dashboard' ? role : 'staff';
}

interface Tally {
  depth: number;
  aliases: number;
  fields: number;
  directives: number;
  cost: number;
}

const NOTHING: Tally = { depth: 0, aliases: 0, fields: 0, directives: 0, cost: 0 };

/** Measures one operation; `variables` are the caller's raw variables (coerced here as the executor would). */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  const values = coerced.coerced ?? {};
  // A fragment's tally depends only on the fragment and whether its parent already counted a page size.
  const memo = new Map<string, Tally>();
  const inProgress = new Set<string>();

  const firstOf = (field: FieldNode): number | undefined => {
    const argument = field.arguments?.find((arg) => arg.name.value === 'first');
    const value = argument ? valueFromASTUntyped(argument.value, values) : undefined;
    return typeof value === 'number' && value >= 0 ? value : undefined;
  };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, parentPaged: boolean): Tally => {
    const tally: Tally = { ...NOTHING };
    const add = (inner: Tally) => {
      tally.depth = Math.max(tally.depth, inner.depth);
      tally.aliases += inner.aliases;
      tally.fields += inner.fields;
      tally.directives += inner.directives;
      tally.cost += inner.cost;
    };
    for (const selection of selectionSet.selections) {
      tally.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const definition = parent && 'getFields' in parent ? parent.getFields()[selection.name.value] : undefined;
        const type = definition ? getNullableType(definition.type) : undefined;
        const first = firstOf(selection);
        const known = parent ? KNOWN_LIST_LENGTHS[`${parent.name}.${selection.name.value}`] : undefined;
        const isList = type !== undefined && isListType(type);
        const items = first ?? (isList ? (parentPaged ? 1 : (known ?? DEFAULT_LIST_LENGTH)) : 1);
        const inner = selection.selectionSet ? walk(selection.selectionSet, type ? getNamedType(type) : undefined, first !== undefined) : NOTHING;
        tally.fields += 1;
        if (selection.alias && selection.alias.value !== selection.name.value) tally.aliases += 1;
        tally.cost += 1 + items * inner.cost;
        tally.depth = Math.max(tally.depth, 1 + inner.depth);
        tally.aliases += inner.aliases;
        tally.fields += inner.fields;
        tally.directives += inner.directives;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? parent) : parent;
        add(walk(selection.selectionSet, type, parentPaged));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const key = `${name}|${parentPaged}`;
        if (!fragment || inProgress.has(key)) continue; // validation refuses cycles; never loop on one
        let inner = memo.get(key);
        if (!inner) {
          inProgress.add(key);
          inner = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, parentPaged);
          inProgress.delete(key);
          memo.set(key, inner);
        }
        add(inner);
      }
    }
    return tally;
  };

  const root =
    operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const tally = walk(operation.selectionSet, root ?? undefined, false);
  const rootFields = rootFieldsOf(operation.selectionSet, fragments).length;
  return { depth: tally.depth, aliases: tally.aliases, fields: tally.fields, rootFields, directives: tally.directives, cost: tally.cost };
}

/** The fields at the root of an operation, through its fragments (each visited once, as the executor does). */
export function rootFieldsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  const found: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) found.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) found.push(...rootFieldsOf(selection.selectionSet, fragments, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) found.push(...rootFieldsOf(fragment.selectionSet, fragments, seen));
    }
  }
  return found;
}

function refuse(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/** The first limit an operation breaks, as the error to refuse it with; undefined when it is within all. */
export function limitBreached(measure: OperationMeasure, limits: OperationLimits, role: Role): GraphQLError | undefined {
  if (measure.depth > limits.maxDepth) {
    return refuse('QUERY_TOO_DEEP', `The operation is nested ${measure.depth} levels deep; the gateway allows at most ${limits.maxDepth}.`);
  }
  if (measure.aliases > limits.maxAliases) {
    return refuse('TOO_MANY_ALIASES', `The operation uses ${measure.aliases} aliases; the gateway allows at most ${limits.maxAliases}.`);
  }
  if (measure.fields > limits.maxFields) {
    return refuse('TOO_MANY_FIELDS', `The operation selects ${measure.fields} fields once its fragments are expanded; the gateway allows at most ${limits.maxFields}.`);
  }
  if (measure.rootFields > limits.maxRootFields) {
    return refuse('TOO_MANY_ROOT_FIELDS', `The operation asks ${measure.rootFields} root fields; the gateway allows at most ${limits.maxRootFields}.`);
  }
  if (measure.directives > limits.maxDirectives) {
    return refuse('TOO_MANY_DIRECTIVES', `The operation uses ${measure.directives} directives; the gateway allows at most ${limits.maxDirectives}.`);
  }
  const budget = limits.maxCost[costClass(role)];
  if (measure.cost > budget) {
    return refuse(
      'QUERY_TOO_COSTLY',
      `The operation's estimated cost is ${measure.cost}; role "${role}" may spend at most ${budget} per operation. Ask for smaller pages (first) or fewer fields.`,
    );
  }
  return undefined;
}

/** Measures each operation once it is resolved and refuses it, before any subgraph is asked, when over a limit. */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, contextValue }) {
          if (!operation) return;
          const measure = measureOperation(schema, document, operation, request.variables ?? {});
          const breach = limitBreached(measure, limits, contextValue.identity.role);
          if (breach) throw breach;
        },
      };
    },
  };
}
