import { readFileSync } from 'node:fs';
import { AnswerReader } from '../../dashboard/model/answers';
import { figuresToGather } from '../../dashboard/model/compare';
import { operationsByName, runOperation, type OperationRef, type PersistedManifest } from '../../dashboard/model/gatewayClient';
import { pillarFieldsOf, type PillarFields } from '../../dashboard/model/operationFields';
import { PUBLISHED_FIGURES } from '../../dashboard/model/published';
import { readKelurahanFigures, readScorecard, type Figures, type KelurahanFigures } from '../../dashboard/model/scorecards';
import { projectPath } from '../../platform/paths';

/**
 * Everything the evaluation of one year needs, asked from the gateway with the city's persisted operations,
 * one query at a time with a progress line each: the city's scorecard of the year, of the year before and of
 * every year a published figure speaks of (CityScorecard); every kelurahan's scorecard of the year and the
 * year before (CityDashboard); and the RT ceilings a published cap is checked against
 * (EvaluationProdamasCeilings).
 */
export interface Gathered {
  year: number;
  previousYear: number;
  /** The figures each pillar has, read from the operations' text. */
  fields: { city: PillarFields; kelurahan: PillarFields };
  city: Map<number, Figures>;
  kelurahan: Map<number, KelurahanFigures[]>;
  largestRtCeiling: Map<number, number | undefined>;
}

export interface GatherOptions {
  year: number;
  gateway: string;
  apiKey?: string;
  /** The persisted query manifest; by default this checkout's schema/persisted-operations.json. */
  manifest?: PersistedManifest;
  /** Called with one line per query, before it is sent. */
  progress?: (line: string) => void;
}

const OPERATIONS = ['CityScorecard', 'CityDashboard', 'EvaluationProdamasCeilings'] as const;

export function readManifest(path = projectPath('schema', 'persisted-operations.json')): PersistedManifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PersistedManifest;
  } catch (error) {
    throw new Error(`Could not read the persisted operations manifest ${path} (${(error as Error).message}): run \`npm run compose\`.`);
  }
}

interface CeilingsAnswer {
  kelurahanList: { code: string; prodamasBudgets: { rt: number; ceiling: number }[] | null }[];
}

export async function gather(options: GatherOptions): Promise<Gathered> {
  const operations = operationsByName(options.manifest ?? readManifest(), OPERATIONS);
  const { year } = options;
  const previousYear = year - 1;
  const needs = figuresToGather(PUBLISHED_FIGURES, year);
  const cityYears = [...new Set([year, previousYear, ...needs.city])].sort((a, b) => a - b);
  const kelurahanYears = [...new Set([year, previousYear, ...needs.kelurahan])].sort((a, b) => a - b);
  const total = cityYears.length + kelurahanYears.length + needs.ceilings.length;
  let step = 0;
  const ask = async <T>(operation: OperationRef, variables: Record<string, unknown>, what: string) => {
    step += 1;
    options.progress?.(`[${step}/${total}] ${what} (${operation.name})…`);
    return runOperation<T>(options.gateway, operation, variables, { apiKey: options.apiKey });
  };

  const fields = {
    city: pillarFieldsOf(operations.CityScorecard.body, ['cityScorecard']),
    kelurahan: pillarFieldsOf(operations.CityDashboard.body, ['kelurahanList', 'scorecard']),
  };
  const gathered: Gathered = { year, previousYear, fields, city: new Map(), kelurahan: new Map(), largestRtCeiling: new Map() };
  for (const cityYear of cityYears) {
    const answer = await ask(operations.CityScorecard, { year: cityYear }, `the city's scorecard for ${cityYear}`);
    gathered.city.set(cityYear, readScorecard(new AnswerReader(answer), ['cityScorecard'], fields.city));
  }
  for (const kelurahanYear of kelurahanYears) {
    const answer = await ask(operations.CityDashboard, { year: kelurahanYear }, `every kelurahan's scorecard for ${kelurahanYear}`);
    gathered.kelurahan.set(kelurahanYear, readKelurahanFigures(new AnswerReader(answer), fields.kelurahan));
  }
  for (const ceilingYear of needs.ceilings) {
    const answer = await ask<CeilingsAnswer>(operations.EvaluationProdamasCeilings, { year: ceilingYear }, `every RT's Prodamas ceiling for ${ceilingYear}`);
    const ceilings = (answer.data?.kelurahanList ?? []).flatMap((kelurahan) => (kelurahan.prodamasBudgets ?? []).map((budget) => budget.ceiling));
    gathered.largestRtCeiling.set(ceilingYear, ceilings.length > 0 ? Math.max(...ceilings) : undefined);
  }
  return gathered;
}
