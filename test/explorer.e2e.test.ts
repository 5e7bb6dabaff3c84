import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORER_EXAMPLES } from '../gateway/explorer/examples';
import { postGraphQL } from '../subgraphs/kit/testing';
import { describeInBrowser, openLocalBrowser, screenshotPath, type LocalBrowser } from './support/browser';
import { startCityGraph, TEST_API_KEYS, type CityGraph } from './support/cityGraph';

/**
 * The explorer as a person uses it: headless Chromium opens http://127.0.0.1:<port>/graphql with every request
 * to any other host refused, as on a city intranet with no internet, runs the opening example and reads the
 * answer in the result pane, then runs the dashboard's tab with the key the explorer filled in for it. The
 * screenshot it takes is the README's docs/explorer.png (with UPDATE_SCREENSHOTS=1). Apart, with every
 * agency's subgraph running (empty: their access, not their figures, is what is checked), each example is run
 * as its role.
 */
describe('every example operation of the explorer', () => {
  let graph: CityGraph;

  beforeAll(async () => {
    graph = await startCityGraph({ seed: false });
  });

  afterAll(async () => {
    await graph?.stop();
  });

  it('runs as its role, with the key of that role: no refusal, no invalid document', async () => {
    for (const example of EXPLORER_EXAMPLES) {
      const headers: Record<string, string> = example.role === 'public' ? {} : { 'x-api-key': TEST_API_KEYS[example.role] };
      const result = await postGraphQL(graph.gateway.url, example.query, example.variables, headers);
      expect(result.status, example.role).toBe(200);
      // The agencies hold no records here, so the waste bank of the environment's example is not found; no
      // example may be refused for its role, nor fail for its document or variables.
      expect((result.errors ?? []).map((error) => error.extensions?.code).filter((code) => code !== 'NOT_FOUND'), example.role).toEqual([]);
      if (!result.errors) expect(result.data, example.role).toBeTruthy();
    }
  });
});

describeInBrowser('the explorer in headless Chromium', () => {
  let graph: CityGraph;
  let browser: LocalBrowser;
  let page: Page;
  const requested: string[] = [];
  const cspMessages: string[] = [];

  beforeAll(async () => {
    // The opening example's figures come from these agencies, with their sample data (a few seconds to seed).
    graph = await startCityGraph({ subgraphs: ['city', 'health', 'economy'] });
    browser = await openLocalBrowser({ viewport: { width: 1500, height: 860 }, onRequest: (request) => requested.push(request.url()) });
    page = browser.page;
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspMessages.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await graph?.stop();
  });

  /** The text Monaco shows in one of GraphiQL's editors (it renders the visible lines as spans). */
  const textOf = (selector: string) => page.locator(selector).first().innerText();

  it('opens at /graphql from the gateway alone, runs the opening example and shows its answer', { timeout: 180_000 }, async () => {
    const response = await page.goto(graph.gateway.url, { waitUntil: 'load', timeout: 120_000 });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");

    const editor = page.locator('.graphiql-query-editor');
    await editor.getByText('PublicKelurahanAndScorecard').first().waitFor({ timeout: 60_000 });
    const [sent] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && (response.request().postData() ?? '').includes('PublicKelurahanAndScorecard')),
      page.locator('.graphiql-execute-button').click(),
    ]);
    // The explorer asks for the GraphQL response media type, and gets it.
    expect(sent.headers()['content-type']).toBe('application/graphql-response+json; charset=utf-8');
    const result = page.locator('.graphiql-response');
    await result.getByText('"Sukorame"').waitFor({ timeout: 30_000 });
    const answer = await textOf('.graphiql-response');
    expect(answer).toContain('"homecarePatients"');
    expect(answer).not.toContain('"errors"');

    await page.screenshot({ path: screenshotPath('explorer.png') });

    expect(browser.refused).toEqual([]);
    // The page, its script and stylesheet, the three Monaco workers, the keys and the operations: all here.
    expect(requested.some((href) => /\/explorer\/assets\/graphql\.worker\.[^/]+\.js$/.test(href))).toBe(true);
    expect(cspMessages).toEqual([]);
  });

  it("fills the dashboard's tab with the dashboard key from the gateway's API_KEYS, and runs it as that role", { timeout: 60_000 }, async () => {
    await page.locator('.graphiql-tab', { hasText: 'DashboardCity' }).click();
    await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
    await page.locator('.graphiql-editor-tool').getByText(TEST_API_KEYS.dashboard).first().waitFor({ timeout: 30_000 });

    const [sent] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && (response.request().postData() ?? '').includes('DashboardCity')),
      page.locator('.graphiql-execute-button').click(),
    ]);
    expect(sent.request().headers()['x-api-key']).toBe(TEST_API_KEYS.dashboard);
    const answer = (await sent.json()) as { data: { kelurahanList: { kecamatan: { name: string } }[] }; errors?: { extensions: { code: string } }[] };
    expect(answer.data.kelurahanList.map((kelurahan) => kelurahan.kecamatan.name)).toEqual(Array(14).fill('Mojoroto'));
    // The agencies not running here answer SUBGRAPH_UNAVAILABLE; none refuses the dashboard role.
    expect(new Set(answer.errors?.map((error) => error.extensions.code))).toEqual(new Set(['SUBGRAPH_UNAVAILABLE']));
    await page.locator('.graphiql-response').getByText('SUBGRAPH_UNAVAILABLE').first().waitFor({ timeout: 30_000 });
    expect(browser.refused).toEqual([]);
  });
});
