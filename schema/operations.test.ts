import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { apiSchemaOf } from './changes';
import { SUPERGRAPH_URL } from './composition';
import { FIXTURE_OPERATIONS_DIR, removeTemporaryDirectories, temporaryDirectory, variantApiSchema } from './fixtures/schema-check';
import {
  MANIFEST_URL,
  OperationsError,
  buildManifest,
  operationId,
  serializeManifest,
  sourceFiles,
  validateOperations,
} from './operations';

afterAll(removeTemporaryDirectories);

function directoryWith(files: Record<string, string>): string {
  const dir = temporaryDirectory();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the committed persisted operations', () => {
  const manifest = buildManifest();

  it('schema/persisted-operations.json is exactly what schema/operations/ builds (run `npm run compose` when not)', () => {
    expect(readFileSync(MANIFEST_URL, 'utf8')).toBe(serializeManifest(manifest));
  });

  it("holds the city's benchmark workloads, the dashboard page's and the evaluation report's", () => {
    expect(manifest.operations.map((operation) => `${operation.type} ${operation.name}`)).toEqual([
      'query CityDashboard',
      'query CityScorecard',
      'query DashboardYear',
      'query EvaluationProdamasCeilings',
      'query KelurahanName',
      'query KelurahanPage',
    ]);
  });

  it("every one validates against the committed supergraph's API schema", () => {
    const apiSchema = apiSchemaOf(readFileSync(SUPERGRAPH_URL, 'utf8'));
    expect(validateOperations(manifest, apiSchema, sourceFiles())).toEqual([]);
  });
});

describe('buildManifest', () => {
  const manifest = buildManifest(FIXTURE_OPERATIONS_DIR);
  const population = manifest.operations.find((operation) => operation.name === 'KelurahanPopulation')!;

  it('writes the Apollo persisted query manifest format, operations in name order', () => {
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.version).toBe(1);
    expect(manifest.operations.map((operation) => operation.name)).toEqual(['KelurahanNames', 'KelurahanPopulation']);
  });

  it('puts the fragments an operation uses, from any file, into its body, and only those', () => {
    const definitions = parse(population.body).definitions.map((definition) => ('name' in definition ? definition.name?.value : undefined));
    expect(definitions).toEqual(['KelurahanPopulation', 'KelurahanFigures']);
    const names = manifest.operations.find((operation) => operation.name === 'KelurahanNames')!;
    expect(names.body).not.toContain('fragment');
  });

  it('identifies each body by its SHA-256, independent of comments and layout in the file', () => {
    expect(population.id).toBe(operationId(population.body));
    expect(population.id).toMatch(/^[0-9a-f]{64}$/);
    const reformatted = directoryWith({
      'a.graphql': '# another comment\nquery KelurahanPopulation($code: String!) { kelurahan(code: $code) { ...KelurahanFigures } }',
      'b.graphql': 'fragment KelurahanFigures on Kelurahan { code population }',
    });
    expect(buildManifest(reformatted).operations[0]).toEqual(population);
  });

  it('refuses an anonymous operation, naming its file', () => {
    const dir = directoryWith({ 'anonymous.graphql': '{ kelurahanList { code } }' });
    expect(() => buildManifest(dir)).toThrow(OperationsError);
    expect(() => buildManifest(dir)).toThrow(/anonymous\.graphql: expected every query to be named/);
  });

  it('refuses an operation that uses a fragment no file defines', () => {
    const dir = directoryWith({ 'page.graphql': 'query Page { kelurahanList { ...Missing } }' });
    expect(() => buildManifest(dir)).toThrow(/operation Page uses fragment Missing, which no \.graphql file beside it defines/);
  });

  it('refuses the same operation name twice', () => {
    const dir = directoryWith({ 'a.graphql': 'query Page { a }', 'b.graphql': 'query Page { b }' });
    expect(() => buildManifest(dir)).toThrow(/b\.graphql: operation Page is already defined in .*a\.graphql/);
  });
});

describe('validateOperations', () => {
  const manifest = buildManifest(FIXTURE_OPERATIONS_DIR);

  it('passes operations the schema still serves', () => {
    expect(validateOperations(manifest, variantApiSchema('baseline'))).toEqual([]);
  });

  it('names the operation, its file and the error when a field it uses is removed', () => {
    const failures = validateOperations(manifest, variantApiSchema('field-removed'), sourceFiles(FIXTURE_OPERATIONS_DIR));
    expect(failures).toEqual([
      {
        name: 'KelurahanPopulation',
        file: 'schema/fixtures/changes/operations/KelurahanPopulation.graphql',
        errors: ['in fragment KelurahanFigures (schema/fixtures/changes/operations/fragments.graphql): Cannot query field "population" on type "Kelurahan".'],
      },
    ]);
  });

  it('names the operation whose variable no longer fits an argument made required', () => {
    const failures = validateOperations(manifest, variantApiSchema('argument-required'));
    expect(failures.map((failure) => failure.name)).toEqual(['KelurahanNames']);
    expect(failures[0].errors[0]).toMatch(/Variable "\$kecamatan" of type "String" used in position expecting type "String!"/);
  });
});
