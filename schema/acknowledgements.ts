import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { SchemaChange } from './changes';
import { displayPath } from './paths';

/**
 * Breaking changes a person has accepted, in schema/breaking-changes.acknowledged.yaml. The file is part of
 * the change under review, so the reviewer reads each acknowledgement and its reason beside the supergraph
 * diff it allows.
 */
export const ACKNOWLEDGEMENTS_URL = new URL('./breaking-changes.acknowledged.yaml', import.meta.url);

export interface Acknowledgement {
  /** The change's kind as the report prints it, e.g. FIELD_REMOVED. */
  kind: string;
  /** The change's schema coordinate as the report prints it, e.g. Kelurahan.postalCode. */
  coordinate: string;
  /** Why the change may ship, written by a person: who uses it, who was told. */
  reason: string;
}

export class AcknowledgementFileError extends Error {
  override name = 'AcknowledgementFileError';
}

const FIELDS = ['kind', 'coordinate', 'reason'] as const;

function readEntry(entry: unknown, position: number, file: string): Acknowledgement {
  const where = `${file}, acknowledgement ${position}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new AcknowledgementFileError(`${where}: expected a mapping with kind, coordinate and reason, got ${JSON.stringify(entry)}.`);
  }
  const record = entry as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknownKeys.length > 0) {
    throw new AcknowledgementFileError(`${where}: expected only kind, coordinate and reason, got also ${unknownKeys.join(', ')}.`);
  }
  for (const field of FIELDS) {
    const value = record[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new AcknowledgementFileError(`${where}: expected a non-empty string for ${field}, got ${JSON.stringify(value ?? null)}.`);
    }
  }
  return { kind: String(record.kind).trim(), coordinate: String(record.coordinate).trim(), reason: String(record.reason).trim() };
}

/** The acknowledgements in the file; none when the file does not exist. Throws naming the entry that is malformed. */
export function loadAcknowledgements(file: URL | string = ACKNOWLEDGEMENTS_URL): Acknowledgement[] {
  if (!existsSync(file)) return [];
  const name = displayPath(file);
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AcknowledgementFileError(`${name} is not valid YAML: ${(error as Error).message}`);
  }
  const list = (document as { acknowledged?: unknown } | null)?.acknowledged;
  if (!Array.isArray(list)) {
    throw new AcknowledgementFileError(`${name}: expected a top-level "acknowledged:" list (empty: "acknowledged: []"), got ${JSON.stringify(document)}.`);
  }
  return list.map((entry, index) => readEntry(entry, index + 1, name));
}

export interface AcknowledgementMatch {
  /** Breaking changes with no acknowledgement: these fail the check. */
  unacknowledged: SchemaChange[];
  /** Changes with their acknowledgement. */
  acknowledged: { change: SchemaChange; acknowledgement: Acknowledgement }[];
  /** Acknowledgements that match no change. */
  stale: Acknowledgement[];
}

/** Pairs changes with acknowledgements by exact kind and coordinate. */
export function matchAcknowledgements(changes: readonly SchemaChange[], acknowledgements: readonly Acknowledgement[]): AcknowledgementMatch {
  const matches = (change: SchemaChange, acknowledgement: Acknowledgement) =>
    change.kind === acknowledgement.kind && change.coordinate === acknowledgement.coordinate;
  const acknowledged: AcknowledgementMatch['acknowledged'] = [];
  const unacknowledged: SchemaChange[] = [];
  for (const change of changes) {
    const acknowledgement = acknowledgements.find((candidate) => matches(change, candidate));
    if (acknowledgement) acknowledged.push({ change, acknowledgement });
    else if (change.severity === 'breaking') unacknowledged.push(change);
  }
  const stale = acknowledgements.filter((acknowledgement) => !changes.some((change) => matches(change, acknowledgement)));
  return { unacknowledged, acknowledged, stale };
}

/** A YAML block the developer can paste into the file, with the reason left for them to write. */
export function acknowledgementTemplate(changes: readonly SchemaChange[]): string {
  return changes
    .map((change) => `  - kind: ${change.kind}\n    coordinate: ${JSON.stringify(change.coordinate)}\n    reason: ""  # who uses it, who was told, why it may ship`)
    .join('\n');
}
