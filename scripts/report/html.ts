import type { Evaluation, PillarSection, PublishedCheck } from './evaluation';
import { figureText, provenance, publishedFor, summary, title } from './text';

/**
 * The evaluation as one self-contained HTML file for reading and printing: its style is inside it and it
 * loads nothing from anywhere, so it opens the same from a mail attachment or a shared drive.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1c2426; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; line-height: 1.45; }
h1 { color: #0f5e57; } h2 { color: #0f5e57; border-bottom: 2px solid #0f5e57; padding-bottom: .2rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d7dfe0; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } th { background: #eef3f3; }
.withheld { color: #7a4f00; background: #fff4dc; font-style: italic; } .unavailable { color: #8a1f1f; background: #fde8e8; font-style: italic; }
.none { color: #5b6a6e; font-style: italic; } .matches { color: #1f7a3a; font-weight: 600; } .differs { color: #a33a2b; font-weight: 600; }
.note { color: #5b6a6e; font-size: .9rem; }
@media print { h2 { break-before: page; } }
`;

function figureCell(text: string): string {
  const kind = ['withheld', 'unavailable', 'no figure'].includes(text) ? ` ${text === 'no figure' ? 'none' : text}` : '';
  return `<td class="n${kind}">${escapeHtml(text)}</td>`;
}

function publishedTable(checks: PublishedCheck[]): string {
  const rows = checks.map(
    (check) =>
      `<tr data-published="${escapeHtml(check.figure.id)}"><td>${escapeHtml(check.figure.statement)}</td><td>${escapeHtml(publishedFor(check))}</td><td class="n">${escapeHtml(check.figure.asPublished)}</td><td class="${check.verdict.status.replace(' ', '-')}">${escapeHtml(check.verdict.text)}</td><td class="note">${escapeHtml(check.figure.source)}</td></tr>`,
  );
  return `<table><thead><tr><th>Kediri published</th><th>For</th><th>As published</th><th>Against the graph</th><th>Source</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function section(evaluation: Evaluation, part: PillarSection): string {
  const { year, previousYear } = evaluation;
  const cityRows = part.city.map(
    (figure) =>
      `<tr data-figure="${part.pillar.name}.${figure.field}"><th scope="row">${escapeHtml(figure.info.label)}</th>${figureCell(figureText(figure.current, figure.info.unit))}${figureCell(figureText(figure.previous, figure.info.unit))}<td class="n">${escapeHtml(figure.change?.text ?? '—')}</td></tr>`,
  );
  const kecamatan = part.kecamatan.map((group) => {
    const head = `<tr><th>Kelurahan</th><th>Code</th>${part.fields.map(({ info }) => `<th>${escapeHtml(info.label)}</th>`).join('')}</tr>`;
    const rows = group.kelurahan.map(
      (row) =>
        `<tr data-kelurahan="${escapeHtml(row.code)}"><th scope="row">${escapeHtml(row.name)}</th><td>${escapeHtml(row.code)}</td>${part.fields.map(({ field, info }) => figureCell(figureText(row.current[field], info.unit))).join('')}</tr>`,
    );
    return `<h4>Kecamatan ${escapeHtml(group.name)} (${escapeHtml(group.code)})</h4><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
  });
  return [
    `<section data-pillar="${part.pillar.name}"><h2>${escapeHtml(part.pillar.title)}: ${escapeHtml(part.pillar.agency)}</h2>`,
    `<h3>The city, ${year} against ${previousYear}</h3>`,
    `<table><thead><tr><th>Figure</th><th>${year}</th><th>${previousYear}</th><th>Change</th></tr></thead><tbody>${cityRows.join('')}</tbody></table>`,
    part.published.length > 0 ? `<h3>Figures Kediri published</h3>${publishedTable(part.published)}` : '',
    `<h3>Each kelurahan, ${year}</h3>`,
    ...kecamatan,
    '</section>',
  ].join('\n');
}

export function renderHtml(evaluation: Evaluation): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title(evaluation))}</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title(evaluation))}</h1>`,
    `<p>${escapeHtml(provenance(evaluation))}</p>`,
    `<p>${escapeHtml(summary(evaluation))}</p>`,
    `<section data-pillar="city"><h2>The city</h2>${publishedTable(evaluation.cityChecks)}</section>`,
    ...evaluation.sections.map((part) => section(evaluation, part)),
    '<p class="note">"withheld": fewer than 5 people stand behind the figure, so the graph does not show it to the public (SUPPRESSED_SMALL_COUNT); it is not zero, and a dashboard key shows it. "unavailable": the agency\'s subgraph did not answer. "no figure": nothing to count or average.</p>',
    '</body></html>',
    '',
  ].join('\n');
}
