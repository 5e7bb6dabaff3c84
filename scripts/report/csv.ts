import { cellReason, type Cell } from '../../dashboard/model/answers';
import { formatChange } from '../../dashboard/model/format';
import type { Evaluation, PublishedCheck } from './evaluation';

/**
 * The evaluation as one CSV table for spreadsheets (RFC 4180, comma-separated, CRLF line ends): one row per
 * figure, long rather than wide, so that a pivot table can arrange it by pillar, kecamatan or year. Numbers
 * are plain (no grouping, full precision); a cell without a number leaves `value` empty and says why in
 * `state` and `note`. Rows of scope `published` put each figure Kediri published beside the graph's.
 */
export const CSV_COLUMNS = [
  'scope',
  'pillar',
  'program',
  'kecamatan_code',
  'kecamatan',
  'kelurahan_code',
  'kelurahan',
  'figure',
  'label',
  'unit',
  'year',
  'value',
  'state',
  'previous_year',
  'previous_value',
  'previous_state',
  'change',
  'published_value',
  'verdict',
  'note',
] as const;

type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>;

export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function number(cell: Cell | undefined): number | undefined {
  return cell?.state === 'value' ? cell.value : undefined;
}

function change(current: Cell | undefined, previous: Cell | undefined, unit: Parameters<typeof formatChange>[2]): string | undefined {
  return current?.state === 'value' && previous?.state === 'value' ? formatChange(current.value, previous.value, unit, 'exact').text : undefined;
}

function publishedRow(check: PublishedCheck, program: string): Row {
  const { figure, verdict } = check;
  return {
    scope: 'published',
    pillar: figure.section,
    program,
    figure: figure.id,
    label: figure.statement,
    unit: figure.unit,
    year: verdict.year,
    value: 'graph' in verdict ? verdict.graph : undefined,
    state: 'graph' in verdict ? 'value' : verdict.status,
    published_value: figure.value,
    verdict: verdict.status,
    note: `${figure.asPublished}; ${verdict.text}; source: ${figure.source}`,
  };
}

export function renderCsv(evaluation: Evaluation): string {
  const rows: Row[] = [];
  const { year, previousYear } = evaluation;
  for (const check of evaluation.cityChecks) rows.push(publishedRow(check, ''));
  for (const section of evaluation.sections) {
    const base = { pillar: section.pillar.name, program: section.pillar.agency };
    for (const figure of section.city) {
      rows.push({
        ...base,
        scope: 'city',
        figure: figure.field,
        label: figure.info.label,
        unit: figure.info.unit,
        year,
        value: number(figure.current),
        state: figure.current.state,
        previous_year: previousYear,
        previous_value: number(figure.previous),
        previous_state: figure.previous.state,
        change: figure.change?.text,
        note: cellReason(figure.current) || undefined,
      });
    }
    for (const group of section.kecamatan) {
      for (const line of group.kelurahan) {
        for (const { field, info } of section.fields) {
          const current = line.current[field];
          const previous = line.previous[field];
          rows.push({
            ...base,
            scope: 'kelurahan',
            kecamatan_code: group.code,
            kecamatan: group.name,
            kelurahan_code: line.code,
            kelurahan: line.name,
            figure: field,
            label: info.label,
            unit: info.unit,
            year,
            value: number(current),
            state: current?.state ?? 'none',
            previous_year: previousYear,
            previous_value: number(previous),
            previous_state: previous?.state ?? 'none',
            change: change(current, previous, info.unit),
            note: current ? cellReason(current) || undefined : undefined,
          });
        }
      }
    }
    for (const check of section.published) rows.push(publishedRow(check, section.pillar.agency));
  }
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
