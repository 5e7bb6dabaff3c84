import { AnswerReader } from '../model/answers';
import { runOperation } from '../model/gatewayClient';
import { readKelurahanFigures, readScorecard, type Figures, type KelurahanFigures } from '../model/scorecards';
import type { DashboardSetup } from '../model/setup';
import { candidateYears, everyPillarActive } from '../model/years';

/**
 * The page's two questions to the graph, each one persisted operation: the figures of one year
 * (DashboardYear) and the city's scorecard of every year it might have (CityScorecard), from which the years
 * on offer and the charts across years are made.
 */
export interface YearView {
  year: number;
  previousYear: number;
  city: Figures;
  previousCity: Figures;
  kelurahan: KelurahanFigures[];
}

export interface Trend {
  /** The years every program recorded something in, oldest first: the years the page offers. */
  years: number[];
  /** The city's scorecard of each of those years. */
  city: Map<number, Figures>;
}

export async function loadYear(setup: DashboardSetup, year: number, apiKey: string | undefined): Promise<YearView> {
  const answer = await runOperation(setup.endpoint, setup.operations.DashboardYear, { year, previousYear: year - 1 }, { apiKey });
  const reader = new AnswerReader(answer);
  return {
    year,
    previousYear: year - 1,
    city: readScorecard(reader, ['city'], setup.fields.city),
    previousCity: readScorecard(reader, ['previousCity'], setup.fields.city),
    kelurahan: readKelurahanFigures(reader, setup.fields.kelurahan),
  };
}

export async function loadTrend(setup: DashboardSetup, apiKey: string | undefined): Promise<Trend> {
  const candidates = candidateYears();
  const answers = await Promise.all(
    candidates.map(async (year) => {
      const answer = await runOperation(setup.endpoint, setup.operations.CityScorecard, { year }, { apiKey });
      return [year, readScorecard(new AnswerReader(answer), ['cityScorecard'], setup.fields.trend)] as const;
    }),
  );
  const city = new Map(answers.filter(([, figures]) => everyPillarActive(figures)));
  return { years: [...city.keys()].sort((a, b) => a - b), city };
}
