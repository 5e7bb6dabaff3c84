// The explorer in the browser: GraphiQL over this gateway's /graphql, with everything it loads (this script,
// its stylesheet, Monaco's workers) served by the gateway itself, so it works on an intranet with no internet.
// Plain JavaScript with JSX, bundled by esbuild (see ../assets.ts); the end-to-end test drives it in Chromium.
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './page.css';

/** @type {import('../assets').ExplorerSetup} */
const setup = JSON.parse(document.getElementById('explorer-setup').textContent);

// Monaco runs its language services in workers: start them from the gateway's own built files.
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    return new Worker(setup.workers[label] ?? setup.workers.editor, { type: 'module', name: `monaco-${label}` });
  },
};

/**
 * Sends an operation as GraphQL-over-HTTP asks: JSON in, the GraphQL response media type preferred back.
 * GraphiQL's own introspection query nests deeper than the gateway allows: the gateway's page gives one that fits.
 */
async function fetcher(params, options = {}) {
  const body = params.operationName === 'IntrospectionQuery' ? { ...params, query: setup.introspectionQuery } : params;
  const response = await fetch(setup.endpoint, {
    method: 'POST',
    headers: { ...options.headers, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `Expected a GraphQL answer in JSON, received HTTP ${response.status}: ${text.slice(0, 300)}` }] };
  }
}

/** The development key of each role, as the gateway's API_KEYS lists them; none where it hands out none. */
async function developmentKeys() {
  if (!setup.keysUrl) return {};
  try {
    const response = await fetch(setup.keysUrl, { headers: { accept: 'application/json' } });
    if (!response.ok) return {};
    const listed = await response.json();
    return Object.fromEntries(listed.roles.map((entry) => [entry.role, entry.key]));
  } catch {
    return {};
  }
}

function tabsOf(keys) {
  return setup.examples.map((example) => ({
    query: example.query,
    variables: example.variables ? JSON.stringify(example.variables, null, 2) : '',
    headers: example.role === 'public' ? '' : JSON.stringify({ 'x-api-key': keys[example.role] ?? `<an API key of role ${example.role}>` }, null, 2),
  }));
}

const keys = await developmentKeys();
const handedOut = Object.keys(keys).length > 0;
createRoot(document.getElementById('explorer')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={tabsOf(keys)}
    defaultHeaders=""
    defaultEditorToolsVisibility="headers"
    // Development keys may stay in the browser's storage; a key typed in where none are handed out may not.
    shouldPersistHeaders={handedOut}
    forcedTheme="light"
  >
    <GraphiQL.Logo>Kediri City Graph</GraphiQL.Logo>
  </GraphiQL>,
);
