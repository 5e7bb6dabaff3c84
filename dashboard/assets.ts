import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { browserBundle } from '../platform/browserBundle';
import { projectPath } from '../platform/paths';
import { operationsByName, type PersistedManifest } from './model/gatewayClient';
import { pillarFieldsOf } from './model/operationFields';
import type { DashboardSetup } from './model/setup';

/**
 * The dashboard's files, built in memory from the project's sources the first time the page is asked for:
 * the browser code and Chart.js bundled by esbuild into one script (kept between starts while its sources are
 * unchanged, see browserBundle), the stylesheet and the icon. Each asset
 * is named by a hash of its content, so browsers may keep it for a year and a changed build is a new name;
 * only the HTML, which names them, is asked for again each time. Building here rather than in `npm run
 * build` lets the page work the same from the TypeScript sources (tests, tsx) and from dist/ (`npm start`).
 */
export interface Asset {
  body: string;
  contentType: string;
}

export interface DashboardAssets {
  html: string;
  /** By file name under /dashboard/assets/. */
  files: Map<string, Asset>;
}

export const ASSET_PREFIX = '/dashboard/assets/';

function hashed(base: string, extension: string, body: string): string {
  return `${base}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${extension}`;
}

/** The setup the page's script reads: the gateway's own persisted operations and the figures they ask. */
export function dashboardSetup(manifestPath: string): DashboardSetup {
  let manifest: PersistedManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PersistedManifest;
  } catch (error) {
    throw new Error(`The dashboard needs the persisted operations manifest ${manifestPath}, which could not be read (${(error as Error).message}): run \`npm run compose\`.`);
  }
  const { DashboardYear, CityScorecard } = operationsByName(manifest, ['DashboardYear', 'CityScorecard']);
  return {
    endpoint: '/graphql',
    operations: { DashboardYear: { name: DashboardYear.name, id: DashboardYear.id }, CityScorecard: { name: CityScorecard.name, id: CityScorecard.id } },
    fields: {
      city: pillarFieldsOf(DashboardYear.body, ['city']),
      kelurahan: pillarFieldsOf(DashboardYear.body, ['kelurahanList', 'scorecard']),
      trend: pillarFieldsOf(CityScorecard.body, ['cityScorecard']),
    },
  };
}

/** JSON that can sit inside a <script type="application/json"> element: no "</script>" can end it early. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

async function bundleScript(): Promise<string> {
  const files = await browserBundle('dashboard', {
    entryPoints: [projectPath('dashboard', 'browser', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    // Chart.js's licence asks that its notice travel with it: keep the libraries' legal comments at the end.
    legalComments: 'eof',
    logLevel: 'silent',
  });
  return [...files.values()][0];
}

export async function buildDashboardAssets(manifestPath: string): Promise<DashboardAssets> {
  const setup = dashboardSetup(manifestPath);
  const script = await bundleScript();
  const style = readFileSync(projectPath('dashboard', 'static', 'dashboard.css'), 'utf8');
  const icon = readFileSync(projectPath('dashboard', 'static', 'favicon.svg'), 'utf8');
  const files = new Map<string, Asset>([
    [hashed('dashboard', 'js', script), { body: script, contentType: 'text/javascript; charset=utf-8' }],
    [hashed('dashboard', 'css', style), { body: style, contentType: 'text/css; charset=utf-8' }],
    [hashed('icon', 'svg', icon), { body: icon, contentType: 'image/svg+xml' }],
  ]);
  const url = (extension: string) => ASSET_PREFIX + [...files.keys()].find((name) => name.endsWith(`.${extension}`))!;
  const template = readFileSync(projectPath('dashboard', 'static', 'index.html'), 'utf8');
  const html = template
    .replace('{{script}}', url('js'))
    .replace('{{style}}', url('css'))
    .replace('{{icon}}', url('svg'))
    .replace('{{setup}}', jsonForHtml(setup));
  return { html, files };
}
