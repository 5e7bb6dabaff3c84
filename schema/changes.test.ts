import { BreakingChangeType, DangerousChangeType, buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GRAPHQL_JS_KINDS, apiSdlOf, classifyChanges, coordinateOf, type SchemaChange } from './changes';
import { composeSupergraph } from './composition';
import { variantApiSchema, variantSubgraphs, type Variant } from './fixtures/schema-check';

const baseline = variantApiSchema('baseline');

function changesTo(variant: Variant): Pick<SchemaChange, 'severity' | 'kind' | 'coordinate'>[] {
  return classifyChanges(baseline, variantApiSchema(variant)).map(({ severity, kind, coordinate }) => ({ severity, kind, coordinate }));
}

describe('classifyChanges between API schemas', () => {
  it('calls a removed field breaking and names it Type.field', () => {
    expect(changesTo('field-removed')).toEqual([{ severity: 'breaking', kind: 'FIELD_REMOVED', coordinate: 'Kelurahan.population' }]);
  });

  it("calls a change of a field's type breaking", () => {
    const [change] = classifyChanges(baseline, variantApiSchema('field-type-changed'));
    expect(change).toEqual({
      severity: 'breaking',
      kind: 'FIELD_CHANGED_KIND',
      coordinate: 'Kelurahan.population',
      description: 'Kelurahan.population changed type from Int to String.',
    });
  });

  it('calls a nullable argument made required breaking', () => {
    expect(changesTo('argument-required')).toEqual([{ severity: 'breaking', kind: 'ARG_CHANGED_KIND', coordinate: 'Query.kelurahanList(kecamatan:)' }]);
  });

  it('calls an added enum value dangerous', () => {
    expect(changesTo('enum-value-added')).toEqual([{ severity: 'dangerous', kind: 'VALUE_ADDED_TO_ENUM', coordinate: 'DataStatus.ARCHIVED' }]);
  });

  it('calls an added field safe', () => {
    expect(changesTo('field-added')).toEqual([{ severity: 'safe', kind: 'FIELD_ADDED', coordinate: 'Kelurahan.areaKm2' }]);
  });

  it('finds nothing between a schema and itself', () => {
    expect(classifyChanges(baseline, variantApiSchema('baseline'))).toEqual([]);
  });

  it('lists breaking changes first, then dangerous, then safe', () => {
    const before = buildSchema('type Query { a: Int b: Int } enum E { X }');
    const after = buildSchema('type Query { a: Int c: Int } enum E { X Y }');
    expect(classifyChanges(before, after).map((change) => `${change.severity} ${change.coordinate}`)).toEqual([
      'breaking Query.b',
      'dangerous E.Y',
      'safe Query.c',
    ]);
  });

  it('reports changes graphql-js leaves out: new types, safe type changes, descriptions, deprecations', () => {
    const before = buildSchema('type Query { a: Int, b(x: String!): Int, c: Int }');
    const after = buildSchema('type Query { "now described" a: Int!, b(x: String): Int, c: Int @deprecated(reason: "use a"), t: T } type T { v: Int }');
    expect(classifyChanges(before, after).map(({ kind, coordinate }) => `${kind} ${coordinate}`)).toEqual([
      'DESCRIPTION_CHANGED Query.a',
      'FIELD_TYPE_CHANGED Query.a',
      'ARG_TYPE_CHANGED Query.b(x:)',
      'DEPRECATION_CHANGED Query.c',
      'FIELD_ADDED Query.t',
      'TYPE_ADDED T',
    ]);
  });

  it('never reports "no changes" for schemas that print differently', () => {
    const changes = classifyChanges('type Query { a: Int b: Int }', 'type Query { b: Int a: Int }');
    expect(changes.map((change) => change.kind)).toEqual(['OTHER_CHANGE']);
  });
});

describe('schema coordinates of graphql-js changes', () => {
  it('has a pattern for every kind graphql-js reports, so that every change can be acknowledged by name', () => {
    const kinds = [...Object.values(BreakingChangeType), ...Object.values(DangerousChangeType)].sort();
    expect([...GRAPHQL_JS_KINDS].sort()).toEqual(kinds);
  });

  it.each([
    ['TYPE_REMOVED', 'Kecamatan was removed.', 'Kecamatan'],
    ['REQUIRED_ARG_ADDED', 'A required arg year on Kelurahan.scorecard was added.', 'Kelurahan.scorecard(year:)'],
    ['OPTIONAL_INPUT_FIELD_ADDED', 'An optional field note on input type RecordInput was added.', 'RecordInput.note'],
    ['TYPE_REMOVED_FROM_UNION', 'Tutor was removed from union type Person.', 'Person'],
    ['DIRECTIVE_ARG_REMOVED', 'reason was removed from deprecated.', '@deprecated(reason:)'],
    ['ARG_DEFAULT_VALUE_CHANGE', 'Query.list arg first has changed defaultValue from 10 to 20.', 'Query.list(first:)'],
  ])('%s: "%s" is %s', (kind, description, coordinate) => {
    expect(coordinateOf(kind, description)).toBe(coordinate);
  });

  it('keeps the whole sentence as the coordinate when no pattern reads it', () => {
    expect(coordinateOf('FIELD_REMOVED', 'Something new happened.')).toBe('Something new happened.');
  });
});

describe('apiSchemaOf', () => {
  it("keeps what clients see and drops the supergraph's federation machinery", () => {
    const supergraph = composeSupergraph(variantSubgraphs('baseline'));
    expect(supergraph).toMatch(/join__/);
    const api = apiSdlOf(supergraph);
    expect(api).not.toMatch(/join__|link__|@link|@key/);
    expect(api).toBe(printSchema(variantApiSchema('baseline')));
    expect(api).toContain('population: Int');
  });
});
