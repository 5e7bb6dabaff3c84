import { Supergraph, printSchema as printFederationSchema } from '@apollo/federation-internals';
import {
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  printSchema,
  type BreakingChange,
  type DangerousChange,
  type GraphQLSchema,
} from 'graphql';
import { findSafeChanges } from './safe-changes';

/**
 * What a change to the supergraph means for the dashboards that query it. Breaking and dangerous changes are
 * graphql-js's own classification (findBreakingChanges, findDangerousChanges); everything else that clients
 * can see (a new type, a new field, a description) is safe and comes from ./safe-changes.
 */
export type Severity = 'breaking' | 'dangerous' | 'safe';

export interface SchemaChange {
  severity: Severity;
  /** graphql-js's name for breaking and dangerous changes (FIELD_REMOVED, VALUE_ADDED_TO_ENUM...); ours for safe ones. */
  kind: string;
  /** The schema coordinate of the element that changed: `Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE` or `@directive`. */
  coordinate: string;
  /** One sentence saying what changed. */
  description: string;
}

/**
 * The schema clients see: the supergraph without its join__ and link machinery or @inaccessible elements.
 * It is printed by federation-internals and rebuilt with this module's graphql: federation-internals is
 * CommonJS and a test runner may load graphql's ES module build here, and graphql refuses to mix objects
 * of the two builds ("Cannot use GraphQLSchema from another module or realm").
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return buildSchema(printFederationSchema(Supergraph.build(supergraphSdl).apiSchema()));
}

/** The API schema printed as SDL; two supergraphs with equal API SDL look the same to every client. */
export function apiSdlOf(supergraphSdl: string): string {
  return printSchema(apiSchemaOf(supergraphSdl));
}

/**
 * graphql-js describes each change in a sentence but does not name the element it is about. Acknowledgements
 * need a stable name to match on, so each kind's sentence (fixed in graphql 16) is read back into a schema
 * coordinate here. A sentence that no pattern reads keeps the whole sentence as its coordinate: the change is
 * still reported and classified, only acknowledging it takes that longer name.
 */
const COORDINATE_PATTERNS: Readonly<Record<string, RegExp>> = {
  // Breaking changes.
  TYPE_REMOVED: /^(?:Standard scalar )?(?<type>\w+) was removed/,
  TYPE_CHANGED_KIND: /^(?<type>\w+) changed from /,
  TYPE_REMOVED_FROM_UNION: /^\w+ was removed from union type (?<type>\w+)\.$/,
  VALUE_REMOVED_FROM_ENUM: /^(?<value>\w+) was removed from enum type (?<type>\w+)\.$/,
  REQUIRED_INPUT_FIELD_ADDED: /^A required field (?<field>\w+) on input type (?<type>\w+) was added\.$/,
  IMPLEMENTED_INTERFACE_REMOVED: /^(?<type>\w+) no longer implements interface \w+\.$/,
  FIELD_REMOVED: /^(?<type>\w+)\.(?<field>\w+) was removed\.$/,
  FIELD_CHANGED_KIND: /^(?<type>\w+)\.(?<field>\w+) changed type from /,
  REQUIRED_ARG_ADDED: /^A required arg (?<arg>\w+) on (?<type>\w+)\.(?<field>\w+) was added\.$/,
  ARG_REMOVED: /^(?<type>\w+)\.(?<field>\w+) arg (?<arg>\w+) was removed\.$/,
  ARG_CHANGED_KIND: /^(?<type>\w+)\.(?<field>\w+) arg (?<arg>\w+) has changed type from /,
  DIRECTIVE_REMOVED: /^(?<directive>\w+) was removed\.$/,
  DIRECTIVE_ARG_REMOVED: /^(?<arg>\w+) was removed from (?<directive>\w+)\.$/,
  REQUIRED_DIRECTIVE_ARG_ADDED: /^A required arg (?<arg>\w+) on directive (?<directive>\w+) was added\.$/,
  DIRECTIVE_REPEATABLE_REMOVED: /^Repeatable flag was removed from (?<directive>\w+)\.$/,
  DIRECTIVE_LOCATION_REMOVED: /^\w+ was removed from (?<directive>\w+)\.$/,
  // Dangerous changes.
  VALUE_ADDED_TO_ENUM: /^(?<value>\w+) was added to enum type (?<type>\w+)\.$/,
  TYPE_ADDED_TO_UNION: /^\w+ was added to union type (?<type>\w+)\.$/,
  OPTIONAL_INPUT_FIELD_ADDED: /^An optional field (?<field>\w+) on input type (?<type>\w+) was added\.$/,
  OPTIONAL_ARG_ADDED: /^An optional arg (?<arg>\w+) on (?<type>\w+)\.(?<field>\w+) was added\.$/,
  IMPLEMENTED_INTERFACE_ADDED: /^\w+ added to interfaces implemented by (?<type>\w+)\.$/,
  ARG_DEFAULT_VALUE_CHANGE: /^(?<type>\w+)\.(?<field>\w+) arg (?<arg>\w+) (?:defaultValue was removed|has changed defaultValue)/,
};

export const GRAPHQL_JS_KINDS: readonly string[] = Object.keys(COORDINATE_PATTERNS);

export function coordinateOf(kind: string, description: string): string {
  const groups = COORDINATE_PATTERNS[kind]?.exec(description)?.groups;
  if (!groups) return description;
  const argument = groups.arg ? `(${groups.arg}:)` : '';
  if (groups.directive) return `@${groups.directive}${argument}`;
  const member = groups.field ?? groups.value;
  return `${groups.type}${member ? `.${member}` : ''}${argument}`;
}

function fromGraphqlJs(severity: Severity, change: BreakingChange | DangerousChange): SchemaChange {
  return { severity, kind: change.type, coordinate: coordinateOf(change.type, change.description), description: change.description };
}

const SEVERITY_ORDER: readonly Severity[] = ['breaking', 'dangerous', 'safe'];

/** Code-unit order, not localeCompare: the report reads the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareChanges(a: SchemaChange, b: SchemaChange): number {
  return (
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    compareText(a.coordinate, b.coordinate) ||
    compareText(a.kind, b.kind) ||
    compareText(a.description, b.description)
  );
}

function asSchema(apiSchema: string | GraphQLSchema): GraphQLSchema {
  return typeof apiSchema === 'string' ? buildSchema(apiSchema) : apiSchema;
}

/**
 * Every client-visible difference between two API schemas, breaking first, each once. When the printed
 * schemas differ only in ways no rule names (the order of fields, say), one safe OTHER_CHANGE says so, so
 * that a changed supergraph never reports "no changes".
 */
export function classifyChanges(oldApi: string | GraphQLSchema, newApi: string | GraphQLSchema): SchemaChange[] {
  const before = asSchema(oldApi);
  const after = asSchema(newApi);
  const reported = [
    ...findBreakingChanges(before, after).map((change) => fromGraphqlJs('breaking', change)),
    ...findDangerousChanges(before, after).map((change) => fromGraphqlJs('dangerous', change)),
  ];
  const changes = [...reported, ...findSafeChanges(before, after, reported)];
  if (changes.length === 0 && printSchema(before) !== printSchema(after)) {
    changes.push({
      severity: 'safe',
      kind: 'OTHER_CHANGE',
      coordinate: '(schema)',
      description: 'The printed API schema changed (for example the order of fields) without any element changing.',
    });
  }
  return changes.sort(compareChanges);
}

/** One report line: severity, kind, coordinate, then the sentence. */
export function formatChange(change: SchemaChange): string {
  return `${change.severity.toUpperCase().padEnd(9)} ${change.kind.padEnd(26)} ${change.coordinate}: ${change.description}`;
}
