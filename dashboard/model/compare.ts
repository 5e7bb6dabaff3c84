import { cellReason, type Cell } from './answers';
import { formatFigure, formatNumber } from './format';
import { comparisonYear, type PublishedFigure } from './published';
import type { Figures, KelurahanFigures } from './scorecards';

/**
 * Puts each figure Kediri published beside the graph's figure for the same year and says whether they
 * match. The graph's figures come from a GraphSource filled from the gateway's answers; `figuresToGather`
 * says which answers a set of published figures needs, so the report asks for exactly those.
 */
export interface GraphSource {
  city(year: number): Figures | undefined;
  kelurahan(year: number): KelurahanFigures[] | undefined;
  /** The largest RT ceiling of the year's Prodamas budgets; undefined when not gathered or none. */
  largestRtCeiling(year: number): number | undefined;
}

export type Verdict =
  | { status: 'matches' | 'differs'; year: number; graph: number; text: string }
  | { status: 'no figure' | 'not in graph'; year: number; text: string };

export interface Needs {
  /** Years whose city scorecard is needed. */
  city: number[];
  /** Years whose kelurahan list (with scorecards) is needed. */
  kelurahan: number[];
  /** Years whose RT ceilings are needed. */
  ceilings: number[];
}

export function figuresToGather(figures: readonly PublishedFigure[], reportYear: number): Needs {
  const needs = { city: new Set<number>(), kelurahan: new Set<number>(), ceilings: new Set<number>() };
  for (const figure of figures) {
    const year = comparisonYear(figure, reportYear);
    if (figure.measure.kind === 'city') needs.city.add(year);
    if (figure.measure.kind === 'kelurahanWith' || figure.measure.kind === 'kelurahanCount') needs.kelurahan.add(year);
    if (figure.measure.kind === 'largestRtCeiling') needs.ceilings.add(year);
  }
  const sorted = (years: Set<number>) => [...years].sort((a, b) => a - b);
  return { city: sorted(needs.city), kelurahan: sorted(needs.kelurahan), ceilings: sorted(needs.ceilings) };
}

/** The graph's number for a published figure, or the reason it has none. */
function measure(figure: PublishedFigure, year: number, source: GraphSource): number | { reason: string } {
  const m = figure.measure;
  switch (m.kind) {
    case 'notInGraph':
      return { reason: m.reason };
    case 'city': {
      const city = source.city(year);
      if (!city) return { reason: `the city's ${year} scorecard was not gathered` };
      const cell: Cell = city[m.pillar][m.field] ?? { state: 'none' };
      return cell.state === 'value' ? cell.value : { reason: cellReason(cell) };
    }
    case 'kelurahanWith': {
      const rows = source.kelurahan(year);
      if (!rows) return { reason: `the kelurahan figures of ${year} were not gathered` };
      const unknown = rows.filter((row) => row.figures[m.pillar][m.field]?.state !== 'value');
      if (unknown.length > 0) return { reason: `${unknown.length} kelurahan have no ${m.field} figure (${unknown[0].name}: ${cellReason(unknown[0].figures[m.pillar][m.field] ?? { state: 'none' })})` };
      return rows.filter((row) => (row.figures[m.pillar][m.field] as { value: number }).value === m.equals).length;
    }
    case 'kelurahanCount': {
      const rows = source.kelurahan(year);
      if (!rows) return { reason: `the kelurahan list was not gathered` };
      return m.kecamatan === undefined ? rows.length : rows.filter((row) => row.kecamatan.name === m.kecamatan).length;
    }
    case 'largestRtCeiling': {
      const largest = source.largestRtCeiling(year);
      return largest === undefined ? { reason: `no RT budget of ${year} was found` } : largest;
    }
  }
}

function within(figure: PublishedFigure, graph: number): boolean {
  const c = figure.comparison;
  switch (c.kind) {
    case 'exact':
      return graph === figure.value;
    case 'about':
      return Math.abs(graph - figure.value) <= c.tolerance * figure.value;
    case 'atMost':
      return graph <= figure.value;
    case 'between':
      return graph >= c.low && graph <= c.high;
  }
}

/** How the comparison was made, for a reader: "within ±5%", "at most", or nothing for an exact one. */
export function comparisonRule(figure: PublishedFigure): string {
  const c = figure.comparison;
  switch (c.kind) {
    case 'exact':
      return 'equal';
    case 'about':
      return `within ±${formatNumber(c.tolerance * 100, 1)}%`;
    case 'atMost':
      return `at most ${formatFigure(figure.value, figure.unit, 'exact')}`;
    case 'between':
      return `${formatNumber(c.low)} to ${formatNumber(c.high)}`;
  }
}

export function comparePublished(figure: PublishedFigure, reportYear: number, source: GraphSource): Verdict {
  const year = comparisonYear(figure, reportYear);
  const graph = measure(figure, year, source);
  if (typeof graph !== 'number') {
    const status = figure.measure.kind === 'notInGraph' ? 'not in graph' : 'no figure';
    return { status, year, text: status === 'not in graph' ? `not a graph figure: ${graph.reason}` : `no graph figure for ${year}: ${graph.reason}` };
  }
  const says = figure.measure.kind === 'largestRtCeiling' ? `the largest RT budget is ${formatFigure(graph, figure.unit, 'exact')}` : `graph says ${formatFigure(graph, figure.unit, 'exact')}`;
  if (within(figure, graph)) {
    const detail = figure.comparison.kind === 'exact' ? '' : `: ${says} (${comparisonRule(figure)})`;
    return { status: 'matches', year, graph, text: `matches${detail}` };
  }
  const rule = figure.comparison.kind === 'exact' ? '' : ` (expected ${comparisonRule(figure)})`;
  return { status: 'differs', year, graph, text: `differs: ${says}${rule}` };
}
