import { readFileSync, statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { figureInfo } from '../dashboard/model/figures';
import { formatChange, formatFigure } from '../dashboard/model/format';
import { PILLAR_ORDER, type PillarName } from '../dashboard/model/pillars';
import { projectPath } from '../platform/paths';
import { describeInBrowser, openLocalBrowser, screenshotPath, type LocalBrowser } from './support/browser';
import { startCityGraph, TEST_API_KEYS, type CityGraph } from './support/cityGraph';

/**
 * The dashboard as a city officer uses it, in headless Chromium (Debian's, driven by playwright-core) against
 * a real graph: it picks years and reads the figures on screen, and each one must be the gateway's answer to
 * the same persisted operation; withheld figures must say so, and show with the dashboard key; the page must
 * work at a phone's width; and no request may leave this machine. Its screenshot is the README's
 * docs/dashboard.png (UPDATE_SCREENSHOTS=1 writes it there).
 */
const SCREENSHOT = screenshotPath('dashboard.png');

const manifest = JSON.parse(readFileSync(projectPath('schema', 'persisted-operations.json'), 'utf8')) as { operations: { id: string; name: string; body: string }[] };
const body = (name: string) => manifest.operations.find((operation) => operation.name === name)!.body;

interface Answer {
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** One figure as the page shows it, read from the DOM. */
interface Shown {
  figure: string;
  kelurahan: string | null;
  state: string | null;
  value: string | null;
  text: string;
  title: string | null;
  change?: string;
}

describeInBrowser('the dashboard page in Chromium', () => {
  let graph: CityGraph;
  let browser: LocalBrowser;
  let page: Page;
  let origin: string;
  /** The body of every request the page sent to /graphql. */
  const graphqlBodies: Record<string, unknown>[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    graph = await startCityGraph();
    origin = new URL(graph.gateway.url).origin;
    // Every request the page makes to this machine passes here; one to any other host is refused.
    browser = await openLocalBrowser({
      viewport: { width: 1280, height: 1400 },
      onRequest: (request) => {
        if (new URL(request.url()).pathname === '/graphql') graphqlBodies.push(request.postDataJSON());
      },
    });
    page = browser.page;
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await graph?.stop();
  });

  const dashboardYear = (year: number, role: 'public' | 'dashboard' = 'public'): Promise<Answer> =>
    graph.query(body('DashboardYear'), { year, previousYear: year - 1 }, role);

  /** Waits until the page shows `year`, or fails at once with the page's own message when it could not. */
  async function waitForYear(year: number): Promise<void> {
    await page.waitForSelector(`body[data-state="ready"][data-year="${year}"], body[data-state="failed"]`, { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
  }

  async function pickYear(year: number): Promise<void> {
    await page.selectOption('#year', String(year));
    await waitForYear(year);
  }

  function readCards(): Promise<Shown[]> {
    return page.$$eval('.card .figure[data-figure]', (nodes: any[]) =>
      nodes.map((node) => ({
        figure: node.getAttribute('data-figure'),
        kelurahan: null,
        state: node.getAttribute('data-state'),
        value: node.getAttribute('data-value'),
        text: node.querySelector('.value').textContent,
        title: node.getAttribute('title'),
        change: node.querySelector('.change').textContent,
      })),
    );
  }

  function readTable(): Promise<Shown[]> {
    return page.$$eval('#kelurahan-table td[data-figure]', (nodes: any[]) =>
      nodes.map((node) => ({
        figure: node.getAttribute('data-figure'),
        kelurahan: node.getAttribute('data-kelurahan'),
        state: node.getAttribute('data-state'),
        value: node.getAttribute('data-value'),
        text: node.textContent,
        title: node.getAttribute('title'),
      })),
    );
  }

  /** The state and text a kelurahan figure must show, from the gateway's answer (its number, or its error). */
  function expectedKelurahanCell(answer: Answer, code: string, figure: string): { state: string; value: string | null; text: string } {
    const [pillar, field] = figure.split('.') as [PillarName, string];
    const index = answer.data.kelurahanList.findIndex((entry: { code: string }) => entry.code === code);
    const value = answer.data.kelurahanList[index].scorecard[pillar]?.[field];
    if (typeof value === 'number') return { state: 'value', value: String(value), text: formatFigure(value, figureInfo(pillar, field).unit) };
    const path = ['kelurahanList', index, 'scorecard', pillar, field].join('/');
    const error = answer.errors?.find((candidate) => candidate.path?.join('/') === path);
    if (error?.extensions?.code === 'SUPPRESSED_SMALL_COUNT') return { state: 'withheld', value: null, text: 'withheld' };
    return { state: 'none', value: null, text: 'no figure' };
  }

  async function expectCardsToMatch(year: number): Promise<void> {
    const answer = await dashboardYear(year);
    const cards = await readCards();
    expect(cards.length).toBeGreaterThanOrEqual(PILLAR_ORDER.length * 3);
    expect(new Set(cards.map((card) => card.figure!.split('.')[0]))).toEqual(new Set(PILLAR_ORDER));
    for (const card of cards) {
      const [pillar, field] = card.figure!.split('.') as [PillarName, string];
      const { unit } = figureInfo(pillar, field);
      const current = answer.data.city[pillar][field];
      const previous = answer.data.previousCity[pillar][field];
      expect(typeof current, card.figure!).toBe('number');
      expect({ state: card.state, value: card.value, text: card.text }, `${year} ${card.figure}`).toEqual({ state: 'value', value: String(current), text: formatFigure(current, unit) });
      expect(card.change, `${year} ${card.figure} change`).toBe(`${formatChange(current, previous, unit).text} from ${year - 1}`);
    }
  }

  it('opens on /dashboard with the years the graph has, and shows 2023 as the gateway answers it', async () => {
    await page.goto(`${origin}/dashboard`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="failed"]', { timeout: 90_000 });
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
    const years = await page.$$eval('#year option', (options: any[]) => options.map((option) => Number(option.value)));
    expect(years).toContain(2023);
    expect(years).toContain(2022);
    // Each year offered is one in which the graph has figures for every program.
    for (const year of years) {
      const city = (await graph.query(body('CityScorecard'), { year })).data.cityScorecard;
      expect(city.governance.taxReportsFiled * city.living.homecareVisits * city.economy.applicationsSubmitted, String(year)).toBeGreaterThan(0);
    }
    await pickYear(2023);
    await expectCardsToMatch(2023);
    expect(await page.locator('[data-published="waste-banks-2023"]').getAttribute('data-verdict')).toBe('matches');
  }, 180_000);

  it("fills the kelurahan table, grouped by kecamatan, with the gateway's figures and 'withheld' where it withholds them", async () => {
    const answer = await dashboardYear(2023);
    const groups = await page.$$eval('#kelurahan-table tbody[data-kecamatan]', (bodies: any[]) =>
      bodies.map((tbody) => ({ code: tbody.getAttribute('data-kecamatan'), rows: tbody.querySelectorAll('tr[data-kelurahan]').length })),
    );
    const byKecamatan = new Map<string, number>();
    for (const entry of answer.data.kelurahanList) byKecamatan.set(entry.kecamatan.code, (byKecamatan.get(entry.kecamatan.code) ?? 0) + 1);
    expect(groups).toEqual([...byKecamatan].map(([code, rows]) => ({ code, rows })));

    const cells = await readTable();
    expect(new Set(cells.map((cell) => cell.kelurahan)).size).toBe(answer.data.kelurahanList.length);
    for (const cell of cells) {
      expect({ state: cell.state, value: cell.value, text: cell.text }, `${cell.kelurahan} ${cell.figure}`).toEqual(expectedKelurahanCell(answer, cell.kelurahan!, cell.figure!));
    }
    const withheld = cells.filter((cell) => cell.state === 'withheld');
    expect(withheld.length).toBeGreaterThan(0);
    for (const cell of withheld) expect(cell.title).toContain('SUPPRESSED_SMALL_COUNT');
  }, 120_000);

  it('sorts the table by a figure within each kecamatan, withheld figures last, and across the city when ungrouped', async () => {
    await page.click('#kelurahan-table button[data-sort="governance.taxReportsFiled"]');
    const sorted = async () =>
      page.$$eval('#kelurahan-table tbody', (bodies: any[]) =>
        bodies.map((tbody) =>
          [...tbody.querySelectorAll('td[data-figure="governance.taxReportsFiled"]')].map((cell: any) => (cell.getAttribute('data-value') === null ? null : Number(cell.getAttribute('data-value')))),
        ),
      );
    const isDescendingThenMissing = (values: (number | null)[]) => {
      const numbers = values.filter((value): value is number => value !== null);
      expect(values.slice(0, numbers.length)).toEqual(numbers);
      expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    };
    const grouped = await sorted();
    expect(grouped).toHaveLength(3);
    grouped.forEach(isDescendingThenMissing);
    expect(await page.getAttribute('#kelurahan-table th:has(button[data-sort="governance.taxReportsFiled"])', 'aria-sort')).toBe('descending');
    await page.uncheck('#group-by-kecamatan');
    const city = await sorted();
    expect(city).toHaveLength(1);
    expect(city[0]).toHaveLength(46);
    isDescendingThenMissing(city[0]);
    await page.check('#group-by-kecamatan');
  }, 60_000);

  it("draws each pillar's charts from the gateway's figures: across kelurahan (withheld as gaps) and across years", async () => {
    const answer = await dashboardYear(2023);
    for (const pillar of PILLAR_ORDER) {
      const field = await page.$eval(`select[data-chart-figure="${pillar}"]`, (select: any) => select.value as string);
      const kelurahan = JSON.parse((await page.getAttribute(`canvas[data-chart="${pillar}.kelurahan"]`, 'data-series'))!);
      expect(kelurahan.values, pillar).toEqual(
        kelurahan.labels.map((code: string) => {
          const expected = expectedKelurahanCell(answer, code, `${pillar}.${field}`);
          return expected.state === 'value' ? Number(expected.value) : null;
        }),
      );
      const years = JSON.parse((await page.getAttribute(`canvas[data-chart="${pillar}.years"]`, 'data-series'))!);
      expect(years.labels).toEqual(await page.$$eval('#year option', (options: any[]) => options.map((option) => Number(option.value))));
      for (const [index, year] of years.labels.entries()) {
        expect(years.values[index], `${pillar}.${field} ${year}`).toBe((await graph.query(body('CityScorecard'), { year })).data.cityScorecard[pillar][field]);
      }
    }
    const boxes = await page.$$eval('canvas[data-chart]', (canvases: any[]) => canvases.map((canvas) => canvas.width * canvas.height));
    expect(boxes).toHaveLength(PILLAR_ORDER.length * 2);
    for (const area of boxes) expect(area).toBeGreaterThan(0);
  }, 120_000);

  it('saves a screenshot of 2023 for the README', async () => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
  }, 60_000);

  it('shows another year, 2022, as the gateway answers it', async () => {
    await pickYear(2022);
    expect(new URL(page.url()).searchParams.get('year')).toBe('2022');
    await expectCardsToMatch(2022);
    const answer = await dashboardYear(2022);
    for (const cell of (await readTable()).slice(0, 60)) expect({ state: cell.state, value: cell.value, text: cell.text }).toEqual(expectedKelurahanCell(answer, cell.kelurahan!, cell.figure!));
    await pickYear(2023);
  }, 120_000);

  it('shows a withheld figure exactly once a dashboard key is entered, and keeps the key in this tab only', async () => {
    const before = await readTable();
    const target = before.find((cell) => cell.state === 'withheld')!;
    const selector = `#kelurahan-table td[data-kelurahan="${target.kelurahan}"][data-figure="${target.figure}"]`;
    expect(await page.textContent(selector)).toBe('withheld');

    await page.fill('#api-key', TEST_API_KEYS.dashboard);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#role.keyed');
    await waitForYear(2023);
    const answer = await dashboardYear(2023, 'dashboard');
    const exact = expectedKelurahanCell(answer, target.kelurahan!, target.figure!);
    expect(exact.state).toBe('value');
    expect(await page.getAttribute(selector, 'data-state')).toBe('value');
    expect(await page.getAttribute(selector, 'data-value')).toBe(exact.value);
    expect(await page.textContent(selector)).toBe(exact.text);
    expect((await readTable()).filter((cell) => cell.state === 'withheld')).toEqual([]);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.inputValue('#api-key')).toBe('');

    await page.click('#forget-key');
    await page.waitForSelector('#role:not(.keyed)');
    await waitForYear(2023);
    expect(await page.textContent(selector)).toBe('withheld');
  }, 120_000);

  it('says when a key is refused, forgets it and shows the public figures', async () => {
    await page.fill('#api-key', 'not-a-key-of-this-city-000');
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('body[data-key-refused="true"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toContain('The gateway refused the API key');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await waitForYear(2023);
    expect((await readTable()).some((cell) => cell.state === 'withheld')).toBe(true);
  }, 120_000);

  it("works at a phone's width: nothing wider than the screen but the table, which scrolls in its own box", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await waitForYear(2023);
    const widths = (await page.evaluate(
      `({ page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth,
         table: document.querySelector('.table-scroll').scrollWidth, tableBox: document.querySelector('.table-scroll').clientWidth })`,
    )) as { page: number; screen: number; table: number; tableBox: number };
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    expect(widths.tableBox).toBeLessThanOrEqual(widths.screen);
    expect(widths.table).toBeGreaterThan(widths.tableBox);
    for (const card of await page.$$('.card, .chart-card')) {
      const box = (await card.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(widths.screen);
    }
    await page.setViewportSize({ width: 1280, height: 1400 });
  }, 120_000);

  it("says an agency's figures are unavailable, not zero, when its subgraph is down", async () => {
    await graph.stopSubgraph('health');
    await pickYear(2021);
    const living = (await readCards()).filter((card) => card.figure!.startsWith('living.'));
    expect(living.length).toBeGreaterThan(0);
    for (const card of living) {
      expect(card.state).toBe('unavailable');
      expect(card.text).toBe('unavailable');
      expect(card.title).toContain("Dinas Kesehatan (Homecare)'s data is unavailable");
    }
    expect((await readTable()).filter((cell) => cell.figure!.startsWith('living.')).every((cell) => cell.state === 'unavailable')).toBe(true);
    expect((await readCards()).filter((card) => card.figure!.startsWith('environment.')).every((card) => card.state === 'value')).toBe(true);
  }, 120_000);

  it('asked the graph only through persisted operations, sent no request off this machine, and met no error (no CSP violation)', () => {
    expect(graphqlBodies.length).toBeGreaterThan(10);
    const names = new Map(manifest.operations.map((operation) => [`sha256:${operation.id}`, operation.name]));
    for (const sent of graphqlBodies) {
      expect(Object.keys(sent).sort()).toEqual(['documentId', 'variables']);
      expect(['DashboardYear', 'CityScorecard']).toContain(names.get(String(sent.documentId)));
    }
    expect(browser.refused).toEqual([]);
    expect(browserErrors.filter((message) => !message.includes('401'))).toEqual([]);
  });
});
