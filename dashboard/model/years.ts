import type { Figures } from './scorecards';
import { valueOf } from './scorecards';
import { PILLAR_ORDER, type PillarName } from './pillars';

/**
 * Which years the dashboard offers, decided by the graph's own figures rather than a list typed in: a year
 * is offered when every one of the six programs recorded something in it. Stocks (waste banks, EMAS spots)
 * carry over from year to year, so each pillar is judged by a figure that only counts what happened in the
 * year.
 */
export const ACTIVITY_FIGURES: Record<PillarName, string> = {
  governance: 'taxReportsFiled',
  living: 'homecareVisits',
  environment: 'deposits',
  society: 'classes',
  economy: 'applicationsSubmitted',
  branding: 'rtBudgets',
};

/** The first year the scorecard answers for (its `year` argument's documented range: 2016 or later). */
export const FIRST_SCORECARD_YEAR = 2016;

/**
 * Whether every pillar of the city's scorecard shows activity in its year. A pillar whose agency did not
 * answer is not held against the year (an agency being down must not empty the year list); at least one
 * pillar must have answered.
 */
export function everyPillarActive(city: Figures): boolean {
  const cells = PILLAR_ORDER.map((name) => city[name][ACTIVITY_FIGURES[name]]);
  const answered = cells.filter((cell) => cell?.state !== 'unavailable');
  return answered.length > 0 && answered.every((cell) => (valueOf(cell) ?? 0) > 0);
}

/** Whether a pillar recorded anything in the year, so that a change from that year means something. */
export function pillarActive(city: Figures, name: PillarName): boolean {
  return (valueOf(city[name][ACTIVITY_FIGURES[name]]) ?? 0) > 0;
}

/** The calendar year now on Kediri's clock (WIB, UTC+7), as every agency counts years. */
export function kediriYear(now: Date = new Date()): number {
  return new Date(now.getTime() + 7 * 3_600_000).getUTCFullYear();
}

/** The years worth asking about, newest first: from this year in Kediri back to the first scorecard year. */
export function candidateYears(now: Date = new Date()): number[] {
  const years: number[] = [];
  for (let year = kediriYear(now); year >= FIRST_SCORECARD_YEAR; year -= 1) years.push(year);
  return years;
}
