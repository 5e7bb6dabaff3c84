import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import { browserBundle } from '../../platform/browserBundle';
import { projectPath } from '../../platform/paths';
import { EXPLORER_EXAMPLES } from './examples';
import { introspectionWithin } from './introspection';

/**
 * The explorer's files, built in memory by esbuild from the installed GraphiQL, React and Monaco packages the
 * first time the explorer is asked for, then kept, in memory and between starts (see browserBundle): the page's
 * script and stylesheet, and Monaco's three workers (the editor's, JSON's for variables and headers, GraphQL's
 * for the operation). Each asset is named
 * by a hash of its content, so a browser may keep it for a year; only the HTML, which names them, is asked
 * for again each time. Building here rather than in `npm run build` lets the explorer work the same from the
 * TypeScript sources (tests, tsx) and from dist/ (`npm start`), and costs a gateway that never serves it
 * nothing.
 */
export const ASSET_PREFIX = '/explorer/assets/';
export const KEYS_PATH = '/explorer/keys.json';

export interface Asset {
  body: string;
  contentType: string;
}

export interface ExplorerAssets {
  html: string;
  /** By file name under ASSET_PREFIX. */
  files: Map<string, Asset>;
}

/** What the page's script reads from the HTML: where to send operations, where its workers are, its tabs. */
export interface ExplorerSetup {
  endpoint: string;
  /** Where the development keys are listed; absent when this gateway hands out none (production). */
  keysUrl?: string;
  workers: { editor: string; json: string; graphql: string };
  examples: typeof EXPLORER_EXAMPLES;
  /** The introspection query to send instead of GraphiQL's, which is deeper than the gateway allows. */
  introspectionQuery: string;
}

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

/** A worker's module from the very Monaco that GraphiQL loads (its @graphiql/react's), wherever npm put it. */
function workerModule(specifier: string): string {
  const fromProject = createRequire(projectPath('package.json'));
  const fromGraphiql = createRequire(fromProject.resolve('graphiql/package.json'));
  return createRequire(fromGraphiql.resolve('@graphiql/react/package.json')).resolve(specifier);
}

/**
 * graphiql/style.css, which the page imports as GraphiQL's documentation says, already holds Monaco's styles;
 * the stylesheets Monaco's own modules import would only repeat them.
 */
const monacoStylesOnce: Plugin = {
  name: 'monaco-styles-once',
  setup(build) {
    build.onLoad({ filter: /[\\/]monaco-editor[\\/].*\.css$/ }, () => ({ contents: '', loader: 'css' }));
  },
};

/**
 * The bundle is the same for every kind of page (only the HTML differs), so a process builds it once: a gateway
 * that serves pages with and without the development keys pays for one build, not two. A failed build is tried
 * again on the next request.
 */
let bundled: Promise<Map<string, string>> | undefined;

function bundle(): Promise<Map<string, string>> {
  if (bundled) return bundled;
  bundled = browserBundle('explorer', {
    entryPoints: [
      { in: projectPath('gateway', 'explorer', 'browser', 'main.jsx'), out: 'explorer' },
      ...Object.entries(WORKERS).map(([name, specifier]) => ({ in: workerModule(specifier), out: `${name}.worker` })),
    ],
    // Nothing is written; esbuild names its outputs under an outdir all the same.
    outdir: projectPath('.explorer-build'),
    entryNames: '[name].[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    // The libraries' licences ask that their notices travel with them: keep the legal comments at the end.
    legalComments: 'eof',
    plugins: [monacoStylesOnce],
    logLevel: 'silent',
  });
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

/** JSON that can sit inside a <script type="application/json"> element: no "</script>" can end it early. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  throw new Error(`The explorer's build made ${name}, of a kind the gateway does not serve (expected .js or .css).`);
}

export interface ExplorerOptions {
  /** Whether the page asks for the development keys. */
  keys: boolean;
  /** The gateway's MAX_QUERY_DEPTH, which the page's introspection must fit. */
  maxDepth: number;
}

export async function buildExplorerAssets(options: ExplorerOptions): Promise<ExplorerAssets> {
  const outputs = await bundle();
  const files = new Map<string, Asset>([...outputs].map(([name, body]) => [name, { body, contentType: contentTypeOf(name) }]));
  const url = (prefix: string, extension: string) => {
    const name = [...files.keys()].find((file) => file.startsWith(`${prefix}.`) && file.endsWith(`.${extension}`));
    if (!name) throw new Error(`The explorer's build made no ${prefix}.*.${extension}; it made ${[...files.keys()].join(', ')}.`);
    return ASSET_PREFIX + name;
  };
  const setup: ExplorerSetup = {
    endpoint: '/graphql',
    ...(options.keys ? { keysUrl: KEYS_PATH } : {}),
    workers: { editor: url('editor.worker', 'js'), json: url('json.worker', 'js'), graphql: url('graphql.worker', 'js') },
    examples: EXPLORER_EXAMPLES,
    introspectionQuery: introspectionWithin(options.maxDepth).query,
  };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kediri City Graph · Explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${url('explorer', 'css')}">
<script type="application/json" id="explorer-setup">${jsonForHtml(setup)}</script>
<script type="module" src="${url('explorer', 'js')}"></script>
</head>
<body>
<div id="explorer">Loading the explorer of the Kediri City Graph…</div>
</body>
</html>
`;
  return { html, files };
}

