import { comparePublished, type GraphSource } from '../model/compare';
import { figureInfo } from '../model/figures';
import { formatChange } from '../model/format';
import type { PillarFields } from '../model/operationFields';
import { PILLARS, type PillarName } from '../model/pillars';
import { comparisonYear, PUBLISHED_FIGURES } from '../model/published';
import { pillarActive } from '../model/years';
import { cellAttributes, cellText } from './cells';
import type { Trend, YearView } from './data';
import { el } from './dom';

/**
 * The headline cards: for each pillar, its headline figures for the city in the chosen year, the change
 * from the year before, and what Kediri published for that year beside the graph's figure.
 */
export function headlineFields(fields: PillarFields, name: PillarName): string[] {
  const headline = fields[name].filter((field) => figureInfo(name, field).headline);
  return headline.length > 0 ? headline : fields[name].slice(0, 3);
}

function changeLine(view: YearView, name: PillarName, field: string): HTMLElement {
  const info = figureInfo(name, field);
  const current = view.city[name][field];
  const previous = view.previousCity[name][field];
  if (current?.state !== 'value' || previous?.state !== 'value' || !pillarActive(view.previousCity, name)) {
    return el('dd', { class: 'change', 'data-change': 'none' }, [`no ${view.previousYear} figure to compare with`]);
  }
  const change = formatChange(current.value, previous.value, info.unit);
  return el('dd', { class: `change ${change.direction}`, 'data-change': change.direction }, [`${change.text} from ${view.previousYear}`]);
}

function publishedNotes(view: YearView, trend: Trend, name: PillarName): HTMLElement | null {
  const source: GraphSource = {
    city: (year) => (year === view.year ? view.city : year === view.previousYear ? view.previousCity : trend.city.get(year)),
    kelurahan: (year) => (year === view.year ? view.kelurahan : undefined),
    largestRtCeiling: () => undefined,
  };
  const figures = PUBLISHED_FIGURES.filter(
    (figure) => figure.section === name && comparisonYear(figure, view.year) === view.year && (figure.measure.kind === 'city' || figure.measure.kind === 'kelurahanWith'),
  );
  if (figures.length === 0) return null;
  return el('div', { class: 'published' }, [
    `Kediri published for ${view.year}:`,
    el(
      'ul',
      {},
      figures.map((figure) => {
        const verdict = comparePublished(figure, view.year, source);
        return el('li', { 'data-published': figure.id, 'data-verdict': verdict.status, title: figure.source }, [
          `${figure.statement}: ${figure.asPublished} — `,
          el('span', { class: `verdict-${verdict.status.replace(' ', '-')}` }, [verdict.text]),
        ]);
      }),
    ),
  ]);
}

export function renderCards(container: HTMLElement, view: YearView, trend: Trend, fields: PillarFields): void {
  const cards = PILLARS.map((pillar) =>
    el('article', { class: 'card', 'data-pillar': pillar.name }, [
      el('h3', {}, [pillar.title]),
      el('p', { class: 'agency' }, [pillar.agency]),
      el(
        'dl',
        {},
        headlineFields(fields, pillar.name).map((field) => {
          const info = figureInfo(pillar.name, field);
          const cell = view.city[pillar.name][field] ?? { state: 'none' as const };
          return el('div', { class: 'figure', ...cellAttributes(cell, info, `${pillar.name}.${field}`) }, [
            el('dt', {}, [info.label]),
            el('dd', { class: 'value' }, [cellText(cell, info)]),
            changeLine(view, pillar.name, field),
          ]);
        }),
      ),
      publishedNotes(view, trend, pillar.name),
    ]),
  );
  container.replaceChildren(...cards);
}
