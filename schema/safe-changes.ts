import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  type GraphQLArgument,
  type GraphQLEnumValue,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { SchemaChange } from './changes';

/**
 * The changes graphql-js does not report because no operation can break on them: additions, types that got
 * stricter on output or looser on input, descriptions and deprecations. They are listed so that the report
 * accounts for every difference a reviewer sees in the supergraph's diff.
 */
type Element = GraphQLNamedType | GraphQLField<unknown, unknown> | GraphQLInputField | GraphQLArgument | GraphQLEnumValue;

function safe(kind: string, coordinate: string, description: string): SchemaChange {
  return { severity: 'safe', kind, coordinate, description };
}

function userTypes(schema: GraphQLSchema): Map<string, GraphQLNamedType> {
  return new Map(Object.entries(schema.getTypeMap()).filter(([name]) => !name.startsWith('__')));
}

/** Description and deprecation changes of one element present in both schemas. */
function documentationChanges(coordinate: string, before: Element, after: Element): SchemaChange[] {
  const changes: SchemaChange[] = [];
  if ((before.description ?? '') !== (after.description ?? '')) {
    changes.push(safe('DESCRIPTION_CHANGED', coordinate, `The description of ${coordinate} changed.`));
  }
  const was = 'deprecationReason' in before ? before.deprecationReason : undefined;
  const is = 'deprecationReason' in after ? after.deprecationReason : undefined;
  if ((was ?? null) !== (is ?? null)) {
    const description =
      is == null ? `${coordinate} is no longer deprecated.` : was == null ? `${coordinate} was deprecated: ${is}` : `${coordinate}'s deprecation reason is now: ${is}`;
    changes.push(safe('DEPRECATION_CHANGED', coordinate, description));
  }
  return changes;
}

/**
 * A field or argument whose type text changed without graphql-js calling it breaking: the type only got
 * stricter where the server answers (Int to Int!) or looser where the client sends (String! to String).
 */
function typeChange(kind: string, reportedKind: string, coordinate: string, before: Element, after: Element, reported: Set<string>): SchemaChange[] {
  if (!('type' in before) || !('type' in after)) return [];
  const from = String(before.type);
  const to = String(after.type);
  if (from === to || reported.has(`${reportedKind} ${coordinate}`)) return [];
  return [safe(kind, coordinate, `${coordinate} changed type from ${from} to ${to}.`)];
}

function argumentChanges(fieldCoordinate: string, before: readonly GraphQLArgument[], after: readonly GraphQLArgument[], reported: Set<string>): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const newArg of after) {
    const oldArg = before.find((candidate) => candidate.name === newArg.name);
    if (!oldArg) continue; // graphql-js reports every added argument (required: breaking; optional: dangerous).
    const coordinate = `${fieldCoordinate}(${newArg.name}:)`;
    changes.push(...documentationChanges(coordinate, oldArg, newArg));
    changes.push(...typeChange('ARG_TYPE_CHANGED', 'ARG_CHANGED_KIND', coordinate, oldArg, newArg, reported));
    if (oldArg.defaultValue === undefined && newArg.defaultValue !== undefined) {
      changes.push(safe('ARG_DEFAULT_VALUE_ADDED', coordinate, `${coordinate} got a default value.`));
    }
  }
  return changes;
}

function fieldChanges(before: GraphQLNamedType, after: GraphQLNamedType, reported: Set<string>): SchemaChange[] {
  if (!(isObjectType(before) || isInterfaceType(before) || isInputObjectType(before))) return [];
  if (!(isObjectType(after) || isInterfaceType(after) || isInputObjectType(after))) return [];
  const oldFields = before.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
  const changes: SchemaChange[] = [];
  for (const newField of Object.values(after.getFields()) as (GraphQLField<unknown, unknown> | GraphQLInputField)[]) {
    const coordinate = `${after.name}.${newField.name}`;
    const oldField = oldFields[newField.name];
    if (!oldField) {
      // graphql-js reports added input fields (required: breaking; optional: dangerous); output fields are ours.
      if (!isInputObjectType(after)) changes.push(safe('FIELD_ADDED', coordinate, `${coordinate} was added.`));
      continue;
    }
    changes.push(...documentationChanges(coordinate, oldField, newField));
    changes.push(...typeChange('FIELD_TYPE_CHANGED', 'FIELD_CHANGED_KIND', coordinate, oldField, newField, reported));
    if ('args' in oldField && 'args' in newField) changes.push(...argumentChanges(coordinate, oldField.args, newField.args, reported));
  }
  return changes;
}

function enumValueChanges(before: GraphQLNamedType, after: GraphQLNamedType): SchemaChange[] {
  if (!isEnumType(before) || !isEnumType(after)) return [];
  return after.getValues().flatMap((newValue) => {
    const oldValue = before.getValue(newValue.name);
    return oldValue ? documentationChanges(`${after.name}.${newValue.name}`, oldValue, newValue) : [];
  });
}

export function findSafeChanges(before: GraphQLSchema, after: GraphQLSchema, reported: readonly SchemaChange[]): SchemaChange[] {
  const reportedKeys = new Set(reported.map((change) => `${change.kind} ${change.coordinate}`));
  const oldTypes = userTypes(before);
  const changes: SchemaChange[] = [];
  for (const [name, newType] of userTypes(after)) {
    const oldType = oldTypes.get(name);
    if (!oldType) {
      // A standard scalar (Int, Float...) appears in the schema as soon as a field uses it; that is not news.
      if (!isSpecifiedScalarType(newType)) changes.push(safe('TYPE_ADDED', name, `${name} was added.`));
      continue;
    }
    // A type that changed kind is reported by graphql-js as breaking; comparing its members would say nothing more.
    if (oldType.constructor !== newType.constructor) continue;
    changes.push(...documentationChanges(name, oldType, newType));
    changes.push(...fieldChanges(oldType, newType, reportedKeys));
    changes.push(...enumValueChanges(oldType, newType));
  }
  for (const directive of after.getDirectives()) {
    if (!isSpecifiedDirective(directive) && !before.getDirective(directive.name)) {
      changes.push(safe('DIRECTIVE_ADDED', `@${directive.name}`, `@${directive.name} was added.`));
    }
  }
  return changes;
}
