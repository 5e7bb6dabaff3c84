import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Kind,
  parse,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { KECAMATAN, KELURAHAN } from '../subgraphs/kit/reference/kelurahan';
import { mulberry32 } from '../subgraphs/kit/random';

/**
 * The three workloads of the city's issue, their query texts and how each request draws its variables.
 *
 * The query texts come from the dashboards' own operations in schema/operations/ (CityDashboard,
 * KelurahanPage, KelurahanName) when those files are there, so the benchmark measures what the dashboards
 * send. The copies below are the fallback for a checkout without them and select exactly the same fields.
 */
export type WorkloadId = 'W1' | 'W2' | 'W3';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['W1', 'W2', 'W3'];

export type Variables = Record<string, unknown>;

export interface Workload {
  id: WorkloadId;
  title: string;
  operationName: string;
  query: string;
  /** Where the query text was read from, for the report. */
  source: string;
  /** The variables of one request, drawn from `random`. */
  variables(random: () => number): Variables;
  /** Distinct variable sets whose answers are compared between the two gateways before any load. */
  samples(random: () => number, count: number): Variables[];
}

/** The six pillar types of the scorecard, whose every field W1 and W2 ask for. */
export const PILLAR_TYPES = [
  'GovernanceIndicators',
  'LivingIndicators',
  'EnvironmentIndicators',
  'SocietyIndicators',
  'EconomyIndicators',
  'BrandingIndicators',
] as const;

const YEARS = [2021, 2022, 2023, 2024];
const KECAMATAN_CHOICES: (string | null)[] = [null, ...KECAMATAN.map((kecamatan) => kecamatan.code)];
const KELURAHAN_CODES = KELURAHAN.map((kelurahan) => kelurahan.code);

// --- Fallback texts: the same selections as schema/operations/*.graphql ---------------------------------

const PILLARS_SELECTION = `
      governance { taxReportsFiled onTimeFilingRate taxRevenue taxDue activeTaxpayers }
      living { homecarePatients homecareVisits medianResponseHours homecareRequests }
      environment { wasteBanks activeWasteBanks members tonnesRecovered inactiveWasteBanks deposits depositValue }
      society { emasSpots activeEmasSpots participants tutors classes enrolments }
      economy { loansDisbursed amountDisbursed interestRatePercent nonPerformingRate outstandingLoans applicationsSubmitted }
      branding { prodamasBudget prodamasProposals realizationRate rtBudgets approvedAmount realizedAmount budgetUptake }`;

const FALLBACK_QUERIES: Record<string, string> = {
  CityDashboard: `query CityDashboard($kecamatan: String, $year: Int!) {
  kelurahanList(kecamatan: $kecamatan) {
    code name kecamatan { code name }
    scorecard(year: $year) { kelurahanCode year ${PILLARS_SELECTION}
    }
  }
}`,
  KelurahanPage: `query KelurahanPage($code: String!, $year: Int!, $first: Int) {
  kelurahan(code: $code) {
    code name
    scorecard(year: $year) { kelurahanCode year ${PILLARS_SELECTION}
    }
  }
  prodamasProposals(kelurahanCode: $code, year: $year, first: $first) {
    totalCount
    nodes { id rw rt field title status amount submittedAt }
    pageInfo { hasNextPage endCursor }
  }
}`,
  KelurahanName: `query KelurahanName($code: String!) {
  kelurahan(code: $code) { code name kecamatan { name } }
}`,
};

// --- Reading the dashboards' operations -----------------------------------------------------------------

/** Every operation and fragment defined in the .graphql files of `dir`, by name. */
function readOperationFiles(dir: string): { definitions: Map<string, DefinitionNode>; files: Map<string, string> } {
  const definitions = new Map<string, DefinitionNode>();
  const files = new Map<string, string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.graphql')).sort()) {
    for (const definition of parse(readFileSync(join(dir, file), 'utf8')).definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      if (!definition.name) continue;
      definitions.set(definition.name.value, definition);
      files.set(definition.name.value, file);
    }
  }
  return { definitions, files };
}

/** The operation plus every fragment it uses, directly or through other fragments, as one document text. */
function documentOf(name: string, definitions: Map<string, DefinitionNode>): string {
  const operation = definitions.get(name) as OperationDefinitionNode;
  const fragments = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = definitions.get(node.name.value);
        if (!fragment || fragment.kind !== Kind.FRAGMENT_DEFINITION) {
          throw new Error(`Operation ${name} uses fragment ${node.name.value}, which no file of schema/operations/ defines.`);
        }
        if (!fragments.has(node.name.value)) {
          fragments.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  const ordered = [...fragments.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
  return print({ kind: Kind.DOCUMENT, definitions: [operation, ...ordered] } as DocumentNode);
}

/** The query text of one dashboard operation: from schema/operations/ when there, otherwise the copy above. */
function loadOperation(root: string, name: string, expectedVariables: string[]): { query: string; source: string } {
  const dir = join(root, 'schema', 'operations');
  if (existsSync(dir)) {
    const { definitions, files } = readOperationFiles(dir);
    const operation = definitions.get(name);
    if (operation?.kind === Kind.OPERATION_DEFINITION) {
      // The benchmark draws these variables itself; an operation that declares others would be sent
      // incomplete, so stop here with the difference rather than measure errors.
      const declared = (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value).sort();
      const expected = [...expectedVariables].sort();
      if (declared.join(',') !== expected.join(',')) {
        throw new Error(
          `schema/operations/${files.get(name)} declares ${name}(${declared.map((v) => `$${v}`).join(', ')}), but the ` +
            `benchmark draws ${expected.map((v) => `$${v}`).join(', ')}: adapt bench/workloads.ts to the operation.`,
        );
      }
      return { query: documentOf(name, definitions), source: `schema/operations/${files.get(name)}` };
    }
  }
  return { query: FALLBACK_QUERIES[name]!, source: 'bench/workloads.ts (schema/operations/ has no such operation)' };
}

// --- Variables ----------------------------------------------------------------------------------------

/** A small seeded generator, so that both gateways get the same sequence of variables. */
export const seededRandom = mulberry32;

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

/** Up to `count` distinct draws of `draw`, giving up after enough tries when the space is small. */
function distinctDraws(random: () => number, count: number, draw: (random: () => number) => Variables, first?: Variables): Variables[] {
  const seen = new Set<string>();
  const samples: Variables[] = [];
  const add = (variables: Variables) => {
    const key = JSON.stringify(variables);
    if (!seen.has(key)) {
      seen.add(key);
      samples.push(variables);
    }
  };
  if (first) add(first);
  for (let tries = 0; samples.length < count && tries < count * 50; tries++) add(draw(random));
  return samples;
}

export function loadWorkloads(root: string): Workload[] {
  const w1 = loadOperation(root, 'CityDashboard', ['kecamatan', 'year']);
  const w2 = loadOperation(root, 'KelurahanPage', ['code', 'year', 'first']);
  const w3 = loadOperation(root, 'KelurahanName', ['code']);

  // W1: 16 variable sets (kecamatan or the whole city, times four years), so answers repeat often.
  const dashboard = (random: () => number): Variables => ({ kecamatan: pick(random, KECAMATAN_CHOICES), year: pick(random, YEARS) });
  // W2: one of 46 kelurahan, one of four years and a page size of 5 to 50, so variables rarely repeat.
  const page = (random: () => number): Variables => ({
    code: pick(random, KELURAHAN_CODES),
    year: pick(random, YEARS),
    first: 5 + Math.floor(random() * 46),
  });
  // W3: the gateway's floor, a small answer from the city subgraph alone.
  const name = (random: () => number): Variables => ({ code: pick(random, KELURAHAN_CODES) });

  return [
    {
      id: 'W1',
      title: 'city dashboard: kelurahanList x scorecard, 16 variable sets',
      operationName: 'CityDashboard',
      ...w1,
      variables: dashboard,
      // The whole city in the latest year first: the largest answer, the one most worth comparing.
      samples: (random, count) => distinctDraws(random, count, dashboard, { kecamatan: null, year: 2024 }),
    },
    {
      id: 'W2',
      title: 'one kelurahan: scorecard + a page of Prodamas proposals, unique variables',
      operationName: 'KelurahanPage',
      ...w2,
      variables: page,
      samples: (random, count) => distinctDraws(random, count, page),
    },
    {
      id: 'W3',
      title: 'gateway floor: one kelurahan name',
      operationName: 'KelurahanName',
      ...w3,
      variables: name,
      samples: (random, count) => distinctDraws(random, count, name),
    },
  ];
}

// --- Coverage of the pillars --------------------------------------------------------------------------

/** The field names of each pillar type in the supergraph. */
export function pillarFieldsOf(supergraphSdl: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION && (PILLAR_TYPES as readonly string[]).includes(definition.name.value)) {
      fields.set(definition.name.value, (definition.fields ?? []).map((field) => field.name.value));
    }
  }
  return fields;
}

const PILLAR_FIELD_OF_TYPE: Record<string, string> = {
  GovernanceIndicators: 'governance',
  LivingIndicators: 'living',
  EnvironmentIndicators: 'environment',
  SocietyIndicators: 'society',
  EconomyIndicators: 'economy',
  BrandingIndicators: 'branding',
};

/**
 * The pillar fields of the supergraph that a scorecard query does not ask for, as "type.field": the issue
 * asks for every field of the six pillars, and a field added to the schema later should not silently fall
 * out of the benchmark.
 */
export function missingPillarFields(query: string, supergraphSdl: string): string[] {
  const document = parse(query);
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  // Field names selected under each pillar field (governance, living, ...), fragments expanded.
  const selected = new Map<string, Set<string>>();
  const collect = (selectionSet: SelectionSetNode, into: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) into.add(selection.name.value);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment, into);
      } else collect(selection.selectionSet, into);
    }
  };
  const pillarNames = new Set(Object.values(PILLAR_FIELD_OF_TYPE));
  visit(document, {
    Field(node) {
      if (pillarNames.has(node.name.value) && node.selectionSet) {
        const into = selected.get(node.name.value) ?? new Set<string>();
        collect(node.selectionSet, into);
        selected.set(node.name.value, into);
      }
    },
  });
  const missing: string[] = [];
  for (const [type, fields] of pillarFieldsOf(supergraphSdl)) {
    const asked = selected.get(PILLAR_FIELD_OF_TYPE[type]!) ?? new Set<string>();
    for (const field of fields) if (!asked.has(field)) missing.push(`${type}.${field}`);
  }
  return missing;
}
