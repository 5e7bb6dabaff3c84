import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFigure } from '../dashboard/model/format';
import { FIGURES } from '../dashboard/model/figures';
import { PILLAR_ORDER, type PillarName } from '../dashboard/model/pillars';
import { projectPath, projectRoot } from '../platform/paths';
import { CSV_COLUMNS } from '../scripts/report/csv';
import { generateReport } from '../scripts/report/index';
import { startCityGraph, TEST_API_KEYS, type CityGraph } from './support/cityGraph';

/**
 * The yearly evaluation report against a real graph: its figures for 2023 are held to what the gateway
 * answers for the same persisted operations (as the public and with the dashboard key), the published 2023
 * waste bank figures are marked matching, the CSV parses, and the command line behaves (progress on
 * standard error, exit codes 0, 1 and 2).
 */
const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(projectPath('schema', 'persisted-operations.json'), 'utf8')) as { operations: { name: string; body: string }[] };
const body = (name: string) => manifest.operations.find((operation) => operation.name === name)!.body;

/** RFC 4180, as a spreadsheet reads it: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else field += char;
  }
  if (field !== '' || row.length > 0) throw new Error('Expected the CSV to end with CRLF after its last row.');
  return rows;
}

type Records = Record<(typeof CSV_COLUMNS)[number], string>[];

function records(csv: string): Records {
  const [header, ...rows] = parseCsv(csv);
  expect(header).toEqual([...CSV_COLUMNS]);
  for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index]])) as Records[number]);
}

interface Answer {
  data?: any;
  errors?: { path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** What a kelurahan figure is in the gateway's answer: its number, or "withheld" when its error says so. */
function expected(answer: Answer, index: number, pillar: PillarName, field: string): { state: string; value: string } {
  const value = answer.data.kelurahanList[index].scorecard[pillar]?.[field];
  if (typeof value === 'number') return { state: 'value', value: String(value) };
  const error = answer.errors?.find((candidate) => candidate.path?.join('/') === ['kelurahanList', index, 'scorecard', pillar, field].join('/'));
  return { state: error?.extensions?.code === 'SUPPRESSED_SMALL_COUNT' ? 'withheld' : 'none', value: '' };
}

let graph: CityGraph;
const answers: Record<string, Answer> = {};

beforeAll(async () => {
  graph = await startCityGraph();
  answers.city2023 = await graph.query(body('CityScorecard'), { year: 2023 });
  answers.city2022 = await graph.query(body('CityScorecard'), { year: 2022 });
  answers.kelurahan2023 = await graph.query(body('CityDashboard'), { year: 2023 });
  answers.kelurahan2022 = await graph.query(body('CityDashboard'), { year: 2022 });
  answers.kelurahan2023Dashboard = await graph.query(body('CityDashboard'), { year: 2023 }, 'dashboard');
}, 300_000);

afterAll(async () => {
  await graph?.stop();
});

describe('npm run report -- --year 2023', () => {
  it("writes a CSV whose every city and kelurahan figure is the gateway's, withheld ones marked withheld", async () => {
    const progress: string[] = [];
    const report = await generateReport({ year: 2023, format: 'csv', gateway: graph.gateway.url, progress: (line) => progress.push(line) });
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress[0]).toMatch(/^\[1\/\d+\] the city's scorecard for \d{4} \(CityScorecard\)…$/);
    const rows = records(report.text);

    const city = rows.filter((row) => row.scope === 'city');
    expect(city).toHaveLength(PILLAR_ORDER.reduce((sum, pillar) => sum + Object.keys(FIGURES[pillar]).length, 0));
    for (const row of city) {
      const pillar = row.pillar as PillarName;
      expect(row.year).toBe('2023');
      expect(row.value, `${pillar}.${row.figure}`).toBe(String(answers.city2023.data.cityScorecard[pillar][row.figure] ?? ''));
      expect(row.previous_value, `${pillar}.${row.figure} 2022`).toBe(String(answers.city2022.data.cityScorecard[pillar][row.figure] ?? ''));
    }

    const kelurahan = rows.filter((row) => row.scope === 'kelurahan');
    const list = answers.kelurahan2023.data.kelurahanList as { code: string; kecamatan: { name: string } }[];
    expect(new Set(kelurahan.map((row) => row.kelurahan_code)).size).toBe(list.length);
    for (const row of kelurahan) {
      const index = list.findIndex((entry) => entry.code === row.kelurahan_code);
      const pillar = row.pillar as PillarName;
      expect(row.kecamatan).toBe(list[index].kecamatan.name);
      expect({ state: row.state, value: row.value }, `${row.kelurahan_code} ${pillar}.${row.figure}`).toEqual(expected(answers.kelurahan2023, index, pillar, row.figure));
      const before = (answers.kelurahan2022.data.kelurahanList as { code: string }[]).findIndex((entry) => entry.code === row.kelurahan_code);
      expect({ state: row.previous_state, value: row.previous_value }).toEqual(expected(answers.kelurahan2022, before, pillar, row.figure));
    }
    expect(kelurahan.filter((row) => row.state === 'withheld').length).toBeGreaterThan(0);
    expect(kelurahan.filter((row) => row.state === 'withheld').every((row) => row.value === '' && row.note.includes('SUPPRESSED_SMALL_COUNT'))).toBe(true);
  });

  it('marks the published 2023 waste bank figures as matching, beside the figures the graph gives', async () => {
    const rows = records((await generateReport({ year: 2023, format: 'csv', gateway: graph.gateway.url })).text);
    const published = (id: string) => rows.find((row) => row.scope === 'published' && row.figure === id)!;
    const environment = answers.city2023.data.cityScorecard.environment;
    expect(published('waste-banks-2023')).toMatchObject({ year: '2023', published_value: '134', value: String(environment.wasteBanks), verdict: 'matches' });
    expect(published('active-waste-banks-2023')).toMatchObject({ year: '2023', published_value: '63', value: String(environment.activeWasteBanks), verdict: 'matches' });
    expect(published('tonnes-recovered-2023')).toMatchObject({ value: String(environment.tonnesRecovered), verdict: 'matches' });
    expect(published('tonnes-recovered-2023').note).toContain('within ±5%');
    expect(published('kurnia-rate')).toMatchObject({ year: '2023', value: String(answers.city2023.data.cityScorecard.economy.interestRatePercent) });
    expect(published('smart-city-index')).toMatchObject({ verdict: 'not in graph', value: '' });
  });

  it('shows nothing withheld with the dashboard key, and the exact figures the dashboard role gets', async () => {
    const rows = records((await generateReport({ year: 2023, format: 'csv', gateway: graph.gateway.url, apiKey: TEST_API_KEYS.dashboard })).text);
    const kelurahan = rows.filter((row) => row.scope === 'kelurahan');
    expect(kelurahan.some((row) => row.state === 'withheld')).toBe(false);
    const list = answers.kelurahan2023Dashboard.data.kelurahanList as { code: string }[];
    for (const row of kelurahan) {
      const index = list.findIndex((entry) => entry.code === row.kelurahan_code);
      expect({ state: row.state, value: row.value }).toEqual(expected(answers.kelurahan2023Dashboard, index, row.pillar as PillarName, row.figure));
    }
  });

  it("writes Markdown with each pillar's city figures, their change and the published comparison", async () => {
    const { text } = await generateReport({ year: 2023, format: 'md', gateway: graph.gateway.url });
    expect(text).toMatch(/^# Kota Kediri Smart City evaluation 2023\n/);
    const environment = answers.city2023.data.cityScorecard.environment;
    const before = answers.city2022.data.cityScorecard.environment;
    expect(text).toContain('## Smart Environment: DLHKP (Bank Sampah)');
    expect(text).toContain(`| Waste banks | ${formatFigure(environment.wasteBanks, 'count', 'exact')} | ${formatFigure(before.wasteBanks, 'count', 'exact')} |`);
    expect(text).toContain(`| Tonnes recovered | ${formatFigure(environment.tonnesRecovered, 'tonnes', 'exact')} |`);
    expect(text).toContain('| Waste bank units | 2023 | 134 units | matches |');
    expect(text).toContain('| Active waste banks | 2023 | 63 | matches |');
    const revenue = answers.city2023.data.cityScorecard.governance.taxRevenue;
    expect(text).toContain(`| Tax revenue | ${formatFigure(revenue, 'rupiah', 'exact')} |`);
    for (const kecamatan of ['Mojoroto', 'Kota', 'Pesantren']) expect(text).toContain(`#### Kecamatan ${kecamatan} (`);
    expect(text).toContain('| withheld |');
  });

  it('writes a self-contained HTML page with the same figures', async () => {
    const { text } = await generateReport({ year: 2023, format: 'html', gateway: graph.gateway.url });
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).not.toMatch(/(src|href)="/);
    const wasteBanks = text.match(/<tr data-figure="environment\.wasteBanks"><th scope="row">Waste banks<\/th><td class="n">([^<]+)<\/td>/);
    expect(wasteBanks?.[1]).toBe(formatFigure(answers.city2023.data.cityScorecard.environment.wasteBanks, 'count', 'exact'));
    expect(text).toMatch(/<tr data-published="waste-banks-2023">.*?<td class="matches">matches<\/td>/);
    expect(text).toContain('<td class="n withheld">withheld</td>');
  });
});

describe('the report command', () => {
  const command = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/report.ts', ...args], { cwd: projectRoot(), timeout: 120_000 });

  it('writes the report to standard output and one progress line per query to standard error', async () => {
    const { stdout, stderr } = await command(['--year', '2023', '--format', 'csv', '--gateway', graph.gateway.url]);
    expect(records(stdout).length).toBeGreaterThan(1000);
    const lines = stderr.trim().split('\n');
    const progress = lines.filter((line) => /^report: \[\d+\/\d+\] /.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress[progress.length - 1]).toMatch(/^report: \[(\d+)\/\1\] /);
    expect(lines[lines.length - 1]).toMatch(/^report: the 2023 evaluation \(csv\) written in \d+\.\d s\.$/);
  }, 120_000);

  it('exits 2 with what was expected when an argument is wrong', async () => {
    const failure = await command(['--year', 'last']).catch((error) => error);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/^report: --year must be a calendar year from 2016/);
    expect(failure.stderr).toContain('Usage: npm run report');
  }, 120_000);

  it('exits 1 saying so when the gateway cannot be reached', async () => {
    const failure = await command(['--year', '2023', '--gateway', 'http://127.0.0.1:9/graphql']).catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('report: Could not reach the gateway at http://127.0.0.1:9/graphql');
  }, 120_000);
});
