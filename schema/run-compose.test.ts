import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, composeSupergraph } from './composition';
import { recordingOutput, removeTemporaryDirectories, temporaryPaths, variantSubgraphs, type Variant } from './fixtures/schema-check';
import { runCompose, type ComposePaths } from './run-compose';

/** Paths whose committed supergraph (and manifest, when there are operations) is the baseline fixture's. */
function committedBaseline(options: { withOperations?: boolean } = {}): ComposePaths {
  const paths = temporaryPaths('baseline', options);
  const output = recordingOutput();
  expect(runCompose([], paths, output), output.text()).toBe(0);
  return paths;
}

function run(argv: string[], paths: ComposePaths, variant: Variant) {
  const output = recordingOutput();
  const code = runCompose(argv, { ...paths, subgraphs: variantSubgraphs(variant) }, output);
  return { code, text: output.text() };
}

function acknowledge(paths: ComposePaths, yaml: string): void {
  writeFileSync(paths.acknowledgements, `acknowledged:\n${yaml}`);
}

afterAll(removeTemporaryDirectories);

const populationRemoval = '  - kind: FIELD_REMOVED\n    coordinate: Kelurahan.population\n    reason: Moved to the census subgraph; the two dashboards that read it were updated.\n';

describe('npm run compose -- --check', () => {
  it('passes when the committed supergraph and manifest are current', () => {
    const paths = committedBaseline({ withOperations: true });
    const { code, text } = run(['--check'], paths, 'baseline');
    expect(code).toBe(0);
    expect(text).toContain('supergraph.graphql is current.');
    expect(text).toContain('persisted-operations.json is current; its 2 operation(s) validate against the API schema.');
  });

  it('fails on a removed field, naming Type.field and the acknowledgement to write', () => {
    const { code, text } = run(['--check'], committedBaseline(), 'field-removed');
    expect(code).toBe(1);
    expect(text).toMatch(/BREAKING +FIELD_REMOVED +Kelurahan\.population: Kelurahan\.population was removed\./);
    expect(text).toContain('1 breaking change(s) not acknowledged.');
    expect(text).toContain('coordinate: "Kelurahan.population"');
  });

  it('fails on an argument made required, naming the argument', () => {
    const { code, text } = run(['--check'], committedBaseline(), 'argument-required');
    expect(code).toBe(1);
    expect(text).toMatch(/BREAKING +ARG_CHANGED_KIND +Query\.kelurahanList\(kecamatan:\): Query\.kelurahanList arg kecamatan has changed type from String to String!\./);
  });

  it('reports an added enum value as dangerous and an added field as safe, failing only because the file is stale', () => {
    const paths = committedBaseline();
    const dangerous = run(['--check'], paths, 'enum-value-added');
    expect(dangerous.text).toMatch(/DANGEROUS +VALUE_ADDED_TO_ENUM +DataStatus\.ARCHIVED/);
    const safe = run(['--check'], paths, 'field-added');
    expect(safe.text).toMatch(/SAFE +FIELD_ADDED +Kelurahan\.areaKm2/);
    for (const { code, text } of [dangerous, safe]) {
      expect(code).toBe(1);
      expect(text).toContain('supergraph.graphql is stale');
      expect(text).not.toContain('not acknowledged');
    }
  });

  it('names the persisted operation a removed field would break, with its file, even when the removal is acknowledged', () => {
    const paths = committedBaseline({ withOperations: true });
    acknowledge(paths, populationRemoval);
    const { code, text } = run(['--check'], paths, 'field-removed');
    expect(code).toBe(1);
    expect(text).toContain('Persisted operation KelurahanPopulation (schema/fixtures/changes/operations/KelurahanPopulation.graphql) would break:');
    expect(text).toContain('Cannot query field "population" on type "Kelurahan".');
    expect(text).toContain('in fragment KelurahanFigures (schema/fixtures/changes/operations/fragments.graphql)');
    expect(text).not.toContain('Persisted operation KelurahanNames');
  });

  it('fails when the committed manifest is stale', () => {
    const paths = committedBaseline({ withOperations: true });
    writeFileSync(paths.manifest, '{}\n');
    const { code, text } = run(['--check'], paths, 'baseline');
    expect(code).toBe(1);
    expect(text).toContain('persisted-operations.json is stale');
  });
});

describe('npm run compose', () => {
  it('refuses to write a supergraph with an unacknowledged breaking change', () => {
    const paths = committedBaseline();
    const before = readFileSync(paths.supergraph, 'utf8');
    const { code, text } = run([], paths, 'field-removed');
    expect(code).toBe(1);
    expect(text).toContain('Did not write');
    expect(readFileSync(paths.supergraph, 'utf8')).toBe(before);
  });

  it('writes an acknowledged breaking change, printing the reason, and --check then passes', () => {
    const paths = committedBaseline();
    acknowledge(paths, populationRemoval);
    const written = run([], paths, 'field-removed');
    expect(written.code, written.text).toBe(0);
    expect(written.text).toContain('acknowledged: Moved to the census subgraph');
    expect(readFileSync(paths.supergraph, 'utf8')).toBe(composeSupergraph(variantSubgraphs('field-removed')));
    const checked = run(['--check'], paths, 'field-removed');
    expect(checked.code).toBe(0);
    // The committed supergraph now has the change, so the acknowledgement has done its job and is reported stale.
    expect(checked.text).toContain('Stale acknowledgement');
  });

  it('writes dangerous and safe changes without acknowledgement', () => {
    expect(run([], committedBaseline(), 'enum-value-added').code).toBe(0);
    expect(run([], committedBaseline(), 'field-added').code).toBe(0);
  });

  it('warns about an acknowledgement that matches no change', () => {
    const paths = committedBaseline();
    acknowledge(paths, '  - kind: FIELD_REMOVED\n    coordinate: Kelurahan.name\n    reason: Planned for next year.\n');
    const { code, text } = run([], paths, 'field-added');
    expect(code).toBe(0);
    expect(text).toContain('Stale acknowledgement in');
    expect(text).toContain('FIELD_REMOVED Kelurahan.name matches no change');
  });

  it('writes the manifest beside the supergraph', () => {
    const paths = committedBaseline({ withOperations: true });
    expect(JSON.parse(readFileSync(paths.manifest, 'utf8')).operations).toHaveLength(2);
  });

  it('skips persisted operations where there are none', () => {
    const paths = committedBaseline();
    expect(existsSync(paths.manifest)).toBe(false);
  });

  it('fails on a malformed acknowledgement file, naming the problem', () => {
    const paths = committedBaseline();
    acknowledge(paths, '  - kind: FIELD_REMOVED\n');
    const { code, text } = run([], paths, 'baseline');
    expect(code).toBe(1);
    expect(text).toMatch(/acknowledgement 1: expected a non-empty string for coordinate, got null/);
  });
});

describe('the compose command line', () => {
  it('refuses an unknown argument with exit code 2', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'schema/compose.ts', '--chek'], { cwd: fileURLToPath(ROOT), encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown argument(s) --chek: expected nothing (write) or --check.');
  });
});
