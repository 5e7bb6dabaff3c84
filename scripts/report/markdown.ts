import type { Evaluation, PillarSection, PublishedCheck } from './evaluation';
import { figureText, provenance, publishedFor, summary, title } from './text';

/** The evaluation as Markdown, for reading on a forge or pasting into the council's minutes. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${align.map((side) => (side === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

function publishedTable(checks: PublishedCheck[]): string[] {
  return table(
    ['Kediri published', 'For', 'As published', 'Against the graph', 'Source'],
    ['l', 'l', 'r', 'l', 'l'],
    checks.map((check) => [check.figure.statement, publishedFor(check), check.figure.asPublished, check.verdict.text, check.figure.source]),
  );
}

function section(evaluation: Evaluation, part: PillarSection): string[] {
  const { year, previousYear } = evaluation;
  const lines = [`## ${part.pillar.title}: ${part.pillar.agency}`, '', `### The city, ${year} against ${previousYear}`, ''];
  lines.push(
    ...table(
      ['Figure', String(year), String(previousYear), 'Change'],
      ['l', 'r', 'r', 'l'],
      part.city.map((figure) => [figure.info.label, figureText(figure.current, figure.info.unit), figureText(figure.previous, figure.info.unit), figure.change?.text ?? '—']),
    ),
  );
  if (part.published.length > 0) lines.push('', '### Figures Kediri published', '', ...publishedTable(part.published));
  lines.push('', `### Each kelurahan, ${year}`);
  for (const group of part.kecamatan) {
    lines.push('', `#### Kecamatan ${group.name} (${group.code})`, '');
    lines.push(
      ...table(
        ['Kelurahan', 'Code', ...part.fields.map(({ info }) => info.label)],
        ['l', 'l', ...part.fields.map(() => 'r' as const)],
        group.kelurahan.map((row) => [row.name, row.code, ...part.fields.map(({ field, info }) => figureText(row.current[field], info.unit))]),
      ),
    );
  }
  return lines;
}

export function renderMarkdown(evaluation: Evaluation): string {
  const lines = [`# ${title(evaluation)}`, '', provenance(evaluation), '', summary(evaluation), ''];
  lines.push('## The city', '', ...publishedTable(evaluation.cityChecks), '');
  for (const part of evaluation.sections) lines.push(...section(evaluation, part), '');
  lines.push(
    '---',
    '',
    '"withheld": fewer than 5 people stand behind the figure, so the graph does not show it to the public (SUPPRESSED_SMALL_COUNT); it is not zero, and a dashboard key shows it. "unavailable": the agency\'s subgraph did not answer. "no figure": nothing to count or average (an interest rate without loans). The CSV format (--format csv) carries every kelurahan figure of the year before too.',
  );
  return `${lines.join('\n')}\n`;
}
