import { GatewayError } from '../model/gatewayClient';
import { API_KEY_STORAGE, SETUP_ELEMENT_ID, type DashboardSetup } from '../model/setup';
import { renderCards } from './cards';
import { PillarCharts } from './charts';
import { loadTrend, loadYear, type Trend } from './data';
import { byId, el } from './dom';
import { KelurahanTable } from './table';

/**
 * The dashboard page's script: asks the graph which years it has, shows the chosen year's headline figures,
 * kelurahan table and charts, and lets an officer enter a dashboard API key (kept in this tab's
 * sessionStorage only) to see the figures withheld from the public. `body[data-state]` says whether the
 * page is loading, ready or failed, and `body[data-year]` which year it shows.
 */
const setup = JSON.parse(byId(SETUP_ELEMENT_ID).textContent ?? '{}') as DashboardSetup;
const yearSelect = byId<HTMLSelectElement>('year');
const status = byId('status');
const keyInput = byId<HTMLInputElement>('api-key');
const forgetButton = byId<HTMLButtonElement>('forget-key');
const table = new KelurahanTable(byId<HTMLTableElement>('kelurahan-table'), byId('table-pillar'), byId('group-by-kecamatan'), setup.fields.kelurahan);
const charts = new PillarCharts(byId('charts'), setup.fields.kelurahan);

let trend: Trend | undefined;
/** Each load gets a number; an answer to an older one (the year changed meanwhile) is dropped. */
let generation = 0;

function apiKey(): string | undefined {
  return sessionStorage.getItem(API_KEY_STORAGE) ?? undefined;
}

function showRole(): void {
  const keyed = apiKey() !== undefined;
  const role = byId('role');
  role.textContent = keyed ? 'Viewing with your API key: every figure exact, nothing withheld for a dashboard key.' : 'Viewing as the public: small counts in a kelurahan are withheld.';
  role.classList.toggle('keyed', keyed);
  forgetButton.hidden = !keyed;
}

function setStatus(message: string, state: 'loading' | 'ready' | 'failed'): void {
  status.textContent = message;
  status.classList.toggle('error', state === 'failed');
  document.body.dataset.state = state;
}

function describe(error: unknown): string {
  return error instanceof GatewayError || error instanceof Error ? error.message : String(error);
}

async function showYear(year: number): Promise<void> {
  const mine = ++generation;
  setStatus(`Loading ${year} from the graph…`, 'loading');
  const view = await loadYear(setup, year, apiKey());
  if (mine !== generation || !trend) return;
  byId('headline-year').textContent = `${year}, with the change from ${view.previousYear}`;
  renderCards(byId('cards'), view, trend, setup.fields.city);
  table.show(view);
  charts.show(view, trend);
  document.body.dataset.year = String(year);
  const url = new URL(window.location.href);
  url.searchParams.set('year', String(year));
  history.replaceState(null, '', url);
  setStatus(`Figures for ${year} from the city graph.`, 'ready');
}

async function start(): Promise<void> {
  showRole();
  setStatus('Asking the graph which years it has figures for…', 'loading');
  trend = await loadTrend(setup, apiKey());
  if (trend.years.length === 0) throw new Error('The graph has no year in which every program recorded figures.');
  yearSelect.replaceChildren(...trend.years.map((year) => el('option', { value: year }, [String(year)])));
  const asked = Number(new URL(window.location.href).searchParams.get('year'));
  const year = trend.years.includes(asked) ? asked : trend.years[trend.years.length - 1];
  yearSelect.value = String(year);
  yearSelect.disabled = false;
  await showYear(year);
}

/** Runs a load and shows why it failed; a refused key is forgotten so that the public figures come back. */
async function run(load: () => Promise<void>): Promise<void> {
  try {
    await load();
  } catch (error) {
    if (error instanceof GatewayError && error.failure === 'unauthenticated') {
      sessionStorage.removeItem(API_KEY_STORAGE);
      showRole();
      await run(start);
      if (document.body.dataset.state === 'ready') {
        // The public figures are shown, but the officer must still read why their key did not work.
        setStatus(`${describe(error)} The key was forgotten; these are the public figures.`, 'ready');
        status.classList.add('error');
      }
      document.body.dataset.keyRefused = 'true';
      return;
    }
    setStatus(`The figures could not be loaded: ${describe(error)}`, 'failed');
  }
}

yearSelect.addEventListener('change', () => void run(() => showYear(Number(yearSelect.value))));

byId<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  sessionStorage.setItem(API_KEY_STORAGE, key);
  keyInput.value = '';
  delete document.body.dataset.keyRefused;
  showRole();
  void run(start);
});

forgetButton.addEventListener('click', () => {
  sessionStorage.removeItem(API_KEY_STORAGE);
  showRole();
  void run(start);
});

void run(start);
