import { cellWord, type Cell } from '../../dashboard/model/answers';
import type { Unit } from '../../dashboard/model/figures';
import { formatFigure } from '../../dashboard/model/format';
import { verdictCounts, type Evaluation, type PublishedCheck } from './evaluation';

/** Wording shared by the Markdown and HTML reports, so that both say the same thing the same way. */
export function figureText(cell: Cell | undefined, unit: Unit): string {
  if (!cell) return 'no figure';
  return cell.state === 'value' ? formatFigure(cell.value, unit, 'exact') : cellWord(cell);
}

export function title(evaluation: Evaluation): string {
  return `Kota Kediri Smart City evaluation ${evaluation.year}`;
}

export function provenance(evaluation: Evaluation): string {
  const who = evaluation.caller === 'public' ? 'as the public role (kelurahan counts of fewer than 5 people are withheld)' : 'with the API key given';
  return `Every figure below was read from the Kediri City Graph at ${evaluation.gateway}, ${who}, on ${evaluation.generatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, through the persisted operations CityScorecard, CityDashboard and EvaluationProdamasCeilings.`;
}

export function summary(evaluation: Evaluation): string {
  const counts = verdictCounts(evaluation);
  const parts = [
    `Published figures: ${counts.matches} match the graph, ${counts.differs} differ, ${counts['no figure']} have no graph figure this time, ${counts['not in graph']} are not graph figures.`,
    evaluation.withheld > 0 ? `${evaluation.withheld} kelurahan figures of ${evaluation.year} are withheld from this caller ("withheld": not zero, suppressed because fewer than 5 people stand behind them).` : `No kelurahan figure of ${evaluation.year} is withheld from this caller.`,
  ];
  if (evaluation.unavailable.length > 0) parts.push(`Unavailable (the agency's subgraph did not answer): ${evaluation.unavailable.join(', ')}.`);
  return parts.join(' ');
}

export function publishedFor(check: PublishedCheck): string {
  const { figure } = check;
  if (figure.year === 'each year') return `${check.verdict.year} (each year)`;
  return figure.yearNote ?? String(figure.year);
}
