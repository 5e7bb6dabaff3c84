import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinition } from '../subgraphs/definitions';
import { createRandom } from '../subgraphs/kit/random';
import type { RandomWrite } from '../subgraphs/kit/testing';
import { SUBGRAPHS } from '../subgraphs/registry';
import { startCityGraph, type CityGraph } from './support/cityGraph';

/**
 * The read model across the whole graph: hundreds of random valid writes of every agency, made through the
 * gateway as each agency's staff, then every agency's stored figures compared with a full re-aggregation
 * of its raw records, figure by figure, and the dashboard's answers (served from the gateway's cache before
 * the writes) compared with the raw figures after them.
 */
let graph: CityGraph;

beforeAll(async () => {
  graph = await startCityGraph();
}, 300_000);

afterAll(async () => {
  await graph?.stop();
});

const AGENCIES = SUBGRAPHS.filter((entry) => entry.pillar).map((entry) => entry.name);

const CITY_SCORECARD = `query($year: Int!) { cityScorecard(year: $year) {
  governance { taxReportsFiled taxRevenue activeTaxpayers }
  living { homecarePatients homecareVisits }
  environment { members deposits tonnesRecovered }
  society { participants enrolments classes }
  economy { loansDisbursed outstandingLoans }
  branding { prodamasProposals approvedAmount realizedAmount }
} }`;

describe('hundreds of random writes across the agencies', () => {
  it('leave every read model equal to a full re-aggregation, and the dashboard answering the new figures', async () => {
    const writers = new Map<string, RandomWrite>();
    for (const name of AGENCIES) {
      const module = (await import(`../subgraphs/${name}/sampleWrites.ts`)) as { randomWrites: RandomWrite };
      writers.set(name, module.randomWrites);
    }
    const year = 2024;
    const before = await graph.query(CITY_SCORECARD, { year }, 'dashboard');
    expect(before.errors).toBeUndefined();

    const random = createRandom('graph-read-model');
    const written = new Map<string, number>(AGENCIES.map((name) => [name, 0]));
    for (let i = 0; i < 300; i += 1) {
      const name = random.pick(AGENCIES);
      const target = {
        query: (query: string, variables?: Record<string, unknown>) => graph.query(query, variables, `agency:${name}`),
        models: graph.subgraphs[name].models,
      };
      await writers.get(name)!(random, target);
      written.set(name, written.get(name)! + 1);
    }
    for (const [name, count] of written) expect(count, name).toBeGreaterThan(25);

    for (const name of AGENCIES) {
      const pillar = (await loadDefinition(name)).pillar!;
      expect(await pillar.check(graph.subgraphs[name].models as never), name).toEqual([]);
    }

    // The gateway dropped its cached answer when the agencies' data versions moved: what it answers now is
    // what the raw records give.
    const after = await graph.query(CITY_SCORECARD, { year }, 'dashboard');
    expect(after.errors).toBeUndefined();
    const raw = async (name: string) => {
      const pillar = (await loadDefinition(name)).pillar!;
      return (await pillar.definition.aggregate(graph.subgraphs[name].models, year, null)).get('city') as Record<string, number>;
    };
    expect(after.data.cityScorecard.governance.taxReportsFiled).toBe((await raw('tax')).reportsFiled);
    expect(after.data.cityScorecard.living.homecareVisits).toBe((await raw('health')).homecareVisits);
    expect(after.data.cityScorecard.economy.loansDisbursed).toBe((await raw('economy')).loansDisbursed);
    expect(after.data.cityScorecard.branding.prodamasProposals).toBe((await raw('branding')).prodamasProposals);
  }, 900_000);
});
