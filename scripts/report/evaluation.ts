import type { Cell } from '../../dashboard/model/answers';
import { comparePublished, type GraphSource, type Verdict } from '../../dashboard/model/compare';
import { figureInfo, type FigureInfo } from '../../dashboard/model/figures';
import { formatChange, type Change } from '../../dashboard/model/format';
import { PILLARS, type Pillar } from '../../dashboard/model/pillars';
import { PUBLISHED_FIGURES, type PublishedFigure } from '../../dashboard/model/published';
import { groupByKecamatan } from '../../dashboard/model/scorecards';
import { pillarActive } from '../../dashboard/model/years';
import type { Gathered } from './gather';

/**
 * The yearly Smart City evaluation as data, before any format: per pillar, the program's figures for the
 * city in the year and the year before with the change, each kelurahan's figures grouped by kecamatan, and
 * the figures Kediri published beside the graph's. Every number in it is one the gateway answered.
 */
export interface CityFigure {
  field: string;
  info: FigureInfo;
  current: Cell;
  previous: Cell;
  /** Absent when either year has no number, or the program recorded nothing in the year before. */
  change?: Change;
}

export interface KelurahanLine {
  code: string;
  name: string;
  current: Record<string, Cell>;
  previous: Record<string, Cell>;
}

export interface PublishedCheck {
  figure: PublishedFigure;
  verdict: Verdict;
}

export interface PillarSection {
  pillar: Pillar;
  fields: { field: string; info: FigureInfo }[];
  city: CityFigure[];
  kecamatan: { code: string; name: string; kelurahan: KelurahanLine[] }[];
  published: PublishedCheck[];
}

export interface Evaluation {
  year: number;
  previousYear: number;
  gateway: string;
  /** Who the gateway answered: the public, or the holder of the key given. */
  caller: 'public' | 'api key';
  generatedAt: Date;
  /** Published figures about the whole city (reference data, the overall index). */
  cityChecks: PublishedCheck[];
  sections: PillarSection[];
  /** Kelurahan figures of the year withheld from this caller, and agencies that did not answer. */
  withheld: number;
  unavailable: string[];
}

const NONE: Cell = { state: 'none' };

export function evaluate(gathered: Gathered, context: { gateway: string; caller: 'public' | 'api key'; generatedAt?: Date }): Evaluation {
  const { year, previousYear } = gathered;
  const source: GraphSource = {
    city: (y) => gathered.city.get(y),
    kelurahan: (y) => gathered.kelurahan.get(y),
    largestRtCeiling: (y) => gathered.largestRtCeiling.get(y),
  };
  const check = (figure: PublishedFigure): PublishedCheck => ({ figure, verdict: comparePublished(figure, year, source) });
  const cityNow = gathered.city.get(year)!;
  const cityBefore = gathered.city.get(previousYear)!;
  const rowsNow = gathered.kelurahan.get(year) ?? [];
  const rowsBefore = new Map((gathered.kelurahan.get(previousYear) ?? []).map((row) => [row.code, row]));
  let withheld = 0;
  const unavailable = new Set<string>();

  const sections = PILLARS.map((pillar): PillarSection => {
    const fields = gathered.fields.kelurahan[pillar.name].map((field) => ({ field, info: figureInfo(pillar.name, field) }));
    const city = gathered.fields.city[pillar.name].map((field): CityFigure => {
      const info = figureInfo(pillar.name, field);
      const current = cityNow[pillar.name][field] ?? NONE;
      const previous = cityBefore[pillar.name][field] ?? NONE;
      const comparable = current.state === 'value' && previous.state === 'value' && pillarActive(cityBefore, pillar.name);
      return { field, info, current, previous, change: comparable ? formatChange(current.value, previous.value, info.unit, 'exact') : undefined };
    });
    const kecamatan = groupByKecamatan(rowsNow).map((group) => ({
      code: group.code,
      name: group.name,
      kelurahan: group.kelurahan.map((row): KelurahanLine => {
        const current = row.figures[pillar.name];
        for (const cell of Object.values(current)) {
          if (cell.state === 'withheld') withheld += 1;
          if (cell.state === 'unavailable') unavailable.add(cell.agency);
        }
        return { code: row.code, name: row.name, current, previous: rowsBefore.get(row.code)?.figures[pillar.name] ?? {} };
      }),
    }));
    for (const { current } of city) if (current.state === 'unavailable') unavailable.add(current.agency);
    return { pillar, fields, city, kecamatan, published: PUBLISHED_FIGURES.filter((figure) => figure.section === pillar.name).map(check) };
  });

  return {
    year,
    previousYear,
    gateway: context.gateway,
    caller: context.caller,
    generatedAt: context.generatedAt ?? new Date(),
    cityChecks: PUBLISHED_FIGURES.filter((figure) => figure.section === 'city').map(check),
    sections,
    withheld,
    unavailable: [...unavailable],
  };
}

/** How many published figures match, differ, or have no graph figure to compare with. */
export function verdictCounts(evaluation: Evaluation): Record<Verdict['status'], number> {
  const counts: Record<Verdict['status'], number> = { matches: 0, differs: 0, 'no figure': 0, 'not in graph': 0 };
  for (const check of [...evaluation.cityChecks, ...evaluation.sections.flatMap((section) => section.published)]) counts[check.verdict.status] += 1;
  return counts;
}
