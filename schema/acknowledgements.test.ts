import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACKNOWLEDGEMENTS_URL,
  AcknowledgementFileError,
  acknowledgementTemplate,
  loadAcknowledgements,
  matchAcknowledgements,
  type Acknowledgement,
} from './acknowledgements';
import type { SchemaChange } from './changes';
import { removeTemporaryDirectories, temporaryDirectory } from './fixtures/schema-check';

afterAll(removeTemporaryDirectories);

function fileWith(text: string): string {
  const file = join(temporaryDirectory(), 'acknowledged.yaml');
  writeFileSync(file, text);
  return file;
}

const removal: SchemaChange = { severity: 'breaking', kind: 'FIELD_REMOVED', coordinate: 'Kelurahan.population', description: 'Kelurahan.population was removed.' };
const enumValue: SchemaChange = { severity: 'dangerous', kind: 'VALUE_ADDED_TO_ENUM', coordinate: 'DataStatus.ARCHIVED', description: 'ARCHIVED was added to enum type DataStatus.' };

describe('the committed acknowledgement file', () => {
  it('is present and acknowledges nothing', () => {
    expect(loadAcknowledgements(ACKNOWLEDGEMENTS_URL)).toEqual([]);
  });
});

describe('loadAcknowledgements', () => {
  it('reads kind, coordinate and reason', () => {
    const file = fileWith('acknowledged:\n  - kind: FIELD_REMOVED\n    coordinate: "Kelurahan.population"\n    reason: BPS figures moved to the census subgraph.\n');
    expect(loadAcknowledgements(file)).toEqual([{ kind: 'FIELD_REMOVED', coordinate: 'Kelurahan.population', reason: 'BPS figures moved to the census subgraph.' }]);
  });

  it('treats a missing file as no acknowledgements', () => {
    expect(loadAcknowledgements(join(temporaryDirectory(), 'no-such-file.yaml'))).toEqual([]);
  });

  it('refuses an entry without a reason, naming the entry', () => {
    const file = fileWith('acknowledged:\n  - kind: FIELD_REMOVED\n    coordinate: Kelurahan.population\n    reason: ""\n');
    expect(() => loadAcknowledgements(file)).toThrow(AcknowledgementFileError);
    expect(() => loadAcknowledgements(file)).toThrow(/acknowledgement 1: expected a non-empty string for reason, got ""/);
  });

  it('refuses a misspelt key instead of ignoring it', () => {
    const file = fileWith('acknowledged:\n  - kind: FIELD_REMOVED\n    coordinate: Kelurahan.population\n    reson: typo\n');
    expect(() => loadAcknowledgements(file)).toThrow(/expected only kind, coordinate and reason, got also reson/);
  });

  it('refuses a file without the acknowledged list', () => {
    expect(() => loadAcknowledgements(fileWith('- kind: FIELD_REMOVED\n'))).toThrow(/expected a top-level "acknowledged:" list/);
  });
});

describe('matchAcknowledgements', () => {
  const acknowledgement: Acknowledgement = { kind: 'FIELD_REMOVED', coordinate: 'Kelurahan.population', reason: 'Nobody reads it.' };

  it('leaves an unacknowledged breaking change to fail, and never a dangerous one', () => {
    const match = matchAcknowledgements([removal, enumValue], []);
    expect(match.unacknowledged).toEqual([removal]);
    expect(match.stale).toEqual([]);
  });

  it('pairs a breaking change with the acknowledgement of the same kind and coordinate', () => {
    const match = matchAcknowledgements([removal], [acknowledgement]);
    expect(match.unacknowledged).toEqual([]);
    expect(match.acknowledged).toEqual([{ change: removal, acknowledgement }]);
  });

  it('does not let an acknowledgement of another kind cover the change', () => {
    const match = matchAcknowledgements([removal], [{ ...acknowledgement, kind: 'FIELD_CHANGED_KIND' }]);
    expect(match.unacknowledged).toEqual([removal]);
    expect(match.stale).toHaveLength(1);
  });

  it('reports an acknowledgement that matches no change as stale', () => {
    expect(matchAcknowledgements([], [acknowledgement]).stale).toEqual([acknowledgement]);
  });
});

describe('acknowledgementTemplate', () => {
  it('prints entries that parse back with an empty reason left to write', () => {
    const parsed = parseYaml(`acknowledged:\n${acknowledgementTemplate([removal, { ...removal, kind: 'ARG_CHANGED_KIND', coordinate: 'Query.kelurahanList(kecamatan:)' }])}\n`);
    expect(parsed.acknowledged).toEqual([
      { kind: 'FIELD_REMOVED', coordinate: 'Kelurahan.population', reason: '' },
      { kind: 'ARG_CHANGED_KIND', coordinate: 'Query.kelurahanList(kecamatan:)', reason: '' },
    ]);
  });
});
