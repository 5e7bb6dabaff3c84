import type { Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { branding } from './index';
import type { BrandingModels, ProposalDoc, RealizationDoc, RtBudgetDoc } from './models';
import { APPROVED_STATUSES, type ProposalStatus } from './rules';

let graph: TestSubgraph<BrandingModels>;

beforeAll(async () => {
  graph = await startTestSubgraph(branding, { seed: true });
}, 240_000);

afterAll(async () => {
  await graph?.stop();
});

const STAFF = 'agency:branding';
const KELURAHAN_CODE = KELURAHAN[0].code;

function today(): string {
  return new Date().toISOString().slice(0, 10);
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
  it('resolves the scorecards of all 46 kelurahan with a small constant number of database commands', async () => {
    const representations = KELURAHAN.map((k) => ({ __typename: 'KelurahanScorecard', kelurahanCode: k.code, year: 2023 }));
    let result: GraphQLResult | undefined;
    const commands = await commandsDuring(async () => {
      result = await graph.query(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode branding { prodamasBudget realizationRate } } } }`,
        { r: representations },
        'dashboard',
      );
    });
    expect(result!.errors).toBeUndefined();
    expect(result!.data._entities).toHaveLength(46);
    for (const entity of result!.data._entities) expect(entity.branding.prodamasBudget).toBeGreaterThan(0);
    // Three aggregations: budgets, proposals, realizations.
    expect(commands).toBe(3);
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
    ['year', { year: 2015 }],
    ['year', { year: new Date().getUTCFullYear() + 1 }],
    ['title', { title: 'Fix' }],
    ['amount', { amount: 0 }],
    ['amount', { amount: 1_500.5 }],
    ['amount', { amount: 20_000_001 }],
    ['deliberationRef', { deliberationRef: '<script>' }],
    ['idempotencyKey', { idempotencyKey: 'short' }],
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

  it('approves within the cap, counts a retried approval once, and refuses past the cap naming amount and the room left', async () => {
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
    const error = expectError(refused, 'BAD_USER_INPUT', 'amount');
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
