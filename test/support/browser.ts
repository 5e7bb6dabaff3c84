import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { describe, it } from 'vitest';
import { projectPath } from '../../platform/paths';

/**
 * Headless Chromium for the pages' tests (Debian's `chromium`, driven by playwright-core), on a machine cut off
 * from everything but itself: a request to any other host is noted and refused, as on a city intranet with
 * no internet, so a page that needs a CDN fails its test.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A describe block that runs in the browser. Without Chromium it is skipped on a developer's machine with the
 * command that installs it, and fails in CI (CI set), where .ci/run installs it: a browser test must never
 * pass by not running.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('has Chromium to run in', () => {
        throw new Error(`${CHROMIUM} is absent; install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${CHROMIUM} is absent; apt-get install -y chromium)`, body);
  }
}

export interface LocalBrowser {
  context: BrowserContext;
  page: Page;
  /** Every request the pages sent to another host, refused. */
  refused: string[];
  close(): Promise<void>;
}

/** Opens Chromium with a fresh profile; `onRequest` sees every request to this machine before it is sent. */
export async function openLocalBrowser(options: { viewport: { width: number; height: number }; onRequest?: (request: Request) => void }): Promise<LocalBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'kediri-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: options.viewport });
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || LOCAL_HOSTS.has(url.hostname)) {
      options.onRequest?.(route.request());
      return route.continue();
    }
    refused.push(url.href);
    return route.abort('addressunreachable');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    refused,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where a test saves a screenshot: docs/ (the README's pictures) when UPDATE_SCREENSHOTS=1, a temporary folder
 * otherwise, so that running the tests leaves the checkout as it was.
 */
export function screenshotPath(file: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? projectPath('docs') : join(tmpdir(), 'kediri-screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}
