import { Types, type Model } from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Identity } from '../../platform/identity';
import { isoDay, todayInKediri } from '../kit/calendar';
import { createRandom } from '../kit/random';
import { CITY, figuresKey } from '../kit/readModel';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { stagesOf, startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { branding } from './index';
import { createBrandingLoaders, type BrandingContext } from './loaders';
import type { BrandingModels, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import { disburseProposal } from './mutations/proposals';
import { prodamas, type BrandingFigures } from './pillar';
import { proposalListFilter } from './resolvers';
import { APPROVED_STATUSES, type ProposalStatus } from './rules';
import { randomWrites } from './sampleWrites';

/**
 * The branding subgraph over real HTTP against the embedded store, seeded once with the full sample data
 * (2021–2024). Describe blocks run in order; the ones that write touch budgets they pick for themselves and
 * compute every expectation from the records as they are at that moment.
 */
let graph: TestSubgraph<BrandingModels>;

beforeAll(async () => {
  graph = await startTestSubgraph(branding, { seed: true });
}, 240_000);

afterAll(async () => {
  await graph?.stop();
});

const STAFF = 'agency:branding';
const KELURAHAN_CODE = KELURAHAN[0].code;

/** Today's date in Kediri (WIB), the day every date rule counts from. */
function today(): string {
  return isoDay(todayInKediri());
}

function expectError(result: GraphQLResult, code: string, field?: string) {
  expect(result.errors, JSON.stringify(result.data)).toBeDefined();
  const error = result.errors![0];
  expect(error.extensions?.code).toBe(code);
  if (field !== undefined) expect(error.extensions?.field).toBe(field);
  return error;
}

async function commandsDuring(work: () => Promise<unknown>): Promise<number> {
  const total = (counters: Record<string, number>) => counters.query + counters.command + counters.getmore;
  const before = await graph.opcounters();
  await work();
  const after = await graph.opcounters();
  // Reading the counters is itself one command; it is taken off.
  return total(after) - total(before) - 1;
}

/** The branding indicators computed in plain JavaScript from the raw documents, independently of the aggregation. */
async function expectedIndicators(filter: { year: number; kelurahanCode?: string }) {
  const [budgets, proposals, realizations] = await Promise.all([
    graph.models.RtBudget.find(filter).lean<RtBudgetDoc[]>(),
    graph.models.Proposal.find(filter).lean<ProposalDoc[]>(),
    graph.models.Realization.find(filter).lean<RealizationDoc[]>(),
  ]);
  let budget = 0;
  for (const doc of budgets) budget += doc.ceiling;
  let approved = 0;
  for (const doc of proposals) if (APPROVED_STATUSES.includes(doc.status as ProposalStatus)) approved += doc.amount;
  let realized = 0;
  for (const doc of realizations) realized += doc.amountSpent;
  return {
    prodamasBudget: budget,
    prodamasProposals: proposals.length,
    realizationRate: approved === 0 ? 0 : Math.round((realized / approved) * 10_000) / 10_000,
    rtBudgets: budgets.length,
    approvedAmount: approved,
    realizedAmount: realized,
  };
}

const INDICATOR_FIELDS = 'prodamasBudget prodamasProposals realizationRate rtBudgets approvedAmount realizedAmount';

describe('sample data', () => {
  it('holds one budget per RT per year for 2021–2024 and 5,000 to 10,000 activity lines a year', async () => {
    for (const year of [2021, 2022, 2023, 2024]) {
      expect(await graph.models.RtBudget.countDocuments({ year })).toBe(1478);
      const lines = await graph.models.Proposal.countDocuments({ year });
      expect(lines).toBeGreaterThanOrEqual(5_000);
      expect(lines).toBeLessThanOrEqual(10_000);
    }
  });

  it('passes the models\' own validation, which the fast bulk insert does not run', async () => {
    const { RtBudget, Proposal, Realization, ProdamasRole } = graph.models;
    for (const model of [RtBudget, Proposal, Realization, ProdamasRole] as Model<any>[]) {
      const docs = await model.find({ year: { $in: [2021, 2024] } }).limit(200).lean();
      expect(docs).toHaveLength(200);
      for (const doc of docs) expect(new model(doc).validateSync()).toBeUndefined();
    }
  });

  it('respects every cap and ceiling with the approved proposals of every RT, under both cap tables', async () => {
    const years = { $in: [2021, 2024] };
    const [budgets, proposals] = await Promise.all([
      graph.models.RtBudget.find({ year: years }).lean<RtBudgetDoc[]>(),
      graph.models.Proposal.find({ year: years, status: { $in: APPROVED_STATUSES } }).lean<ProposalDoc[]>(),
    ]);
    const caps = (year: number) =>
      year >= 2024
        ? { infrastructure: 0.4, health: 0.4, social: 0.2, economy: 0.2 }
        : { infrastructure: 0.6, health: 0.2, social: 0.2, economy: 0.2 };
    const used = new Map<string, Record<string, number>>();
    for (const proposal of proposals) {
      const entry = used.get(String(proposal.budgetId)) ?? { total: 0 };
      entry.total += proposal.amount;
      entry[proposal.field] = (entry[proposal.field] ?? 0) + proposal.amount;
      used.set(String(proposal.budgetId), entry);
    }
    for (const budget of budgets) {
      const entry = used.get(String(budget._id)) ?? { total: 0 };
      expect(entry.total).toBeLessThanOrEqual(budget.ceiling);
      for (const [field, share] of Object.entries(caps(budget.year))) {
        expect(entry[field] ?? 0).toBeLessThanOrEqual(share * budget.ceiling);
      }
      // The approval counters on the budget agree with the proposals they mirror.
      expect(budget.approvedTotal).toBe(entry.total);
    }
  });
});

describe('public queries over proposals and budgets', () => {
  const LIST = `query($k:String,$y:Int,$f:ProdamasField,$s:ProdamasProposalStatus,$first:Int,$after:String){
    prodamasProposals(kelurahanCode:$k,year:$y,field:$f,status:$s,first:$first,after:$after){
      totalCount pageInfo{hasNextPage endCursor}
      nodes{ id kelurahanCode year field status amount realization{ amountSpent } budget{ rt ceiling } }
    }
  }`;

  it('filters by kelurahan, year, field and status, counting what the database holds', async () => {
    const result = await graph.query(LIST, { k: KELURAHAN_CODE, y: 2023, f: 'HEALTH', s: 'COMPLETED', first: 100 });
    expect(result.errors).toBeUndefined();
    const page = result.data.prodamasProposals;
    const raw = await graph.models.Proposal.find({ kelurahanCode: KELURAHAN_CODE, year: 2023 }).lean<ProposalDoc[]>();
    const expected = raw.filter((p) => p.field === 'health' && p.status === 'completed');
    expect(expected.length).toBeGreaterThan(0);
    expect(page.totalCount).toBe(expected.length);
    for (const node of page.nodes) {
      expect(node).toMatchObject({ kelurahanCode: KELURAHAN_CODE, year: 2023, field: 'HEALTH', status: 'COMPLETED' });
      expect(node.realization.amountSpent).toBeLessThanOrEqual(node.amount);
      expect(node.budget.ceiling).toBe(100_000_000);
    }
  });

  it('pages with cursors without gaps or repeats', async () => {
    const first = await graph.query(LIST, { k: KELURAHAN_CODE, y: 2024, first: 7 });
    const second = await graph.query(LIST, { k: KELURAHAN_CODE, y: 2024, first: 7, after: first.data.prodamasProposals.pageInfo.endCursor });
    const all = await graph.query(LIST, { k: KELURAHAN_CODE, y: 2024, first: 14 });
    expect(first.data.prodamasProposals.pageInfo.hasNextPage).toBe(true);
    const ids = [...first.data.prodamasProposals.nodes, ...second.data.prodamasProposals.nodes].map((n: { id: string }) => n.id);
    expect(ids).toEqual(all.data.prodamasProposals.nodes.map((n: { id: string }) => n.id));
    expect(new Set(ids).size).toBe(14);
  });

  it('refuses a page larger than 100, an unknown kelurahan and a bad cursor, naming the argument', async () => {
    expectError(await graph.query(LIST, { first: 101 }), 'BAD_USER_INPUT', 'first');
    expectError(await graph.query(LIST, { k: '35.71.09.9999' }), 'BAD_USER_INPUT', 'kelurahanCode');
    expectError(await graph.query(LIST, { after: 'not-a-cursor' }), 'BAD_USER_INPUT', 'after');
    expectError(await graph.query(LIST, { y: 1999 }), 'BAD_USER_INPUT', 'year');
  });

  it("answers an RT's budget with the 2024 caps and what its proposals have approved", async () => {
    const result = await graph.query(
      `{ rtBudget(kelurahanCode:"${KELURAHAN_CODE}", rt:1, year:2024){ rt year ceiling approvedAmount remainingAmount
         fields{ field capShare cap approvedAmount } proposals{ id } kelurahan{ code } } }`,
    );
    expect(result.errors).toBeUndefined();
    const budget = result.data.rtBudget;
    const raw = await graph.models.Proposal.find({ kelurahanCode: KELURAHAN_CODE, rt: 1, year: 2024 }).lean<ProposalDoc[]>();
    const approved = raw.filter((p) => APPROVED_STATUSES.includes(p.status as ProposalStatus));
    const sum = (field?: string) => approved.filter((p) => !field || p.field === field).reduce((s, p) => s + p.amount, 0);
    expect(budget).toMatchObject({ rt: 1, year: 2024, ceiling: 100_000_000, approvedAmount: sum(), remainingAmount: 100_000_000 - sum() });
    expect(budget.kelurahan.code).toBe(KELURAHAN_CODE);
    expect(budget.proposals).toHaveLength(raw.length);
    expect(budget.fields).toEqual([
      { field: 'INFRASTRUCTURE', capShare: 0.4, cap: 40_000_000, approvedAmount: sum('infrastructure') },
      { field: 'HEALTH', capShare: 0.4, cap: 40_000_000, approvedAmount: sum('health') },
      { field: 'SOCIAL', capShare: 0.2, cap: 20_000_000, approvedAmount: sum('social') },
      { field: 'ECONOMY', capShare: 0.2, cap: 20_000_000, approvedAmount: sum('economy') },
    ]);
  });

  it('uses the earlier table and the Rp50 million ceiling for 2021', async () => {
    const result = await graph.query(`{ rtBudget(kelurahanCode:"${KELURAHAN_CODE}", rt:1, year:2021){ ceiling fields{ field cap } } }`);
    expect(result.data.rtBudget.ceiling).toBe(50_000_000);
    expect(result.data.rtBudget.fields.map((f: { cap: number }) => f.cap)).toEqual([30_000_000, 10_000_000, 10_000_000, 10_000_000]);
  });

  it('refuses an RT that does not exist in the kelurahan', async () => {
    const error = expectError(await graph.query(`{ rtBudget(kelurahanCode:"${KELURAHAN_CODE}", rt:999, year:2024){ id } }`), 'BAD_USER_INPUT', 'rt');
    expect(error.message).toMatch(/from 1 to \d+, received 999/);
  });
});

describe('scorecard figures match the raw records', () => {
  it('gives the city figures of 2023 from the aggregation equal to a plain count of the documents', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { year branding { ${INDICATOR_FIELDS} } } } }`,
      { r: [{ __typename: 'CityScorecard', year: 2023 }] },
    );
    expect(result.errors).toBeUndefined();
    const expected = await expectedIndicators({ year: 2023 });
    expect(result.data._entities[0]).toEqual({ year: 2023, branding: expected });
    expect(expected.prodamasBudget).toBe(147_800_000_000);
    expect(expected.realizationRate).toBeGreaterThan(0.9);
    expect(expected.realizationRate).toBeLessThan(0.98);
  });

  it('gives each kelurahan its own figures, exactly, also to the public: nothing here counts people', async () => {
    const codes = KELURAHAN.slice(0, 3).map((k) => k.code);
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode year branding { ${INDICATOR_FIELDS} } } } }`,
      { r: codes.map((kelurahanCode) => ({ __typename: 'KelurahanScorecard', kelurahanCode, year: 2024 })) },
      'public',
    );
    expect(result.errors).toBeUndefined();
    for (const [index, kelurahanCode] of codes.entries()) {
      expect(result.data._entities[index]).toEqual({
        kelurahanCode,
        year: 2024,
        branding: await expectedIndicators({ year: 2024, kelurahanCode }),
      });
    }
  });

  it('answers Kelurahan.prodamas with the same figures as its scorecard, and its RT budgets in order', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code prodamas(year:2022){ ${INDICATOR_FIELDS} } prodamasBudgets(year:2022){ rt year } } } }`,
      { r: [{ __typename: 'Kelurahan', code: KELURAHAN_CODE }] },
    );
    expect(result.errors).toBeUndefined();
    const kelurahan = result.data._entities[0];
    expect(kelurahan.prodamas).toEqual(await expectedIndicators({ year: 2022, kelurahanCode: KELURAHAN_CODE }));
    const rts = kelurahan.prodamasBudgets.map((b: { rt: number }) => b.rt);
    expect(rts).toEqual([...rts].sort((a, b) => a - b));
    expect(rts.length).toBe(await graph.models.RtBudget.countDocuments({ kelurahanCode: KELURAHAN_CODE, year: 2022 }));
  });

  it('resolves a scorecard representation with an unknown kelurahan code to null, as every agency does', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { branding { prodamasBudget } } } }`,
      { r: [{ __typename: 'KelurahanScorecard', kelurahanCode: '35.71.09.9999', year: 2024 }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([null]);
  });
});

describe('batching: no query per key', () => {
  it('resolves the scorecards of all 46 kelurahan with one read of the read model', async () => {
    const representations = KELURAHAN.map((k) => ({ __typename: 'KelurahanScorecard', kelurahanCode: k.code, year: 2023 }));
    const before = await graph.dataCommands();
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode branding { prodamasBudget realizationRate } } } }`,
      { r: representations },
      'dashboard',
    );
    const commands = (await graph.dataCommands()) - before;
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toHaveLength(46);
    for (const entity of result.data._entities) expect(entity.branding.prodamasBudget).toBeGreaterThan(0);
    // One find of the 46 figure documents by key; no aggregation of the raw records.
    expect(commands).toBe(1);
  });

  it('loads a page of 50 proposals with their budgets and realizations in a fixed number of commands', async () => {
    const commands = await commandsDuring(async () => {
      const result = await graph.query(
        `{ prodamasProposals(year:2023, first:50){ nodes{ id budget{ ceiling approvedAmount } realization{ amountSpent } } } }`,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.prodamasProposals.nodes).toHaveLength(50);
    });
    // The page and its count, then one $in each for budgets, realizations and the budgets' proposals.
    expect(commands).toBeLessThanOrEqual(6);
  });
});

describe('Resident: Prodamas roles are personal data', () => {
  const ROLES = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { id prodamasRoles { role kelurahanCode rw rt year } } } }`;

  it('lets Bappeda and caseworkers read the roles of a resident, newest year first', async () => {
    const sample = await graph.models.ProdamasRole.findOne({ role: 'rt_chair', year: 2024 }).lean();
    const all = await graph.models.ProdamasRole.find({ residentId: sample!.residentId }).lean();
    for (const role of [STAFF, 'caseworker'] as const) {
      const result = await graph.queryWithGrant(ROLES, { r: [{ __typename: 'Resident', id: sample!.residentId }] }, role);
      expect(result.errors).toBeUndefined();
      const roles = result.data._entities[0].prodamasRoles;
      expect(roles).toHaveLength(all.length);
      expect(roles[0]).toMatchObject({ role: 'RT_CHAIR', year: 2024, kelurahanCode: sample!.kelurahanCode, rt: sample!.rt });
      const years = roles.map((r: { year: number }) => r.year);
      expect(years).toEqual([...years].sort((a, b) => b - a));
      expect(JSON.stringify(result.data)).not.toContain(sample!.nik);
    }
  });

  it('refuses the public, dashboards, auditors and other agencies with FORBIDDEN on the field', async () => {
    const sample = await graph.models.ProdamasRole.findOne({}).lean();
    for (const role of ['public', 'dashboard', 'auditor', 'agency:tax'] as const) {
      const result = await graph.queryWithGrant(ROLES, { r: [{ __typename: 'Resident', id: sample!.residentId }] }, role);
      const error = expectError(result, 'FORBIDDEN');
      expect(error.path).toEqual(['_entities', 0, 'prodamasRoles']);
      expect(result.data._entities[0].prodamasRoles).toBeNull();
    }
  });

  it('answers an empty list for a resident Bappeda does not know', async () => {
    const result = await graph.queryWithGrant(ROLES, { r: [{ __typename: 'Resident', id: `R${'0'.repeat(32)}` }] }, STAFF);
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toEqual({ id: `R${'0'.repeat(32)}`, prodamasRoles: [] });
  });

  it('loads the roles of many residents with one query', async () => {
    const residents = await graph.models.ProdamasRole.find({ year: 2023 }).limit(30).lean();
    const commands = await commandsDuring(async () => {
      const result = await graph.queryWithGrant(ROLES, { r: residents.map((r) => ({ __typename: 'Resident', id: r.residentId })) }, STAFF);
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toHaveLength(30);
    });
    expect(commands).toBe(1);
  });
});

describe('staff mutations', () => {
  const SUBMIT = `mutation($input: SubmitProdamasProposalInput!){ submitProdamasProposal(input:$input){ id status amount field rt year statusHistory { status } } }`;
  const APPROVE = `mutation($id:ID!){ approveProdamasProposal(id:$id){ id status } }`;
  const DISBURSE = `mutation($id:ID!,$d:String!){ disburseProdamasProposal(id:$id, disbursedAt:$d){ id status disbursedAmount } }`;
  const REPORT = `mutation($input: ReportProdamasProposalInput!){ reportProdamasProposal(input:$input){ id status statusHistory{ status } realization{ amountSpent evidenceRef } } }`;

  let budget: RtBudgetDoc;
  /** A second RT with room left, for the disbursement and LPJ lifecycle, which the cap tests do not touch. */
  let lifecycleBudget: RtBudgetDoc;
  let economyRoom: number;
  let keySerial = 0;

  function proposalInput(overrides: Record<string, unknown> = {}, on: RtBudgetDoc = budget) {
    keySerial += 1;
    return {
      kelurahanCode: on.kelurahanCode,
      rt: on.rt,
      year: 2024,
      field: 'ECONOMY',
      title: 'Sewing training for home businesses',
      amount: 1_000_000,
      deliberationRef: `MUSKEL/${on.kelurahanCode}/2024/EXTRA`,
      implementingGroup: 'PKK',
      idempotencyKey: `test-submit-${keySerial}`,
      ...overrides,
    };
  }

  /** Room left in the economy field of the test budget, computed from its proposals. */
  async function roomFromProposals(): Promise<number> {
    const proposals = await graph.models.Proposal.find({ budgetId: budget._id }).lean<ProposalDoc[]>();
    const approved = proposals.filter((p) => APPROVED_STATUSES.includes(p.status as ProposalStatus));
    const total = approved.reduce((s, p) => s + p.amount, 0);
    const economy = approved.filter((p) => p.field === 'economy').reduce((s, p) => s + p.amount, 0);
    return Math.min(20_000_000 - economy, 100_000_000 - total);
  }

  beforeAll(async () => {
    budget = (await graph.models.RtBudget.findOne({
      year: 2024,
      approvedTotal: { $lte: 85_000_000 },
      'approved.economy': { $lte: 10_000_000 },
    }).lean<RtBudgetDoc>())!;
    economyRoom = await roomFromProposals();
    lifecycleBudget = (await graph.models.RtBudget.findOne({
      year: 2024,
      _id: { $ne: budget._id },
      approvedTotal: { $lte: 90_000_000 },
      'approved.health': { $lte: 30_000_000 },
    }).lean<RtBudgetDoc>())!;
    expect(economyRoom).toBeGreaterThanOrEqual(10_000_000);
  });

  it('refuses every role but agency:branding and writes nothing', async () => {
    const before = await graph.models.Proposal.countDocuments();
    for (const role of ['public', 'dashboard', 'caseworker', 'agency:tax'] as const) {
      expectError(await graph.query(SUBMIT, { input: proposalInput() }, role), 'FORBIDDEN');
    }
    expect(await graph.models.Proposal.countDocuments()).toBe(before);
  });

  it.each([
    ['kelurahanCode', { kelurahanCode: '35.71.04.1001' }],
    ['rt', { rt: 0 }],
    ['rt', { rt: 999 }],
    ['year', { year: 2015 }],
    ['year', { year: todayInKediri().getUTCFullYear() + 2 }],
    ['title', { title: 'Fix' }],
    ['amount', { amount: 0 }],
    ['amount', { amount: -5_000 }],
    ['amount', { amount: 1_500.5 }],
    ['amount', { amount: 2 ** 60 }],
    ['amount', { amount: 20_000_001 }],
    ['deliberationRef', { deliberationRef: '<script>' }],
    ['idempotencyKey', { idempotencyKey: 'short' }],
    ['idempotencyKey', { idempotencyKey: 'has spaces in it' }],
  ])('refuses a bad %s with BAD_USER_INPUT and writes nothing (%j)', async (field, overrides) => {
    const before = await graph.models.Proposal.countDocuments();
    expectError(await graph.query(SUBMIT, { input: proposalInput(overrides) }, STAFF), 'BAD_USER_INPUT', field);
    expect(await graph.models.Proposal.countDocuments()).toBe(before);
  });

  it('submits once however often the same submission is retried', async () => {
    const input = proposalInput({ amount: 2_500_000 });
    const first = await graph.query(SUBMIT, { input }, STAFF);
    expect(first.errors).toBeUndefined();
    expect(first.data.submitProdamasProposal).toMatchObject({ status: 'PROPOSED', amount: 2_500_000, field: 'ECONOMY', year: 2024 });
    const again = await graph.query(SUBMIT, { input }, STAFF);
    expect(again.data.submitProdamasProposal.id).toBe(first.data.submitProdamasProposal.id);
    expect(await graph.models.Proposal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);

    const reused = await graph.query(SUBMIT, { input: { ...input, amount: 3_000_000 } }, STAFF);
    expectError(reused, 'CONFLICT', 'idempotencyKey');
  });

  it('approves within the cap, counts a retried approval once, and refuses past the cap with CONFLICT stating the room left', async () => {
    const firstAmount = economyRoom - 1_000_000;
    const first = await graph.query(SUBMIT, { input: proposalInput({ amount: firstAmount }) }, STAFF);
    const id = first.data.submitProdamasProposal.id;
    expect((await graph.query(APPROVE, { id }, STAFF)).data.approveProdamasProposal.status).toBe('APPROVED');
    expect((await graph.query(APPROVE, { id }, STAFF)).data.approveProdamasProposal.status).toBe('APPROVED');
    expect(await roomFromProposals()).toBe(1_000_000);
    const counters = await graph.models.RtBudget.findById(budget._id).lean<RtBudgetDoc>();
    expect(counters!.approvedTotal).toBe(budget.approvedTotal + firstAmount);

    const tooMuch = await graph.query(SUBMIT, { input: proposalInput({ amount: 2_000_000 }) }, STAFF);
    const refused = await graph.query(APPROVE, { id: tooMuch.data.submitProdamasProposal.id }, STAFF);
    // What is already approved leaves no room: the budget's state forbids it, a CONFLICT on the proposal.
    const error = expectError(refused, 'CONFLICT', 'id');
    expect(error.message).toContain('at most Rp1.000.000');
    const untouched = await graph.models.Proposal.findById(tooMuch.data.submitProdamasProposal.id).lean<ProposalDoc>();
    expect(untouched!.status).toBe('proposed');
    expect((await graph.models.RtBudget.findById(budget._id).lean<RtBudgetDoc>())!.approvedTotal).toBe(counters!.approvedTotal);

    const exact = await graph.query(SUBMIT, { input: proposalInput({ amount: 1_000_000 }) }, STAFF);
    expect((await graph.query(APPROVE, { id: exact.data.submitProdamasProposal.id }, STAFF)).data.approveProdamasProposal.status).toBe('APPROVED');
    expect(await roomFromProposals()).toBe(0);
  });

  it('rejects a proposal and then refuses to approve it with CONFLICT', async () => {
    const submitted = await graph.query(SUBMIT, { input: proposalInput({ field: 'SOCIAL', amount: 500_000 }) }, STAFF);
    const id = submitted.data.submitProdamasProposal.id;
    const rejected = await graph.query(
      `mutation($id:ID!){ rejectProdamasProposal(id:$id, reason:"Duplicate of an approved activity"){ status rejectionReason } }`,
      { id },
      STAFF,
    );
    expect(rejected.data.rejectProdamasProposal).toEqual({ status: 'REJECTED', rejectionReason: 'Duplicate of an approved activity' });
    expectError(await graph.query(APPROVE, { id }, STAFF), 'CONFLICT', 'id');
    expectError(await graph.query(APPROVE, { id: 'nope' }, STAFF), 'BAD_USER_INPUT', 'id');
    expectError(await graph.query(APPROVE, { id: '0'.repeat(24) }, STAFF), 'NOT_FOUND');
  });

  it('disburses, files the LPJ once, and counts its realization once in the scorecard', async () => {
    const submitted = await graph.query(SUBMIT, { input: proposalInput({ field: 'HEALTH', amount: 4_000_000 }, lifecycleBudget) }, STAFF);
    const id = submitted.data.submitProdamasProposal.id;
    const report = { proposalId: id, amountSpent: 3_850_000, reportedAt: today(), evidenceRef: 'LPJ/TEST/0001' };

    // No LPJ before the money is out.
    expectError(await graph.query(REPORT, { input: report }, STAFF), 'CONFLICT', 'proposalId');
    expect((await graph.query(APPROVE, { id }, STAFF)).data.approveProdamasProposal.status).toBe('APPROVED');
    expectError(await graph.query(DISBURSE, { id, d: '2099-01-01' }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    const disbursed = await graph.query(DISBURSE, { id, d: today() }, STAFF);
    expect(disbursed.data.disburseProdamasProposal).toEqual({ id, status: 'DISBURSED', disbursedAmount: 4_000_000 });

    const before = await expectedIndicators({ year: 2024 });
    expectError(await graph.query(REPORT, { input: { ...report, amountSpent: 4_000_001 } }, STAFF), 'BAD_USER_INPUT', 'amountSpent');
    expectError(await graph.query(REPORT, { input: { ...report, reportedAt: '2024-13-01' } }, STAFF), 'BAD_USER_INPUT', 'reportedAt');
    expectError(await graph.query(REPORT, { input: { ...report, evidenceRef: 'x' } }, STAFF), 'BAD_USER_INPUT', 'evidenceRef');
    expect(await graph.models.Realization.countDocuments({ proposalId: id })).toBe(0);

    const filed = await graph.query(REPORT, { input: report }, STAFF);
    expect(filed.errors).toBeUndefined();
    expect(filed.data.reportProdamasProposal).toEqual({
      id,
      status: 'REPORTED',
      statusHistory: ['PROPOSED', 'APPROVED', 'DISBURSED', 'IN_PROGRESS', 'REPORTED'].map((status) => ({ status })),
      realization: { amountSpent: 3_850_000, evidenceRef: 'LPJ/TEST/0001' },
    });
    const retried = await graph.query(REPORT, { input: report }, STAFF);
    expect(retried.data.reportProdamasProposal).toEqual(filed.data.reportProdamasProposal);
    expect(await graph.models.Realization.countDocuments({ proposalId: id })).toBe(1);
    expectError(await graph.query(REPORT, { input: { ...report, amountSpent: 3_000_000 } }, STAFF), 'CONFLICT', 'proposalId');

    const scorecard = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { branding { realizedAmount prodamasProposals } } } }`,
      { r: [{ __typename: 'CityScorecard', year: 2024 }] },
    );
    expect(scorecard.data._entities[0].branding.realizedAmount).toBe(before.realizedAmount + 3_850_000);
    expect(scorecard.data._entities[0].branding.prodamasProposals).toBe(before.prodamasProposals);
  });

  it('resolves a submitted proposal as an entity, with its budget', async () => {
    const submitted = await graph.query(SUBMIT, { input: proposalInput({ amount: 600_000 }) }, STAFF);
    const id = submitted.data.submitProdamasProposal.id;
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on ProdamasProposal { id status budget { rt year } kelurahan { code } } } }`,
      { r: [{ __typename: 'ProdamasProposal', id }] },
    );
    expect(result.data._entities[0]).toEqual({
      id,
      status: 'PROPOSED',
      budget: { rt: budget.rt, year: 2024 },
      kelurahan: { code: budget.kelurahanCode },
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The agency contract: error codes, retries, races, atomicity, Kediri's calendar, the read model, indexes.
// ---------------------------------------------------------------------------------------------------------

const SUBMIT_ONE = `mutation($input: SubmitProdamasProposalInput!){ submitProdamasProposal(input:$input){ id status amount submittedAt statusHistory { status at } } }`;
const APPROVE_ONE = `mutation($id:ID!){ approveProdamasProposal(id:$id){ id status amount statusHistory { status at } } }`;
const REJECT_ONE = `mutation($id:ID!,$reason:String!){ rejectProdamasProposal(id:$id, reason:$reason){ id status rejectionReason statusHistory { status at } } }`;
const DISBURSE_ONE = `mutation($id:ID!,$d:String!){ disburseProdamasProposal(id:$id, disbursedAt:$d){ id status disbursedAmount statusHistory { status at } } }`;
const REPORT_ONE = `mutation($input: ReportProdamasProposalInput!){ reportProdamasProposal(input:$input){ id status statusHistory { status at } realization { id amountSpent reportedAt evidenceRef } } }`;
const MISSING_ID = '0123456789abcdef01234567';

/** Budgets a test has written to, so that the next picks another. */
const usedBudgets = new Set<string>();

/** A 2024 budget no test has used, with at least `room` rupiah free in `field` (counted from its proposals). */
async function freshBudget(field: 'economy' | 'health' | 'social', room: number): Promise<RtBudgetDoc> {
  const cap = field === 'health' ? 40_000_000 : 20_000_000;
  const candidates = await graph.models.RtBudget.find({ year: 2024, approvedTotal: { $lte: 100_000_000 - room }, [`approved.${field}`]: { $lte: cap - room } })
    .sort({ _id: -1 })
    .lean<RtBudgetDoc[]>();
  const budget = candidates.find((candidate) => !usedBudgets.has(String(candidate._id)))!;
  usedBudgets.add(String(budget._id));
  return budget;
}

let submissions = 0;
function submission(on: RtBudgetDoc, overrides: Record<string, unknown> = {}) {
  submissions += 1;
  return {
    kelurahanCode: on.kelurahanCode,
    rt: on.rt,
    year: on.year,
    field: 'ECONOMY',
    title: 'Catfish farming starter kits',
    amount: 1_000_000,
    deliberationRef: `MUSKEL/${on.kelurahanCode}/${on.year}/CONTRACT`,
    implementingGroup: 'POKMAS',
    idempotencyKey: `contract-${submissions}-${on.rt}`,
    ...overrides,
  };
}

/** A proposal in the given status, submitted (and moved along) through the API on a fresh budget. */
async function proposalIn(status: 'proposed' | 'approved' | 'disbursed', amount = 1_000_000): Promise<string> {
  const budget = await freshBudget('economy', amount);
  const submitted = await graph.query(SUBMIT_ONE, { input: submission(budget, { amount }) }, STAFF);
  expect(submitted.errors).toBeUndefined();
  const id = submitted.data.submitProdamasProposal.id as string;
  if (status !== 'proposed') expect((await graph.query(APPROVE_ONE, { id }, STAFF)).errors).toBeUndefined();
  if (status === 'disbursed') expect((await graph.query(DISBURSE_ONE, { id, d: today() }, STAFF)).errors).toBeUndefined();
  return id;
}

/** A seeded proposal of 2023, long completed. */
async function completedProposal(): Promise<ProposalDoc> {
  return (await graph.models.Proposal.findOne({ year: 2023, status: 'completed' }).lean<ProposalDoc>())!;
}

/** Twenty identical requests at once. */
function twentyAtOnce(query: string, variables: Record<string, unknown>) {
  return Promise.all(Array.from({ length: 20 }, () => graph.query(query, variables, STAFF)));
}

/** All twenty answered without error, and with the same data. */
function expectOneAnswer(results: GraphQLResult[], field: string) {
  expect(results.map((r) => r.errors?.[0]?.message)).toEqual(Array(20).fill(undefined));
  expect(new Set(results.map((r) => JSON.stringify(r.data[field]))).size).toBe(1);
  return results[0].data[field];
}

describe('the three error codes of every mutation', () => {
  it('submit: BAD_USER_INPUT for an unknown kelurahan, NOT_FOUND for an RT-year without a budget, CONFLICT for a reused key', async () => {
    const budget = await freshBudget('economy', 1_000_000);
    const before = await graph.models.Proposal.estimatedDocumentCount();
    expectError(await graph.query(SUBMIT_ONE, { input: submission(budget, { kelurahanCode: '35.71.09.1001' }) }, STAFF), 'BAD_USER_INPUT', 'kelurahanCode');
    // Well-formed natural keys (kelurahan, RT, year) of budgets that do not exist: before the first sample
    // year, and next year, which requireYear accepts but nobody has budgeted yet.
    for (const year of [2020, todayInKediri().getUTCFullYear() + 1]) {
      const missing = expectError(await graph.query(SUBMIT_ONE, { input: submission(budget, { year }) }, STAFF), 'NOT_FOUND');
      expect(missing.message).toContain(`RT ${budget.rt} and year ${year}`);
    }
    const input = submission(budget);
    expect((await graph.query(SUBMIT_ONE, { input }, STAFF)).errors).toBeUndefined();
    const reused = expectError(await graph.query(SUBMIT_ONE, { input: { ...input, title: 'Another activity entirely' } }, STAFF), 'CONFLICT', 'idempotencyKey');
    expect(reused.message).toContain(input.idempotencyKey);
    expect(await graph.models.Proposal.estimatedDocumentCount()).toBe(before + 1);
  });

  it('approve: BAD_USER_INPUT for a malformed id, NOT_FOUND for an unknown one, CONFLICT for a completed proposal', async () => {
    const completed = await completedProposal();
    expectError(await graph.query(APPROVE_ONE, { id: 'proposal-1' }, STAFF), 'BAD_USER_INPUT', 'id');
    expect(expectError(await graph.query(APPROVE_ONE, { id: MISSING_ID }, STAFF), 'NOT_FOUND').message).toContain(MISSING_ID);
    // A completed proposal was approved long ago: approving it again returns it as it is.
    expect((await graph.query(APPROVE_ONE, { id: String(completed._id) }, STAFF)).data.approveProdamasProposal.status).toBe('COMPLETED');
    const rejected = (await graph.models.Proposal.findOne({ status: 'rejected' }).lean<ProposalDoc>())!;
    expect(expectError(await graph.query(APPROVE_ONE, { id: String(rejected._id) }, STAFF), 'CONFLICT', 'id').message).toMatch(/is REJECTED/);
  });

  it('reject: BAD_USER_INPUT for a reason too short, NOT_FOUND for an unknown id, CONFLICT for an approved proposal', async () => {
    const completed = await completedProposal();
    expectError(await graph.query(REJECT_ONE, { id: String(completed._id), reason: 'no' }, STAFF), 'BAD_USER_INPUT', 'reason');
    expectError(await graph.query(REJECT_ONE, { id: MISSING_ID, reason: 'Not in the minutes' }, STAFF), 'NOT_FOUND');
    const error = expectError(await graph.query(REJECT_ONE, { id: String(completed._id), reason: 'Not in the minutes' }, STAFF), 'CONFLICT', 'id');
    expect(error.message).toMatch(/is COMPLETED: only a PROPOSED proposal can be rejected/);
    expect((await graph.models.Proposal.findById(completed._id).lean<ProposalDoc>())!.status).toBe('completed');
  });

  it('disburse: BAD_USER_INPUT for a date that does not exist, NOT_FOUND for an unknown id, CONFLICT for a proposal not yet approved', async () => {
    const proposed = await proposalIn('proposed');
    expectError(await graph.query(DISBURSE_ONE, { id: proposed, d: '2024-02-30' }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    expectError(await graph.query(DISBURSE_ONE, { id: proposed, d: '2024-03-01T10:00:00+07:00' }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    expectError(await graph.query(DISBURSE_ONE, { id: MISSING_ID, d: today() }, STAFF), 'NOT_FOUND');
    expect(expectError(await graph.query(DISBURSE_ONE, { id: proposed, d: today() }, STAFF), 'CONFLICT', 'id').message).toMatch(/is PROPOSED/);
  });

  it('disburse: refuses a date before the approval, and answers another date for a disbursed proposal with CONFLICT', async () => {
    const approved = await proposalIn('approved');
    expectError(await graph.query(DISBURSE_ONE, { id: approved, d: '2024-01-01' }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    expect((await graph.query(DISBURSE_ONE, { id: approved, d: today() }, STAFF)).errors).toBeUndefined();
    expectError(await graph.query(DISBURSE_ONE, { id: approved, d: '2024-06-01' }, STAFF), 'CONFLICT', 'disbursedAt');
  });

  it('report: BAD_USER_INPUT for a fraction of a rupiah, NOT_FOUND for an unknown proposal, CONFLICT before the money is out', async () => {
    const approved = await proposalIn('approved');
    const report = { proposalId: approved, amountSpent: 900_000, reportedAt: today(), evidenceRef: 'LPJ/CONTRACT/1' };
    expectError(await graph.query(REPORT_ONE, { input: { ...report, amountSpent: 10.5 } }, STAFF), 'BAD_USER_INPUT', 'amountSpent');
    expectError(await graph.query(REPORT_ONE, { input: { ...report, amountSpent: -1 } }, STAFF), 'BAD_USER_INPUT', 'amountSpent');
    expectError(await graph.query(REPORT_ONE, { input: { ...report, proposalId: MISSING_ID } }, STAFF), 'NOT_FOUND');
    expectError(await graph.query(REPORT_ONE, { input: report }, STAFF), 'CONFLICT', 'proposalId');
    expect(await graph.models.Realization.countDocuments({ proposalId: new Types.ObjectId(approved) })).toBe(0);
  });

  it('refuses every mutation to callers other than Bappeda, with FORBIDDEN', async () => {
    for (const [query, variables] of [
      [APPROVE_ONE, { id: MISSING_ID }],
      [REJECT_ONE, { id: MISSING_ID, reason: 'Not in the minutes' }],
      [DISBURSE_ONE, { id: MISSING_ID, d: today() }],
      [REPORT_ONE, { input: { proposalId: MISSING_ID, amountSpent: 1, reportedAt: today(), evidenceRef: 'LPJ/1' } }],
    ] as const) {
      expectError(await graph.query(query, variables as Record<string, unknown>, 'dashboard'), 'FORBIDDEN');
    }
  });
});

describe('retries: twenty identical requests at once get the first answer, and write once', () => {
  it('submit, with one idempotency key', async () => {
    const budget = await freshBudget('economy', 3_000_000);
    const input = submission(budget, { amount: 3_000_000, idempotencyKey: 'retry-storm-submit-0001' });
    const first = expectOneAnswer(await twentyAtOnce(SUBMIT_ONE, { input }), 'submitProdamasProposal');
    expect(first).toMatchObject({ status: 'PROPOSED', amount: 3_000_000 });
    expect(await graph.models.Proposal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
  });

  it('approve, raising the budget totals once', async () => {
    const id = await proposalIn('proposed', 2_000_000);
    const proposal = (await graph.models.Proposal.findById(id).lean<ProposalDoc>())!;
    const before = (await graph.models.RtBudget.findById(proposal.budgetId).lean<RtBudgetDoc>())!;
    const answer = expectOneAnswer(await twentyAtOnce(APPROVE_ONE, { id }), 'approveProdamasProposal');
    expect(answer.statusHistory.map((step: { status: string }) => step.status)).toEqual(['PROPOSED', 'APPROVED']);
    const after = (await graph.models.RtBudget.findById(proposal.budgetId).lean<RtBudgetDoc>())!;
    expect(after.approvedTotal).toBe(before.approvedTotal + 2_000_000);
    expect(after.approved!.economy).toBe(before.approved!.economy + 2_000_000);
  });

  it('reject, with one reason', async () => {
    const id = await proposalIn('proposed');
    const answer = expectOneAnswer(await twentyAtOnce(REJECT_ONE, { id, reason: 'Duplicates an approved activity' }), 'rejectProdamasProposal');
    expect(answer).toMatchObject({ status: 'REJECTED', rejectionReason: 'Duplicates an approved activity' });
    expect(answer.statusHistory).toHaveLength(2);
    expectError(await graph.query(REJECT_ONE, { id, reason: 'Another reason altogether' }, STAFF), 'CONFLICT', 'reason');
  });

  it('disburse, on one date', async () => {
    const id = await proposalIn('approved', 1_500_000);
    const answer = expectOneAnswer(await twentyAtOnce(DISBURSE_ONE, { id, d: today() }), 'disburseProdamasProposal');
    expect(answer).toMatchObject({ status: 'DISBURSED', disbursedAmount: 1_500_000 });
    expect(answer.statusHistory.filter((step: { status: string }) => step.status === 'DISBURSED')).toEqual([{ status: 'DISBURSED', at: `${today()}T00:00:00.000Z` }]);
  });

  it('report, with one LPJ, counted once', async () => {
    const id = await proposalIn('disbursed', 1_200_000);
    const realizationsBefore = await graph.models.Realization.estimatedDocumentCount();
    const input = { proposalId: id, amountSpent: 1_150_000, reportedAt: today(), evidenceRef: 'LPJ/RETRY/0001' };
    const answer = expectOneAnswer(await twentyAtOnce(REPORT_ONE, { input }), 'reportProdamasProposal');
    expect(answer).toMatchObject({ status: 'REPORTED', realization: { amountSpent: 1_150_000, evidenceRef: 'LPJ/RETRY/0001' } });
    expect(await graph.models.Realization.countDocuments({ proposalId: new Types.ObjectId(id) })).toBe(1);
    expect(await graph.models.Realization.estimatedDocumentCount()).toBe(realizationsBefore + 1);
  });
});

describe('races and atomicity', () => {
  it('lets only one of two concurrent approvals through when together they pass the field cap', async () => {
    const budget = await freshBudget('economy', 2_000_000);
    const proposals = await graph.models.Proposal.find({ budgetId: budget._id, status: { $in: APPROVED_STATUSES } }).lean<ProposalDoc[]>();
    const economyUsed = proposals.filter((p) => p.field === 'economy').reduce((sum, p) => sum + p.amount, 0);
    const totalUsed = proposals.reduce((sum, p) => sum + p.amount, 0);
    const room = Math.min(20_000_000 - economyUsed, 100_000_000 - totalUsed);
    // Each fits alone; both together pass the room by 200,000 rupiah.
    const amount = Math.floor(room / 2) + 100_000;
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const submitted = await graph.query(SUBMIT_ONE, { input: submission(budget, { amount, idempotencyKey: `race-${String(budget._id)}-${n}` }) }, STAFF);
      ids.push(submitted.data.submitProdamasProposal.id);
    }
    const results = await Promise.all(ids.map((id) => graph.query(APPROVE_ONE, { id }, STAFF)));
    expect(results.filter((r) => !r.errors).map((r) => r.data.approveProdamasProposal.status)).toEqual(['APPROVED']);
    const refused = results.find((r) => r.errors)!;
    expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    const statuses = await graph.models.Proposal.find({ _id: { $in: ids } }).lean<ProposalDoc[]>();
    expect(statuses.map((p) => p.status).sort()).toEqual(['approved', 'proposed']);
    // The budget's totals saw exactly one of them.
    const after = (await graph.models.RtBudget.findById(budget._id).lean<RtBudgetDoc>())!;
    expect(after.approved!.economy).toBe(economyUsed + amount);
    expect(after.approvedTotal).toBe(totalUsed + amount);
  });

  it('leaves none of an approval\'s writes when its last write fails', async () => {
    // A budget outside the sample years whose stored totals are corrupt (written around the models, as a
    // faulty migration might): the approval's last write, raising them, fails inside the store.
    const kelurahanCode = KELURAHAN[7].code;
    let rt = 1;
    while (await graph.models.RtBudget.exists({ kelurahanCode, rt, year: 2020 })) rt += 1;
    await graph.models.RtBudget.collection.insertOne({
      kelurahanCode, rw: 1, rt, year: 2020, ceiling: 50_000_000, approvedTotal: 'corrupt', approved: { infrastructure: 0, health: 0, social: 0, economy: 0 },
    });
    const budget = (await graph.models.RtBudget.findOne({ kelurahanCode, rt, year: 2020 }).lean<RtBudgetDoc>())!;
    usedBudgets.add(String(budget._id));
    const submitted = await graph.query(SUBMIT_ONE, { input: submission(budget, { amount: 1_000_000 }) }, STAFF);
    expect(submitted.errors).toBeUndefined();
    const id = submitted.data.submitProdamasProposal.id;

    const snapshot = async () => ({
      proposal: await graph.models.Proposal.findById(id).lean(),
      budget: await graph.models.RtBudget.findById(budget._id).lean(),
      figures: await graph.models.Figures.find({ _id: { $in: [figuresKey(2020, kelurahanCode), figuresKey(2020, CITY)] } }).sort({ _id: 1 }).lean(),
      version: await graph.models.DataVersion.findById('branding').lean(),
      counts: [
        await graph.models.Proposal.countDocuments(),
        await graph.models.RtBudget.countDocuments(),
        await graph.models.Realization.countDocuments(),
        await graph.models.Figures.countDocuments(),
      ],
    });
    const before = await snapshot();
    expect(before.proposal!.status).toBe('proposed');
    const failed = await graph.query(APPROVE_ONE, { id }, STAFF);
    expect(failed.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(failed.errors?.[0].message).toBe('Internal error in the branding subgraph.');
    // The proposal's move to APPROVED was written first, then rolled back with the rest.
    expect(await snapshot()).toEqual(before);

    // Repaired, the same approval goes through whole.
    await graph.models.RtBudget.collection.updateOne({ _id: budget._id }, { $set: { approvedTotal: 0 } });
    expect((await graph.query(APPROVE_ONE, { id }, STAFF)).data.approveProdamasProposal.status).toBe('APPROVED');
    expect((await graph.models.RtBudget.findById(budget._id).lean<RtBudgetDoc>())!.approvedTotal).toBe(1_000_000);
  });
});

describe("Kediri's calendar (WIB, UTC+7)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function staffContext(): BrandingContext {
    const identity: Identity = { subject: 'test-staff', role: STAFF };
    return {
      agency: 'branding',
      identity,
      models: graph.models,
      loaders: createBrandingLoaders(graph.models, identity),
      figures: prodamas.loader(graph.models, 'read-model'),
      secrets: TEST_SECRETS,
      transaction: graph.transaction,
    };
  }

  it("at 00:30 WIB on 2 March accepts a disbursement dated that day, and refuses 3 March", async () => {
    const [first, second] = await graph.models.Proposal.find({ year: 2024, status: 'approved' }).sort({ _id: 1 }).limit(2).lean<ProposalDoc[]>();
    vi.useFakeTimers({ toFake: ['Date'] });
    // 17:30 UTC on 1 March is 00:30 on 2 March in Kediri; in UTC it is still 1 March.
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
    const disbursed = await disburseProposal({ id: String(first._id), disbursedAt: '2025-03-02' }, staffContext());
    expect(disbursed.status).toBe('disbursed');
    expect(disbursed.statusHistory.at(-1)).toEqual({ status: 'disbursed', at: new Date('2025-03-02T00:00:00Z') });
    const tomorrow = await disburseProposal({ id: String(second._id), disbursedAt: '2025-03-03' }, staffContext()).catch((error) => error);
    expect(tomorrow.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'disbursedAt' });
    expect(tomorrow.message).toContain('not after today in Kediri (2025-03-02)');
    vi.useRealTimers();
    expect((await graph.models.Proposal.findById(second._id).lean<ProposalDoc>())!.status).toBe('approved');
  });
});

describe('federation entities under the new contract', () => {
  it('resolves a Kelurahan reference with an unknown code to null, without an error', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code prodamas(year:2023){ prodamasBudget } prodamasBudgets(year:2023){ rt } } } }`,
      { r: [{ __typename: 'Kelurahan', code: '35.71.09.9999' }, { __typename: 'Kelurahan', code: KELURAHAN_CODE }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toBeNull();
    expect(result.data._entities[1].code).toBe(KELURAHAN_CODE);
    expect(result.data._entities[1].prodamas.prodamasBudget).toBe(
      (await graph.models.RtBudget.countDocuments({ kelurahanCode: KELURAHAN_CODE, year: 2023 })) * 100_000_000,
    );
  });

  it("refuses a resident lookup without the gateway's grant with HTTP 403, whatever the caller's role", async () => {
    const sample = (await graph.models.ProdamasRole.findOne({}).lean())!;
    for (const role of [STAFF, 'caseworker'] as const) {
      const result = await graph.query(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { prodamasRoles { role } } } }`,
        { r: [{ __typename: 'Resident', id: sample.residentId }] },
        role,
      );
      expect(result.status).toBe(403);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('the public list of proposals is paged through an index', () => {
  const ARGUMENTS = { kelurahanCode: KELURAHAN_CODE, year: 2023, field: 'health', status: 'completed' } as const;
  const combinations = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((bits) =>
    Object.fromEntries(Object.entries(ARGUMENTS).filter((_, index) => bits & (1 << index))),
  );

  it.each(combinations)('walks an index in _id order, with no collection scan and no sort, for %j, on the first page and the next', async (args) => {
    const filter = proposalListFilter(args);
    const firstPage = await graph.models.Proposal.find(filter).sort({ _id: 1 }).limit(21).lean<ProposalDoc[]>();
    expect(firstPage.length).toBeGreaterThan(0);
    const pages = [filter, { ...filter, _id: { $gt: firstPage[Math.min(9, firstPage.length - 1)]._id } }];
    for (const page of pages) {
      const explained = await graph.models.Proposal.find(page).sort({ _id: 1 }).limit(21).explain('executionStats');
      const stages = stagesOf(explained);
      expect(stages, JSON.stringify(page)).toContain('IXSCAN');
      expect(stages, JSON.stringify(page)).not.toContain('COLLSCAN');
      expect(stages, JSON.stringify(page)).not.toContain('SORT');
    }
  });

  it('reads no more than one page of documents for a kelurahan and year (W2 of the benchmark)', async () => {
    const explained = (await graph.models.Proposal.find(proposalListFilter({ kelurahanCode: KELURAHAN_CODE, year: 2023 }))
      .sort({ _id: 1 })
      .limit(21)
      .explain('executionStats')) as unknown as { executionStats: { totalDocsExamined: number; nReturned: number } };
    const stats = (Array.isArray(explained) ? explained[0] : explained).executionStats;
    expect(stats.nReturned).toBe(21);
    expect(stats.totalDocsExamined).toBe(21);
  });
});

describe('the read model stays exact under writes', () => {
  it('equals a full re-aggregation, figure by figure, after 60 random valid writes of every kind', async () => {
    const random = createRandom('branding-read-model');
    const staff = { query: (q: string, v?: Record<string, unknown>) => graph.query(q, v, STAFF), models: graph.models };
    const done: string[] = [];
    for (let i = 0; i < 60; i += 1) done.push(await randomWrites(random, staff));
    for (const kind of ['submitted', 'approved', 'rejected', 'disbursed', 'reported']) {
      expect(done.filter((label) => label.startsWith(kind)).length, `${kind}: ${done.join('; ')}`).toBeGreaterThanOrEqual(3);
    }
    expect(await prodamas.check(graph.models)).toEqual([]);
  }, 180_000);

  it('answers the scorecards from the read model with the figures a raw aggregation gives', async () => {
    const FIELDS = `${INDICATOR_FIELDS} budgetUptake`;
    for (const year of [2021, 2024]) {
      const raw = await prodamas.definition.aggregate(graph.models, year, null);
      const byKelurahan = await prodamas.definition.aggregate(graph.models, year, [KELURAHAN_CODE]);
      const result = await graph.query(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { branding { ${FIELDS} } } ... on KelurahanScorecard { branding { ${FIELDS} } } } }`,
        { r: [{ __typename: 'CityScorecard', year }, { __typename: 'KelurahanScorecard', kelurahanCode: KELURAHAN_CODE, year }] },
      );
      expect(result.errors).toBeUndefined();
      const shown = (figures: BrandingFigures) => ({
        ...figures,
        realizationRate: Math.round((figures.realizedAmount / figures.approvedAmount) * 10_000) / 10_000,
        budgetUptake: Math.round((figures.approvedAmount / figures.prodamasBudget) * 10_000) / 10_000,
      });
      expect(result.data._entities[0].branding).toEqual(shown(raw.get(CITY)!));
      expect(result.data._entities[1].branding).toEqual(shown(byKelurahan.get(KELURAHAN_CODE)!));
      expect(result.data._entities[1].branding).toEqual({ ...(await expectedIndicators({ year, kelurahanCode: KELURAHAN_CODE })), budgetUptake: expect.any(Number) });
    }
  });
});
