import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../gateway/config';
import { startGateway, type RunningGateway } from '../gateway/server';
import { composeSupergraph } from '../schema/composition';
import { postGraphQL, TEST_SECRETS, type GraphQLResult } from '../subgraphs/kit/testing';
import { SUBGRAPHS } from '../subgraphs/registry';
import { parsePrometheusText } from './prometheusText';
import {
  freePort,
  getJson,
  healthUrl,
  startProcess,
  startStore,
  startSubgraphProcess,
  stopAll,
  waitForReady,
  waitUntil,
  type ChildService,
  type StoreProcess,
  type SubgraphProcess,
} from './support/processes';
import { TEST_API_KEYS } from './support/cityGraph';

/**
 * "Nothing hangs, nothing is lost", with real processes: the store and the subgraphs run as children that a
 * test freezes (SIGSTOP: alive, holding its port, answering nothing), thaws (SIGCONT) or kills (SIGKILL),
 * and the gateway runs in the test over a supergraph of the city and health only, so that its /ready speaks
 * of exactly the processes the test controls.
 *
 * The machine these tests run on is shared and busy: latencies are asserted with generous margins, and the
 * error codes and circuit states carry the weight. Each measured time is printed for the record.
 */
const TIMEOUT_MS = 1_000;
const RESET_MS = 3_000;
/** What a busy two-core machine may add to a timeout before the answer is out. */
const MARGIN_MS = 2_500;

const QUERY = '{ kelurahanList { code homecare(year: 2023) { homecareVisits } } }';

let supergraphDir: string;

beforeAll(() => {
  supergraphDir = mkdtempSync(join(tmpdir(), 'kediri-resilience-'));
  writeFileSync(join(supergraphDir, 'supergraph.graphql'), composeSupergraph(SUBGRAPHS.filter((entry) => ['city', 'health'].includes(entry.name))));
});

afterAll(async () => {
  await stopAll();
  rmSync(supergraphDir, { recursive: true, force: true });
});

function note(line: string): void {
  process.stdout.write(`[resilience] ${line}\n`);
}

/** The gateway's settings: the two subgraphs at `urls`, a short timeout and reset, and no response cache. */
function gatewayEnv(urls: { city: string; health: string }): NodeJS.ProcessEnv {
  return {
    PORT: '0',
    IDENTITY_SECRET: TEST_SECRETS.identitySecret,
    API_KEYS: `${TEST_API_KEYS.dashboard}=dashboard`,
    SUPERGRAPH_PATH: join(supergraphDir, 'supergraph.graphql'),
    SUBGRAPH_URL_CITY: urls.city,
    SUBGRAPH_URL_HEALTH: urls.health,
    SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
    BREAKER_MINIMUM_REQUESTS: '3',
    BREAKER_RESET_MS: String(RESET_MS),
    // Every request reaches the subgraphs: nothing is answered from the cache.
    GATEWAY_RESPONSE_CACHE_TTL_MS: '0',
  };
}

async function startTestGateway(urls: { city: string; health: string }): Promise<RunningGateway> {
  return startGateway(readGatewayConfig(gatewayEnv(urls)), { log: () => {} });
}

interface Timed {
  result: GraphQLResult;
  ms: number;
}

async function ask(gateway: { url: string }): Promise<Timed> {
  const started = Date.now();
  const result = await postGraphQL(gateway.url, QUERY, {}, { 'x-api-key': TEST_API_KEYS.dashboard });
  return { result, ms: Date.now() - started };
}

/** A complete answer: the 46 kelurahan from the city, each with health's figures, and no error. */
function isComplete({ result }: Timed): boolean {
  const list = result.data?.kelurahanList;
  return result.status === 200 && !result.errors && Array.isArray(list) && list.length === 46 && list.every((k: any) => k.homecare !== null);
}

function errorOf({ result }: Timed, serviceName: string) {
  return result.errors?.find((error) => error.extensions?.serviceName === serviceName);
}

async function circuitOf(gateway: RunningGateway, subgraph: string): Promise<'closed' | 'half-open' | 'open'> {
  const response = await fetch(gateway.url.replace(/\/graphql$/, '/metrics'));
  const sample = parsePrometheusText(await response.text()).find(
    (s) => s.name === 'kediri_gateway_subgraph_circuit_state' && s.labels.subgraph === subgraph,
  );
  return (['closed', 'half-open', 'open'] as const)[sample!.value];
}

function readyUrl(gateway: { url: string }): string {
  return gateway.url.replace(/\/graphql$/, '/ready');
}

// The two groups below run side by side (each runs its own tests in order): they start their own processes on ports
// of their own, and most of their time is spent waiting out timeouts, which need no core.
describe.concurrent('processes that freeze, stop or come late', () => {
  describe('one store, the city and health as processes, the gateway in the test', () => {
    let store: StoreProcess;
    let city: SubgraphProcess;
    let health: SubgraphProcess;
    let gateway: RunningGateway;

    beforeAll(async () => {
      store = await startStore(0);
      [city, health] = await Promise.all([
        startSubgraphProcess('city', { port: 0, mongoUri: store.uri }),
        startSubgraphProcess('health', { port: 0, mongoUri: store.uri }),
      ]);
      await Promise.all([waitForReady(city), waitForReady(health)]);
      gateway = await startTestGateway({ city: city.url, health: health.url });
      await waitUntil('the gateway to be ready', async () => (await getJson(readyUrl(gateway), 5_000)).status === 200, { timeoutMs: 20_000 });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop();
      await Promise.all([store, city, health].map((child) => child?.stop()));
    });

    it.sequential('a frozen subgraph costs a caller the timeout, the city still answers, and the circuit opens and closes', async () => {
      expect(isComplete(await ask(gateway))).toBe(true);

      health.signal('SIGSTOP');
      try {
        const first = await ask(gateway);
        note(`frozen health subgraph: answered in ${first.ms} ms (timeout ${TIMEOUT_MS} ms)`);
        expect(first.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
        expect(first.result.status).toBe(200);
        expect(first.result.data.kelurahanList).toHaveLength(46);
        expect(first.result.data.kelurahanList.every((k: any) => typeof k.code === 'string' && k.homecare === null)).toBe(true);
        expect(errorOf(first, 'health')?.extensions).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'health', timeoutMs: TIMEOUT_MS });

        // Callers asking the same at the same moment share one fetch to health: each is still told of a
        // timeout within its own time.
        const together = await Promise.all([ask(gateway), ask(gateway), ask(gateway)]);
        note(`three identical requests at once: ${together.map((a) => `${a.ms} ms ${errorOf(a, 'health')?.extensions?.code}`).join(', ')}`);
        for (const answer of together) {
          expect(answer.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
          expect(answer.result.data.kelurahanList).toHaveLength(46);
          expect(errorOf(answer, 'health')?.extensions).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'health' });
        }

        // A few more timeouts open the circuit; from then on a caller is told at once.
        const timeouts = [first.ms, ...together.map((answer) => answer.ms)];
        let failedFast: Timed | undefined;
        for (let i = 0; i < 6 && !failedFast; i++) {
          const answer = await ask(gateway);
          if (errorOf(answer, 'health')?.extensions?.circuit === 'open') failedFast = answer;
          else timeouts.push(answer.ms);
        }
        note(`timeouts before the circuit opened: ${timeouts.join(', ')} ms; then failed fast in ${failedFast?.ms} ms`);
        expect(failedFast, 'the circuit opened within a few requests').toBeDefined();
        expect(errorOf(failedFast!, 'health')?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'health', circuit: 'open' });
        expect(failedFast!.result.data.kelurahanList).toHaveLength(46);
        expect(failedFast!.ms).toBeLessThan(TIMEOUT_MS);
        expect(await circuitOf(gateway, 'health')).toBe('open');

        const ready = await getJson(readyUrl(gateway), 10_000);
        note(`/ready with health frozen and its circuit open: ${ready.status} in ${ready.ms} ms, ${JSON.stringify(ready.body)}`);
        expect(ready.status).toBe(503);
        expect(ready.body.subgraphs).toMatchObject({ city: 'up', health: 'open-circuit' });

        // After the reset time one caller's request is the probe: still frozen, it costs that caller the
        // timeout and opens the circuit again.
        await waitUntil('the circuit to let a probe through', async () => (await circuitOf(gateway, 'health')) === 'half-open', { timeoutMs: RESET_MS + 5_000 });
        const probe = await ask(gateway);
        expect(errorOf(probe, 'health')?.extensions?.code).toBe('SUBGRAPH_TIMEOUT');
        expect(await circuitOf(gateway, 'health')).toBe('open');
        expect(errorOf(await ask(gateway), 'health')?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', circuit: 'open' });
      } finally {
        health.signal('SIGCONT');
      }
      const thawed = Date.now();
      const recovered = await waitUntil('complete answers after SIGCONT', async () => isComplete(await ask(gateway)), { timeoutMs: RESET_MS + 15_000, intervalMs: 200 });
      const recoveryMs = Date.now() - thawed;
      note(`complete answers ${recoveryMs} ms after SIGCONT (reset ${RESET_MS} ms)`);
      expect(recovered).toBe(true);
      expect(recoveryMs).toBeLessThan(RESET_MS + MARGIN_MS * 2);
      expect(await circuitOf(gateway, 'health')).toBe('closed');
      await waitUntil('the gateway to be ready again', async () => (await getJson(readyUrl(gateway), 5_000)).status === 200, { timeoutMs: 10_000 });
    }, 60_000);

    it.sequential('a frozen store costs callers the timeout, /health and /ready say so within seconds, and SIGCONT restores all', async () => {
      await waitUntil('a complete answer first', async () => isComplete(await ask(gateway)), { timeoutMs: 10_000 });

      store.signal('SIGSTOP');
      try {
        const answer = await ask(gateway);
        note(`frozen store: the gateway answered in ${answer.ms} ms (timeout ${TIMEOUT_MS} ms)`);
        expect(answer.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
        // The city's list of kelurahan is reference data in memory: it arrives; health's figures are in the store.
        expect(answer.result.data.kelurahanList).toHaveLength(46);
        expect(errorOf(answer, 'health')?.extensions).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'health' });

        const subgraphHealth = await getJson(healthUrl(health.url), 10_000);
        note(`frozen store: health's /health answered ${subgraphHealth.status} in ${subgraphHealth.ms} ms`);
        expect(subgraphHealth.status).toBe(503);
        expect(subgraphHealth.body).toMatchObject({ status: 'database unavailable', subgraph: 'health' });
        expect(subgraphHealth.ms).toBeLessThan(1_000 + MARGIN_MS);

        const ready = await getJson(readyUrl(gateway), 10_000);
        note(`frozen store: /ready ${ready.status} in ${ready.ms} ms, ${JSON.stringify(ready.body?.subgraphs)}`);
        expect(ready.status).toBe(503);
        // Both subgraphs ping the same store; health may also have had its circuit opened by then.
        expect(['down', 'open-circuit']).toContain(ready.body.subgraphs.health);
        expect(ready.body.subgraphs.city).toBe('down');
      } finally {
        store.signal('SIGCONT');
      }
      const thawed = Date.now();
      await waitUntil('the gateway to be ready after SIGCONT', async () => (await getJson(readyUrl(gateway), 5_000)).status === 200, { timeoutMs: RESET_MS + 15_000 });
      const readyMs = Date.now() - thawed;
      await waitUntil('complete answers after SIGCONT', async () => isComplete(await ask(gateway)), { timeoutMs: RESET_MS + 15_000 });
      note(`store thawed: /ready 200 after ${readyMs} ms, complete answers after ${Date.now() - thawed} ms`);
    }, 60_000);

    it.sequential('a subgraph killed and restarted on its port is served again as soon as it is ready', async () => {
      await waitUntil('a complete answer first', async () => isComplete(await ask(gateway)), { timeoutMs: RESET_MS + 10_000 });
      // Callers keep asking the whole time, as they would.
      const answers: { at: number; complete: boolean; city: boolean; code?: string; circuit?: string; ms: number }[] = [];
      let asking = true;
      const traffic = (async () => {
        while (asking) {
          const started = Date.now();
          try {
            const answer = await ask(gateway);
            const error = errorOf(answer, 'health');
            const city = answer.result.data?.kelurahanList?.length === 46;
            answers.push({ at: Date.now(), complete: isComplete(answer), city, code: error?.extensions?.code, circuit: error?.extensions?.circuit, ms: answer.ms });
          } catch (error) {
            // The gateway itself failing to answer is an outcome too, and the assertions below will see it.
            answers.push({ at: Date.now(), complete: false, city: false, code: `no answer: ${(error as Error).message}`, ms: Date.now() - started });
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      try {
        const port = health.port;
        const killed = Date.now();
        await health.kill();
        await waitUntil('the circuit to open', async () => (await circuitOf(gateway, 'health')) === 'open', { timeoutMs: 10_000 });
        const opened = Date.now();
        health = await startSubgraphProcess('health', { port, mongoUri: store.uri });
        const listening = Date.now();
        await waitForReady(health);
        const ready = Date.now();
        await waitUntil('complete answers from the restarted subgraph', () => answers.some((a) => a.at > ready && a.complete), { timeoutMs: RESET_MS + 15_000, intervalMs: 50 });
        const complete = answers.find((a) => a.at > ready && a.complete)!.at;
        note(
          `killed health: circuit open after ${opened - killed} ms; restarted process listening after ${listening - opened} ms, ready after ${ready - opened} ms; ` +
            `complete answers ${complete - ready} ms after it was ready (${complete - killed} ms after the kill)`,
        );
        note(`answers while it was away: ${summarize(answers)}`);
        expect(complete - ready).toBeLessThan(RESET_MS + MARGIN_MS);
        // Every caller got the city's part, and none waited on the dead subgraph: a refused connection fails at once.
        expect(answers.filter((a) => !a.city).map((a) => a.code)).toEqual([]);
        expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      } finally {
        asking = false;
        await traffic;
      }
    }, 60_000);
  });

  /** The answers, run-length encoded by outcome: "complete x3, SUBGRAPH_UNAVAILABLE x2, ...". */
  function summarize(answers: { complete: boolean; code?: string; circuit?: string }[]): string {
    const runs: [string, number][] = [];
    for (const answer of answers) {
      const label = answer.complete ? 'complete' : `${answer.code}${answer.circuit ? ` (circuit ${answer.circuit})` : ''}`;
      if (runs.at(-1)?.[0] === label) runs.at(-1)![1] += 1;
      else runs.push([label, 1]);
    }
    return runs.map(([label, n]) => `${label} x${n}`).join(', ');
  }

  describe('a store that is late at start-up', () => {
    /**
     * From when the subgraphs listen: nothing listens at the store's port until ABSENT_MS, then it is there but
     * frozen until LATE_MS, long enough for a subgraph's attempts to time out against it (2 s each) twice.
     */
    const ABSENT_MS = 3_000;
    const LATE_MS = 8_000;
    let storePort: number;
    let city: SubgraphProcess;
    let health: SubgraphProcess;
    let gateway: ChildService & { url: string };
    let lateStore: StoreProcess | undefined;
    let listening: number;

    beforeAll(async () => {
      // The ports are picked first, so that each process is told where the others will be before they are there.
      const [storeAt, cityAt, healthAt] = [await freePort(), await freePort(), await freePort()];
      storePort = storeAt;
      const mongoUri = `mongodb://127.0.0.1:${storePort}/`;
      const urls = { city: `http://127.0.0.1:${cityAt}/graphql`, health: `http://127.0.0.1:${healthAt}/graphql` };
      // The gateway is a process of its own here too: what is proved is that no process exits.
      const gatewayProcess = startProcess('gateway', 'gateway/main.ts', [], { ...gatewayEnv(urls), LOG_FORMAT: 'json' });
      [city, health] = await Promise.all([
        startSubgraphProcess('city', { port: cityAt, mongoUri }),
        startSubgraphProcess('health', { port: healthAt, mongoUri }),
      ]);
      const [, url] = await gatewayProcess.waitForLine(/"msg":"ready at (\S+?)"/, 45_000);
      gateway = Object.assign(gatewayProcess, { url });
      listening = Date.now();
    }, 120_000);

    afterAll(async () => {
      await Promise.all([gateway, city, health, lateStore].map((child) => child?.stop()));
    });

    it.sequential('delays readiness, lets nothing exit, and readiness follows once the store answers', async () => {
      const noneExited = () => expect([gateway, city, health].filter((child) => child.exit).map((child) => `${child.name} ${JSON.stringify(child.exit)}`)).toEqual([]);
      /** Watches until `until` (ms after the subgraphs listen): no process exits, and health still says it is starting. */
      const watchUntil = async (until: number) => {
        while (Date.now() - listening < until) {
          noneExited();
          const subgraphHealth = await getJson(healthUrl(health.url), 5_000);
          expect(subgraphHealth.status).toBe(503);
          expect(subgraphHealth.body).toMatchObject({ status: 'starting', subgraph: 'health' });
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        noneExited();
      };

      // Nothing listens at the store's port: the subgraphs are alive, say they are starting, and so does /ready.
      const notReady = await getJson(readyUrl(gateway), 10_000);
      note(`store absent: /ready ${notReady.status}, ${JSON.stringify(notReady.body)}`);
      expect(notReady.status).toBe(503);
      expect(notReady.body.subgraphs).toEqual({ city: 'down', health: 'down' });
      expect(notReady.body.reason).toMatch(/city \(down\), health \(down\)/);
      // A caller is told at once; nothing waits on the store.
      const early = await ask(gateway);
      note(`store absent: a query answered in ${early.ms} ms with ${JSON.stringify(early.result.errors?.map((e) => e.extensions?.code))}`);
      expect(early.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      // The city is starting too, so there is no list of kelurahan to ask health about.
      expect(errorOf(early, 'city')?.extensions?.code).toBe('SERVICE_STARTING');
      await watchUntil(ABSENT_MS);

      // Then the store is there but frozen: it accepts connections and answers nothing, the harder case.
      const store = (lateStore = await startStore(storePort));
      store.signal('SIGSTOP');
      const storeAt = Date.now() - listening;
      await watchUntil(LATE_MS);
      expect((await getJson(readyUrl(gateway), 10_000)).status).toBe(503);

      store.signal('SIGCONT');
      const thawed = Date.now();
      await Promise.all([waitForReady(health, 30_000), waitForReady(city, 30_000)]);
      const subgraphsReady = Date.now() - thawed;
      await waitUntil('the gateway to be ready', async () => (await getJson(readyUrl(gateway), 5_000)).status === 200, { timeoutMs: RESET_MS + 20_000 });
      const gatewayReady = Date.now() - thawed;
      await waitUntil('a complete answer', async () => isComplete(await ask(gateway)), { timeoutMs: RESET_MS + 10_000 });
      const answered = Date.now() - thawed;
      const retries = health.output.filter((line) => line.includes('not reachable yet')).length;
      note(
        `late store: there (frozen) ${storeAt} ms after the subgraphs listened, thawed after ${thawed - listening} ms; health had retried ${retries} times; ` +
          `subgraphs ready ${subgraphsReady} ms after SIGCONT, /ready 200 after ${gatewayReady} ms, complete answers after ${answered} ms`,
      );
      noneExited();
      expect(retries).toBeGreaterThan(1);
      expect(subgraphsReady).toBeLessThan(15_000);
    }, 60_000);
  });
});
