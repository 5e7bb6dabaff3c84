import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDay, kediriYear, todayInKediri } from '../kit/calendar';
import { rate } from '../kit/pillar';
import { createRandom } from '../kit/random';
import { CITY } from '../kit/readModel';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId } from '../kit/residents';
import { startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { economy } from './index';
import { createEconomyLoaders, type EconomyContext } from './loaders';
import type { EconomyModels, LoanDoc } from './models';
import { disburseKurniaLoan, recordKurniaRepayment } from './mutations/loans';
import { smartEconomy, tallyFigures, type EconomyFigures } from './pillar';
import { randomWrites } from './sampleWrites';

/**
 * The economy subgraph over real HTTP against the embedded store, seeded once. Mutations in this file are
 * dated 2026 or later (today in Kediri), so they never move the 2021–2024 figures the scorecard tests
 * compare; the random writes of the read model's test, which do, come last.
 */
let graph: TestSubgraph<EconomyModels>;

beforeAll(async () => {
  graph = await startTestSubgraph(economy, { seed: true });
}, 120_000);

afterAll(async () => {
  await graph?.stop();
});

const STAFF = 'agency:economy';
const DAY_MS = 86_400_000;
/** Today in Kediri, the day the new tests' records are dated. */
const TODAY = isoDay(todayInKediri());
const MISSING_ID = '0123456789abcdef01234567';

async function counts() {
  const { Applicant, Application, Loan, Repayment } = graph.models;
  return {
    applicants: await Applicant.countDocuments(),
    applications: await Application.countDocuments(),
    loans: await Loan.countDocuments(),
    repayments: await Repayment.countDocuments(),
  };
}

/** Commands the store served during `work`, without the serverStatus calls that count them. */
async function commandsDuring(work: () => Promise<unknown>): Promise<number> {
  const total = (counters: Record<string, number>) => counters.query + counters.command + counters.getmore;
  const before = total(await graph.opcounters());
  await work();
  // The second serverStatus is itself one command; a driver heartbeat may add one now and then.
  return total(await graph.opcounters()) - before - 1;
}

function errorCodes(result: GraphQLResult): (string | undefined)[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

function firstError(result: GraphQLResult) {
  expect(result.errors, JSON.stringify(result.data)).toBeDefined();
  return result.errors![0];
}

interface Expected {
  loansDisbursed: number;
  amountDisbursed: number;
  interestRatePercent: number | null;
  outstandingLoans: number;
  nonPerformingRate: number;
  applicationsSubmitted: number;
}

/**
 * The pillar recomputed independently from the raw documents: plain loops over every loan, repayment and
 * application, with days past due counted instalment by instalment.
 */
const expectedByYear = new Map<number, Promise<Map<string, Expected>>>();

/** Memoized per year: the mutation tests below only write 2026 records, which no compared year includes. */
function expectedFigures(year: number): Promise<Map<string, Expected>> {
  if (!expectedByYear.has(year)) expectedByYear.set(year, computeExpected(year));
  return expectedByYear.get(year)!;
}

async function computeExpected(year: number): Promise<Map<string, Expected>> {
  const [loans, repayments, applications] = await Promise.all([
    graph.models.Loan.find().lean(),
    graph.models.Repayment.find().lean(),
    graph.models.Application.find().lean(),
  ]);
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const lastDay = Date.UTC(year, 11, 31);
  const repaid = new Map<string, number>();
  for (const repayment of repayments) {
    if (repayment.paidAt.getTime() >= end) continue;
    const key = String(repayment.loanId);
    repaid.set(key, (repaid.get(key) ?? 0) + repayment.amount);
  }
  const result = new Map<string, Expected & { weighted: number; npl: number }>();
  const entry = (key: string) => {
    if (!result.has(key)) {
      result.set(key, {
        loansDisbursed: 0,
        amountDisbursed: 0,
        interestRatePercent: null,
        outstandingLoans: 0,
        nonPerformingRate: 0,
        applicationsSubmitted: 0,
        weighted: 0,
        npl: 0,
      });
    }
    return result.get(key)!;
  };
  for (const loan of loans) {
    const disbursed = loan.disbursedAt.getTime();
    if (disbursed >= end) continue;
    for (const key of ['city', loan.kelurahanCode]) {
      const figures = entry(key);
      if (disbursed >= start) {
        figures.loansDisbursed += 1;
        figures.amountDisbursed += loan.principal;
        figures.weighted += loan.principal * loan.ratePercent;
      }
      const paid = repaid.get(String(loan._id)) ?? 0;
      const total = loan.principal + loan.totalInterest;
      if (paid >= total) continue;
      figures.outstandingLoans += 1;
      let covered = paid;
      for (const instalment of loan.instalments) {
        if (covered >= instalment.amount) {
          covered -= instalment.amount;
          continue;
        }
        if ((lastDay - instalment.dueDate.getTime()) / DAY_MS > 90) figures.npl += 1;
        break;
      }
    }
  }
  for (const application of applications) {
    const submitted = application.submittedAt.getTime();
    if (submitted < start || submitted >= end) continue;
    entry('city').applicationsSubmitted += 1;
    entry(application.kelurahanCode).applicationsSubmitted += 1;
  }
  for (const figures of result.values()) {
    figures.interestRatePercent = figures.amountDisbursed ? Math.round((figures.weighted / figures.amountDisbursed) * 100) / 100 : null;
    figures.nonPerformingRate = figures.outstandingLoans ? Math.round((figures.npl / figures.outstandingLoans) * 10_000) / 10_000 : 0;
  }
  return new Map(
    [...result].map(([key, { weighted: _w, npl: _n, ...figures }]) => [key, figures]),
  );
}

const PILLAR = 'loansDisbursed amountDisbursed interestRatePercent nonPerformingRate outstandingLoans applicationsSubmitted';
const CITY_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { year economy { ${PILLAR} } } } }`;
const KELURAHAN_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode year economy { ${PILLAR} } } } }`;

function kelurahanReps(year: number) {
  return KELURAHAN.map((k) => ({ __typename: 'KelurahanScorecard', kelurahanCode: k.code, year }));
}

describe('the seed tells the published story', () => {
  it('lends to exactly 121 borrowers for Rp2,000,000,000 in 2021, at 2%', async () => {
    const result = await graph.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 2021 }] });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].economy).toMatchObject({
      loansDisbursed: 121,
      amountDisbursed: 2_000_000_000,
      interestRatePercent: 2,
    });
  });

  it('grows moderately after 2021 with a non-performing rate of a few percent', async () => {
    const years = [2022, 2023, 2024].map((year) => ({ __typename: 'CityScorecard', year }));
    const result = await graph.query(CITY_QUERY, { r: years });
    const figures = result.data._entities.map((e: { economy: Expected }) => e.economy);
    for (const year of figures) {
      expect(year.loansDisbursed).toBeGreaterThan(121);
      expect(year.loansDisbursed).toBeLessThanOrEqual(250);
      expect(year.nonPerformingRate).toBeGreaterThanOrEqual(0.02);
      expect(year.nonPerformingRate).toBeLessThanOrEqual(0.07);
    }
  });

  it('keeps every loan within its tier ceiling, on the flat 2% 36-month schedule', async () => {
    const loans = await graph.models.Loan.find().lean();
    for (const loan of loans) {
      const ceiling = loan.tier === 'cooperative' ? 100_000_000 : loan.tier === 'micro_small_10_25m' ? 25_000_000 : 9_999_999;
      expect(loan.principal).toBeLessThanOrEqual(ceiling);
      expect(loan.instalments.reduce((sum, i) => sum + i.amount, 0)).toBe(loan.principal + loan.totalInterest);
      expect(loan.totalInterest).toBe(Math.floor((loan.principal * 6) / 100));
    }
  });
});

describe('scorecard figures equal figures computed independently from the raw records', () => {
  it('city-wide for 2023', async () => {
    const expected = (await expectedFigures(2023)).get('city');
    const result = await graph.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 2023 }] }, 'public');
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toEqual({ year: 2023, economy: expected });
  });

  it('for all 46 kelurahan in 2023, exact for the dashboard', async () => {
    const expected = await expectedFigures(2023);
    const result = await graph.query(KELURAHAN_QUERY, { r: kelurahanReps(2023) }, 'dashboard');
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toHaveLength(46);
    for (const entity of result.data._entities) {
      const want = expected.get(entity.kelurahanCode) ?? {
        loansDisbursed: 0,
        amountDisbursed: 0,
        interestRatePercent: null,
        outstandingLoans: 0,
        nonPerformingRate: 0,
        applicationsSubmitted: 0,
      };
      expect(entity.economy, entity.kelurahanCode).toEqual(want);
    }
    const total = result.data._entities.reduce((sum: number, e: { economy: Expected }) => sum + e.economy.loansDisbursed, 0);
    expect(total).toBe(expected.get('city')!.loansDisbursed);
  });

  it('answers Kelurahan.kurnia with the same figures as its scorecard', async () => {
    const code = KELURAHAN[0].code;
    const expected = (await expectedFigures(2022)).get(code);
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code kurnia(year: 2022) { ${PILLAR} } } } }`,
      { r: [{ __typename: 'Kelurahan', code }] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toEqual({ code, kurnia: expected });
  });
});

describe('small counts are suppressed for the public at kelurahan level', () => {
  it('withholds every figure of a kelurahan-year with fewer than 5 loans, shows those with more', async () => {
    const expected = await expectedFigures(2023);
    const codes = KELURAHAN.map((k) => k.code);
    const few = codes.find((code) => (expected.get(code)?.loansDisbursed ?? 0) < 5)!;
    const many = codes.find((code) => {
      const figures = expected.get(code);
      return figures && figures.loansDisbursed >= 5 && figures.outstandingLoans >= 5 && figures.applicationsSubmitted >= 5;
    })!;
    expect(few).toBeDefined();
    expect(many).toBeDefined();
    const reps = [few, many].map((kelurahanCode) => ({ __typename: 'KelurahanScorecard', kelurahanCode, year: 2023 }));
    const result = await graph.query(KELURAHAN_QUERY, { r: reps }, 'public');

    const [hidden, shown] = result.data._entities;
    expect(hidden.economy.loansDisbursed).toBeNull();
    expect(hidden.economy.amountDisbursed).toBeNull();
    expect(hidden.economy.interestRatePercent).toBeNull();
    expect(hidden.economy.nonPerformingRate).toBeNull();
    const suppressedPaths = (result.errors ?? [])
      .filter((error) => error.extensions?.code === 'SUPPRESSED_SMALL_COUNT')
      .map((error) => error.path?.join('.'));
    expect(suppressedPaths).toContain('_entities.0.economy.loansDisbursed');
    expect(suppressedPaths).toContain('_entities.0.economy.amountDisbursed');
    expect(suppressedPaths.every((path) => path?.startsWith('_entities.0.'))).toBe(true);
    expect(shown.economy).toEqual(expected.get(many));
  });

  it('never suppresses city-wide figures, and shows the dashboard exact small counts', async () => {
    const expected = await expectedFigures(2023);
    const few = KELURAHAN.map((k) => k.code).find((code) => (expected.get(code)?.loansDisbursed ?? 0) === 1)!;
    const result = await graph.query(
      KELURAHAN_QUERY,
      { r: [{ __typename: 'KelurahanScorecard', kelurahanCode: few, year: 2023 }] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].economy.loansDisbursed).toBe(1);
  });
});

describe('batching: 46 kelurahan cost one read of the read model', () => {
  it('resolves 46 KelurahanScorecard representations with one indexed read', async () => {
    const commands = await commandsDuring(async () => {
      const result = await graph.query(KELURAHAN_QUERY, { r: kelurahanReps(2024) }, 'dashboard');
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toHaveLength(46);
      expect(result.data._entities.every((e: { economy: Expected }) => typeof e.economy.loansDisbursed === 'number')).toBe(true);
    });
    expect(commands).toBeLessThanOrEqual(2);
  });

  it('resolves 46 Kelurahan with their kurnia figures with one indexed read', async () => {
    const commands = await commandsDuring(async () => {
      const result = await graph.query(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code kurnia(year: 2023) { loansDisbursed } } } }`,
        { r: KELURAHAN.map((k) => ({ __typename: 'Kelurahan', code: k.code })) },
        'dashboard',
      );
      expect(result.errors).toBeUndefined();
      const expected = await expectedFigures(2023);
      expect(result.data._entities.map((e: { kurnia: { loansDisbursed: number } }) => e.kurnia.loansDisbursed)).toEqual(
        KELURAHAN.map((k) => expected.get(k.code)?.loansDisbursed ?? 0),
      );
    });
    expect(commands).toBeLessThanOrEqual(2);
  });
});

describe('resident fields: caseworker and the agency read, everyone else is refused', () => {
  const RESIDENT_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { id
    kurniaLoans { id principal tier kelurahan { code } instalments { number amount } standing(asOf: "2024-12-31") { collectibility outstanding } }
    kurniaApplications { id status amountRequested } } } }`;

  async function aBorrower() {
    const loan = await graph.models.Loan.findOne({ disbursedAt: { $lt: new Date('2022-01-01') } }).lean();
    return loan!;
  }

  it('gives the caseworker the loans and applications of the resident', async () => {
    const loan = await aBorrower();
    const result = await graph.queryWithGrant(RESIDENT_QUERY, { r: [{ __typename: 'Resident', id: loan.residentId }] }, 'caseworker');
    expect(result.errors).toBeUndefined();
    const resident = result.data._entities[0];
    expect(resident.kurniaLoans).toHaveLength(1);
    expect(resident.kurniaLoans[0]).toMatchObject({ id: String(loan._id), principal: loan.principal, tier: loan.tier });
    expect(resident.kurniaLoans[0].instalments).toHaveLength(36);
    expect(resident.kurniaApplications.map((a: { id: string }) => a.id)).toEqual([String(loan.applicationId)]);
  });

  it('lets the owning agency read them too', async () => {
    const loan = await aBorrower();
    const result = await graph.queryWithGrant(RESIDENT_QUERY, { r: [{ __typename: 'Resident', id: loan.residentId }] }, STAFF);
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].kurniaLoans[0].id).toBe(String(loan._id));
  });

  for (const role of ['public', 'dashboard', 'auditor', 'agency:tax'] as const) {
    it(`refuses role ${role} with FORBIDDEN on each field`, async () => {
      const loan = await aBorrower();
      const result = await graph.queryWithGrant(RESIDENT_QUERY, { r: [{ __typename: 'Resident', id: loan.residentId }] }, role);
      expect(result.data._entities[0]).toEqual({ id: loan.residentId, kurniaLoans: null, kurniaApplications: null });
      expect(errorCodes(result)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    });
  }

  it('answers empty lists for a resident the agency does not know', async () => {
    const unknown = residentId('3571019999990001', TEST_SECRETS.residentIdSecret);
    const result = await graph.queryWithGrant(RESIDENT_QUERY, { r: [{ __typename: 'Resident', id: unknown }] }, 'caseworker');
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toEqual({ id: unknown, kurniaLoans: [], kurniaApplications: [] });
  });

  it("refuses a resident lookup that carries no grant from the gateway with HTTP 403, whatever the caller's role", async () => {
    const loan = await aBorrower();
    for (const role of ['caseworker', STAFF] as const) {
      const result = await graph.query(RESIDENT_QUERY, { r: [{ __typename: 'Resident', id: loan.residentId }] }, role);
      expect(result.status).toBe(403);
      expect(result.data).toBeUndefined();
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    }
  });

  it("keeps the applicant's name from the caseworker", async () => {
    const loan = await aBorrower();
    const result = await graph.queryWithGrant(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { kurniaApplications { applicant { name businessName } } } } }`,
      { r: [{ __typename: 'Resident', id: loan.residentId }] },
      'caseworker',
    );
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(result.data._entities[0].kurniaApplications[0].applicant.businessName).toEqual(expect.any(String));
  });
});

describe('staff queries: filters and pagination', () => {
  it('refuses the lists to anyone but the agency', async () => {
    for (const role of ['public', 'dashboard', 'caseworker'] as const) {
      const result = await graph.query('{ kurniaLoans { totalCount } }', {}, role);
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    }
  });

  it('pages through the 2023 loans without gaps or repeats', async () => {
    const query = `query($after: String) { kurniaLoans(year: 2023, first: 100, after: $after) {
      nodes { id disbursedAt } pageInfo { hasNextPage endCursor } totalCount } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result: GraphQLResult = await graph.query(query, { after }, STAFF);
      expect(result.errors).toBeUndefined();
      const connection = result.data.kurniaLoans;
      expect(connection.totalCount).toBe(198);
      for (const node of connection.nodes) {
        expect(node.disbursedAt.startsWith('2023-')).toBe(true);
        seen.push(node.id);
      }
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(198);
    expect(new Set(seen).size).toBe(198);
  });

  it('filters applications by status and kelurahan', async () => {
    const rejected = await graph.models.Application.countDocuments({ status: 'rejected' });
    const result = await graph.query(
      `{ kurniaApplications(status: rejected, first: 5) { totalCount nodes { status rejectionReason decidedAt applicant { name kelurahan { code } } } } }`,
      {},
      STAFF,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.kurniaApplications.totalCount).toBe(rejected);
    for (const node of result.data.kurniaApplications.nodes) {
      expect(node).toMatchObject({ status: 'rejected', rejectionReason: expect.any(String), decidedAt: expect.any(String) });
      expect(node.applicant.name).toEqual(expect.any(String));
    }
    const code = KELURAHAN[5].code;
    const inKelurahan = await graph.models.Application.countDocuments({ kelurahanCode: code });
    const byPlace = await graph.query(`query($c: String) { kurniaApplications(kelurahanCode: $c) { totalCount } }`, { c: code }, STAFF);
    expect(byPlace.data.kurniaApplications.totalCount).toBe(inKelurahan);
  });

  it('names the argument at fault', async () => {
    const cases: [string, string][] = [
      ['{ kurniaLoans(first: 101) { totalCount } }', 'first'],
      ['{ kurniaLoans(kelurahanCode: "35.71.09.1001") { totalCount } }', 'kelurahanCode'],
      ['{ kurniaLoans(year: 1999) { totalCount } }', 'year'],
      ['{ kurniaLoan(id: "not-an-id") { id } }', 'id'],
      ['{ kurniaScheduleQuote(principal: 100000001, disbursedAt: "2024-01-01") { totalInterest } }', 'principal'],
      ['{ kurniaScheduleQuote(principal: 1000000, disbursedAt: "2024-02-30") { totalInterest } }', 'disbursedAt'],
    ];
    for (const [query, field] of cases) {
      const error = firstError(await graph.query(query, {}, STAFF));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('quotes a schedule to anyone, to the rupiah', async () => {
    const result = await graph.query(
      '{ kurniaScheduleQuote(principal: 7777777, disbursedAt: "2024-01-31") { totalInterest totalRepayable instalments { number dueDate amount } } }',
    );
    expect(result.errors).toBeUndefined();
    const quote = result.data.kurniaScheduleQuote;
    expect(quote.totalInterest).toBe(466_666);
    expect(quote.totalRepayable).toBe(8_244_443);
    expect(quote.instalments[0]).toEqual({ number: 1, dueDate: '2024-02-29', amount: 229_011 });
    expect(quote.instalments[35]).toEqual({ number: 36, dueDate: '2027-01-31', amount: 229_058 });
  });

  it("computes a loan's standing from its repayments", async () => {
    const loan = (await graph.models.Loan.findOne({ disbursedAt: { $gte: new Date('2022-01-01') } }).lean())!;
    const repayments = await graph.models.Repayment.find({ loanId: loan._id, paidAt: { $lt: new Date('2024-01-01') } }).lean();
    const repaid = repayments.reduce((sum, r) => sum + r.amount, 0);
    const result = await graph.query(
      `query($id: ID!) { kurniaLoan(id: $id) { principal totalRepayable repayments { amount } standing(asOf: "2023-12-31") { amountRepaid outstanding } } }`,
      { id: String(loan._id) },
      STAFF,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.kurniaLoan.standing).toEqual({
      amountRepaid: repaid,
      outstanding: loan.principal + loan.totalInterest - repaid,
    });
  });
});

describe('mutations: apply, verify, approve, disburse, repay', () => {
  const NIK = '3571025506880007';
  const SUBMIT = `mutation($input: SubmitKurniaApplicationInput!) { submitKurniaApplication(input: $input) { id status tier amountRequested submittedAt } }`;
  const VERIFY = `mutation($id: ID!) { verifyKurniaApplication(id: $id, verifiedAt: "2026-03-05") { id status verifiedAt } }`;
  const APPROVE = `mutation($id: ID!, $amount: Float!) { approveKurniaApplication(id: $id, approvedAmount: $amount, decidedAt: "2026-03-10") { id status approvedAmount } }`;
  const DISBURSE = `mutation($id: ID!, $at: String!) { disburseKurniaLoan(applicationId: $id, disbursedAt: $at) {
    id principal ratePercent tenorMonths scheduleKind totalInterest totalRepayable disbursedAt
    instalments { number dueDate principal interest amount } application { status } } }`;
  const REPAY = `mutation($input: RecordKurniaRepaymentInput!) { recordKurniaRepayment(input: $input) { id amount paidAt reference loan { id } } }`;

  const input = (overrides: Record<string, unknown> = {}) => ({
    nik: NIK,
    name: 'Sri Wulandari',
    birthDate: '1988-06-15',
    kelurahanCode: '35.71.02.1006',
    businessName: 'Warung Pecel Sri',
    businessSector: 'culinary',
    hasBusinessLicence: true,
    tier: 'micro_small_10_25m',
    amountRequested: 15_000_000,
    submittedAt: '2026-03-02',
    idempotencyKey: 'test-submit-0001',
    ...overrides,
  });

  let applicationId: string;
  let loanId: string;

  it('runs the whole happy path, each retry counted once', async () => {
    const before = await counts();
    const submitted = await graph.query(SUBMIT, { input: input() }, STAFF);
    expect(submitted.errors).toBeUndefined();
    expect(submitted.data.submitKurniaApplication).toMatchObject({
      status: 'submitted',
      tier: 'micro_small_10_25m',
      amountRequested: 15_000_000,
      submittedAt: '2026-03-02T00:00:00.000Z',
    });
    applicationId = submitted.data.submitKurniaApplication.id;

    const retried = await graph.query(SUBMIT, { input: input() }, STAFF);
    expect(retried.data.submitKurniaApplication.id).toBe(applicationId);

    const verified = await graph.query(VERIFY, { id: applicationId }, STAFF);
    expect(verified.data.verifyKurniaApplication).toMatchObject({ status: 'verified', verifiedAt: '2026-03-05T00:00:00.000Z' });

    const approved = await graph.query(APPROVE, { id: applicationId, amount: 12_000_000 }, STAFF);
    expect(approved.errors).toBeUndefined();
    expect(approved.data.approveKurniaApplication).toMatchObject({ status: 'approved', approvedAmount: 12_000_000 });
    const approvedAgain = await graph.query(APPROVE, { id: applicationId, amount: 12_000_000 }, STAFF);
    expect(approvedAgain.data.approveKurniaApplication.status).toBe('approved');

    const disbursed = await graph.query(DISBURSE, { id: applicationId, at: '2026-03-16' }, STAFF);
    expect(disbursed.errors).toBeUndefined();
    const loan = disbursed.data.disburseKurniaLoan;
    expect(loan).toMatchObject({
      principal: 12_000_000,
      ratePercent: 2,
      tenorMonths: 36,
      scheduleKind: 'flat',
      totalInterest: 720_000,
      totalRepayable: 12_720_000,
      disbursedAt: '2026-03-16T00:00:00.000Z',
      application: { status: 'disbursed' },
    });
    // 12,000,000 / 36 = 333,333.33 and 720,000 / 36 = 20,000: the 36th instalment takes the 12 rupiah left.
    expect(loan.instalments[0]).toEqual({ number: 1, dueDate: '2026-04-16', principal: 333_333, interest: 20_000, amount: 353_333 });
    expect(loan.instalments[35]).toEqual({ number: 36, dueDate: '2029-03-16', principal: 333_345, interest: 20_000, amount: 353_345 });
    loanId = loan.id;

    const again = await graph.query(DISBURSE, { id: applicationId, at: '2026-03-20' }, STAFF);
    expect(again.data.disburseKurniaLoan.id).toBe(loanId);
    expect(again.data.disburseKurniaLoan.disbursedAt).toBe('2026-03-16T00:00:00.000Z');

    const repayment = { loanId, amount: 353_333, paidAt: '2026-04-15', reference: 'BJTM-2026-000123' };
    const paid = await graph.query(REPAY, { input: repayment }, STAFF);
    expect(paid.errors).toBeUndefined();
    expect(paid.data.recordKurniaRepayment).toMatchObject({ amount: 353_333, reference: 'BJTM-2026-000123', loan: { id: loanId } });
    const paidAgain = await graph.query(REPAY, { input: repayment }, STAFF);
    expect(paidAgain.data.recordKurniaRepayment.id).toBe(paid.data.recordKurniaRepayment.id);

    expect(await counts()).toEqual({
      applicants: before.applicants + 1,
      applications: before.applications + 1,
      loans: before.loans + 1,
      repayments: before.repayments + 1,
    });

    const standing = await graph.query(
      `query($id: ID!) { kurniaLoan(id: $id) { standing(asOf: "2026-05-20") { amountDue amountRepaid outstanding daysPastDue collectibility } } }`,
      { id: loanId },
      STAFF,
    );
    // Two instalments have fallen due (16 April and 16 May); one is paid, the second is 4 days late.
    expect(standing.data.kurniaLoan.standing).toEqual({
      amountDue: 706_666,
      amountRepaid: 353_333,
      outstanding: 12_720_000 - 353_333,
      daysPastDue: 4,
      collectibility: 'late',
    });

    const resident = residentId(NIK, TEST_SECRETS.residentIdSecret);
    const mine = await graph.queryWithGrant(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { kurniaLoans { id } } } }`,
      { r: [{ __typename: 'Resident', id: resident }] },
      'caseworker',
    );
    expect(mine.data._entities[0].kurniaLoans).toEqual([{ id: loanId }]);
    const stored = await graph.models.Applicant.findOne({ residentId: resident }).lean();
    expect(stored?.nik).toBe(NIK);
  });

  it('refuses a repayment above the outstanding amount with CONFLICT and writes nothing', async () => {
    const before = await counts();
    const result = await graph.query(
      REPAY,
      { input: { loanId, amount: 12_720_000, paidAt: '2026-05-15', reference: 'BJTM-2026-000999' } },
      STAFF,
    );
    // What is owed is the loan's state, not the argument's shape: CONFLICT since the agency contract.
    expect(firstError(result).extensions).toMatchObject({ code: 'CONFLICT', field: 'amount' });
    expect(await counts()).toEqual(before);
  });

  it('lets only one of two receipts recorded at once settle the same outstanding amount', async () => {
    const loan = (await graph.models.Loan.findById(loanId).lean())!;
    const repaid = await graph.models.Repayment.find({ loanId: loan._id }).lean();
    const outstanding = loan.principal + loan.totalInterest - repaid.reduce((sum, r) => sum + r.amount, 0);
    const before = await counts();
    const receipt = (reference: string) =>
      graph.query(REPAY, { input: { loanId, amount: outstanding, paidAt: '2026-05-16', reference } }, STAFF);
    const results = await Promise.all([receipt('BJTM-2026-000501'), receipt('BJTM-2026-000502')]);
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    const refused = results.find((result) => result.errors !== undefined)!;
    expect(firstError(refused).extensions).toMatchObject({ code: 'CONFLICT', field: 'amount' });
    expect(await counts()).toEqual({ ...before, repayments: before.repayments + 1 });
  });

  it('refuses a reference already used for another loan', async () => {
    const other = (await graph.models.Loan.findOne({ _id: { $ne: loanId } }).lean())!;
    const result = await graph.query(
      REPAY,
      { input: { loanId: String(other._id), amount: 1_000, paidAt: '2026-05-15', reference: 'BJTM-2026-000123' } },
      STAFF,
    );
    expect(firstError(result).extensions).toMatchObject({ code: 'CONFLICT', field: 'reference' });
  });

  it('names the field of every invalid submission and writes nothing', async () => {
    const before = await counts();
    const cases: [Record<string, unknown>, string][] = [
      [{ nik: '3578011506880001' }, 'nik'],
      [{ nik: '35710215' }, 'nik'],
      [{ name: ' ' }, 'name'],
      [{ birthDate: '1960-01-01' }, 'birthDate'],
      [{ birthDate: '1988-13-01' }, 'birthDate'],
      [{ kelurahanCode: '35.71.04.1001' }, 'kelurahanCode'],
      [{ businessName: 'X' }, 'businessName'],
      [{ amountRequested: 30_000_000 }, 'amountRequested'],
      [{ amountRequested: 15_000_000.5 }, 'amountRequested'],
      [{ tier: 'micro_small_under_10m', amountRequested: 12_000_000 }, 'amountRequested'],
      [{ hasBusinessLicence: false }, 'hasBusinessLicence'],
      [{ submittedAt: '2099-01-01' }, 'submittedAt'],
      [{ idempotencyKey: 'short' }, 'idempotencyKey'],
    ];
    for (const [overrides, field] of cases) {
      const result = await graph.query(SUBMIT, { input: input({ idempotencyKey: `bad-${field}-0001`, ...overrides }) }, STAFF);
      expect(firstError(result).extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await counts()).toEqual(before);
  });

  it('enforces the status order and the approval rules', async () => {
    const fresh = await graph.query(SUBMIT, { input: input({ idempotencyKey: 'test-submit-0002', amountRequested: 20_000_000 }) }, STAFF);
    const id = fresh.data.submitKurniaApplication.id;

    const early = await graph.query(APPROVE, { id, amount: 20_000_000 }, STAFF);
    expect(firstError(early).extensions).toMatchObject({ code: 'CONFLICT', field: 'status' });
    const notYet = await graph.query(DISBURSE, { id, at: '2026-03-20' }, STAFF);
    expect(firstError(notYet).extensions?.code).toBe('CONFLICT');

    await graph.query(VERIFY, { id }, STAFF);
    const tooMuch = await graph.query(APPROVE, { id, amount: 21_000_000 }, STAFF);
    expect(firstError(tooMuch).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'approvedAmount' });
    const belowTier = await graph.query(APPROVE, { id, amount: 9_000_000 }, STAFF);
    expect(firstError(belowTier).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'approvedAmount' });
    const stored = await graph.models.Application.findById(id).lean();
    expect(stored).toMatchObject({ status: 'verified', approvedAmount: null });

    const rejected = await graph.query(
      `mutation($id: ID!) { rejectKurniaApplication(id: $id, reason: "The business was not found at the address.", decidedAt: "2026-03-12") { status rejectionReason } }`,
      { id },
      STAFF,
    );
    expect(rejected.data.rejectKurniaApplication).toEqual({ status: 'rejected', rejectionReason: 'The business was not found at the address.' });
    const afterRejection = await graph.query(APPROVE, { id, amount: 20_000_000 }, STAFF);
    expect(firstError(afterRejection).extensions?.code).toBe('CONFLICT');
  });

  it('refuses a different amount on an approved application and a disbursal before approval date', async () => {
    const again = await graph.query(APPROVE, { id: applicationId, amount: 11_000_000 }, STAFF);
    expect(firstError(again).extensions).toMatchObject({ code: 'CONFLICT', field: 'approvedAmount' });

    const other = await graph.query(SUBMIT, { input: input({ idempotencyKey: 'test-submit-0003' }) }, STAFF);
    const id = other.data.submitKurniaApplication.id;
    await graph.query(VERIFY, { id }, STAFF);
    await graph.query(APPROVE, { id, amount: 15_000_000 }, STAFF);
    const before = await counts();
    const early = await graph.query(DISBURSE, { id, at: '2026-03-01' }, STAFF);
    expect(firstError(early).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'disbursedAt' });
    const missing = await graph.query(REPAY, { input: { loanId, amount: 1_000, paidAt: '2026-03-01', reference: 'BJTM-EARLY-01' } }, STAFF);
    expect(firstError(missing).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'paidAt' });
    expect(await counts()).toEqual(before);
  });

  it('refuses every staff mutation to other roles with FORBIDDEN and writes nothing', async () => {
    const before = await counts();
    for (const role of ['public', 'dashboard', 'caseworker', 'agency:tax'] as const) {
      const submit = await graph.query(SUBMIT, { input: input({ idempotencyKey: `forbidden-${role}` }) }, role);
      expect(errorCodes(submit)).toEqual(['FORBIDDEN']);
      const repay = await graph.query(REPAY, { input: { loanId, amount: 1_000, paidAt: '2026-05-01', reference: `X-${role}` } }, role);
      expect(errorCodes(repay)).toEqual(['FORBIDDEN']);
    }
    expect(await counts()).toEqual(before);
  });
});

const SUBMIT_FULL = `mutation($input: SubmitKurniaApplicationInput!) {
  submitKurniaApplication(input: $input) { id status tier amountRequested submittedAt applicant { id name } } }`;
const APPLICATION_FIELDS = 'id status amountRequested approvedAmount submittedAt verifiedAt decidedAt rejectionReason';
const VERIFY_NOW = `mutation($id: ID!, $day: String) { verifyKurniaApplication(id: $id, verifiedAt: $day) { ${APPLICATION_FIELDS} } }`;
const APPROVE_NOW = `mutation($id: ID!, $amount: Float!) { approveKurniaApplication(id: $id, approvedAmount: $amount) { ${APPLICATION_FIELDS} } }`;
const REJECT_NOW = `mutation($id: ID!, $reason: String!) { rejectKurniaApplication(id: $id, reason: $reason) { ${APPLICATION_FIELDS} } }`;
const DISBURSE_NOW = `mutation($id: ID!, $day: String!) { disburseKurniaLoan(applicationId: $id, disbursedAt: $day) {
  id principal totalInterest disbursedAt instalments { number dueDate amount } application { id status } } }`;
const REPAY_NOW = `mutation($input: RecordKurniaRepaymentInput!) { recordKurniaRepayment(input: $input) { id amount paidAt reference loan { id } } }`;

let applicantSerial = 100;

/** A new applicant's submission dated today, with a NIK of its own. */
function newSubmission(overrides: Record<string, unknown> = {}) {
  applicantSerial += 1;
  return {
    nik: `3571031203900${String(applicantSerial).padStart(3, '0')}`,
    name: 'Dwi Lestari',
    birthDate: '1990-03-12',
    kelurahanCode: KELURAHAN[40].code,
    businessName: 'Kedai Dwi',
    businessSector: 'culinary',
    hasBusinessLicence: true,
    tier: 'micro_small_10_25m',
    amountRequested: 20_000_000,
    submittedAt: TODAY,
    idempotencyKey: `state-${applicantSerial}-${TODAY}`,
    ...overrides,
  };
}

function expectError(result: GraphQLResult, code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT', field?: string) {
  const error = firstError(result);
  expect(error.extensions?.code, error.message).toBe(code);
  if (field) expect(error.extensions?.field, error.message).toBe(field);
  return error;
}

/** A fresh application brought to `status` through the staff API, every step dated today. */
async function applicationIn(status: 'submitted' | 'verified' | 'approved' | 'rejected' | 'disbursed'): Promise<{ applicationId: string; loanId?: string }> {
  const submitted = await graph.query(SUBMIT_FULL, { input: newSubmission() }, STAFF);
  expect(submitted.errors).toBeUndefined();
  const applicationId: string = submitted.data.submitKurniaApplication.id;
  const steps: [string, Record<string, unknown>][] = [];
  if (status === 'rejected') steps.push([REJECT_NOW, { reason: 'The business was not found at the address.' }]);
  if (['verified', 'approved', 'disbursed'].includes(status)) steps.push([VERIFY_NOW, {}]);
  if (['approved', 'disbursed'].includes(status)) steps.push([APPROVE_NOW, { amount: 18_000_000 }]);
  if (status === 'disbursed') steps.push([DISBURSE_NOW, { day: TODAY }]);
  let loanId: string | undefined;
  for (const [query, variables] of steps) {
    const result = await graph.query(query, { id: applicationId, ...variables }, STAFF);
    expect(result.errors).toBeUndefined();
    loanId = result.data.disburseKurniaLoan?.id ?? loanId;
  }
  return { applicationId, loanId };
}

/** A staff member's context for calling a mutation in-process, as the kit builds one for a request. */
function staffContext(models: EconomyContext['models']): EconomyContext {
  const identity = { subject: 'test-staff', role: STAFF } as const;
  return {
    agency: 'economy',
    identity,
    models,
    loaders: createEconomyLoaders(models, identity),
    figures: smartEconomy.loader(graph.models, 'read-model'),
    secrets: { residentIdSecret: TEST_SECRETS.residentIdSecret },
    transaction: graph.transaction,
  };
}

describe('each mutation: BAD_USER_INPUT, NOT_FOUND and CONFLICT, each for what it means, and nothing written', () => {
  it('submitKurniaApplication (it refers to no existing record, so it has no NOT_FOUND)', async () => {
    const input = newSubmission();
    expect((await graph.query(SUBMIT_FULL, { input }, STAFF)).errors).toBeUndefined();
    const before = await counts();
    const unknownPlace = await graph.query(SUBMIT_FULL, { input: { ...input, idempotencyKey: `${input.idempotencyKey}-b`, kelurahanCode: '35.71.09.1001' } }, STAFF);
    expectError(unknownPlace, 'BAD_USER_INPUT', 'kelurahanCode');
    const reused = expectError(await graph.query(SUBMIT_FULL, { input: { ...input, amountRequested: 21_000_000 } }, STAFF), 'CONFLICT', 'idempotencyKey');
    expect(reused.message).toContain(input.idempotencyKey);
    expect(await counts()).toEqual(before);
  });

  it('verifyKurniaApplication', async () => {
    const rejected = (await graph.models.Application.findOne({ status: 'rejected' }).lean())!;
    const before = await counts();
    expectError(await graph.query(VERIFY_NOW, { id: 'application-1' }, STAFF), 'BAD_USER_INPUT', 'id');
    const { applicationId } = await applicationIn('submitted');
    expectError(await graph.query(VERIFY_NOW, { id: applicationId, day: '2026-02-30' }, STAFF), 'BAD_USER_INPUT', 'verifiedAt');
    expect(expectError(await graph.query(VERIFY_NOW, { id: MISSING_ID }, STAFF), 'NOT_FOUND').message).toContain(MISSING_ID);
    expect(expectError(await graph.query(VERIFY_NOW, { id: String(rejected._id) }, STAFF), 'CONFLICT', 'status').message).toMatch(/rejected/);
    expect(await graph.models.Application.findById(rejected._id).lean()).toEqual(rejected);
    expect((await graph.models.Application.findById(applicationId).lean())!.status).toBe('submitted');
    expect(await counts()).toEqual({ ...before, applicants: before.applicants + 1, applications: before.applications + 1 });
  });

  it('approveKurniaApplication', async () => {
    const { applicationId } = await applicationIn('verified');
    const { applicationId: fresh } = await applicationIn('submitted');
    const before = await counts();
    expectError(await graph.query(APPROVE_NOW, { id: applicationId, amount: 15_000_000.5 }, STAFF), 'BAD_USER_INPUT', 'approvedAmount');
    expectError(await graph.query(APPROVE_NOW, { id: MISSING_ID, amount: 15_000_000 }, STAFF), 'NOT_FOUND');
    expectError(await graph.query(APPROVE_NOW, { id: fresh, amount: 15_000_000 }, STAFF), 'CONFLICT', 'status');
    expect((await graph.models.Application.findById(applicationId).lean())).toMatchObject({ status: 'verified', approvedAmount: null });
    expect((await graph.models.Application.findById(fresh).lean())).toMatchObject({ status: 'submitted', approvedAmount: null });
    expect(await counts()).toEqual(before);
  });

  it('rejectKurniaApplication', async () => {
    const disbursed = (await graph.models.Application.findOne({ status: 'disbursed' }).lean())!;
    const { applicationId } = await applicationIn('submitted');
    expectError(await graph.query(REJECT_NOW, { id: applicationId, reason: 'No' }, STAFF), 'BAD_USER_INPUT', 'reason');
    expectError(await graph.query(REJECT_NOW, { id: MISSING_ID, reason: 'Documents incomplete.' }, STAFF), 'NOT_FOUND');
    expectError(await graph.query(REJECT_NOW, { id: String(disbursed._id), reason: 'Documents incomplete.' }, STAFF), 'CONFLICT', 'status');
    expect(await graph.models.Application.findById(disbursed._id).lean()).toEqual(disbursed);
    expect((await graph.models.Application.findById(applicationId).lean())!.status).toBe('submitted');
  });

  it('disburseKurniaLoan', async () => {
    const { applicationId } = await applicationIn('approved');
    const { applicationId: verified } = await applicationIn('verified');
    const before = await counts();
    expectError(await graph.query(DISBURSE_NOW, { id: applicationId, day: '2026-02-30' }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    expectError(await graph.query(DISBURSE_NOW, { id: applicationId, day: `${TODAY}T09:00:00+07:00` }, STAFF), 'BAD_USER_INPUT', 'disbursedAt');
    expectError(await graph.query(DISBURSE_NOW, { id: MISSING_ID, day: TODAY }, STAFF), 'NOT_FOUND');
    const early = expectError(await graph.query(DISBURSE_NOW, { id: verified, day: TODAY }, STAFF), 'CONFLICT', 'status');
    expect(early.message).toMatch(/verified/);
    expect(await counts()).toEqual(before);
    expect((await graph.models.Application.findById(applicationId).lean())!.status).toBe('approved');
  });

  it('recordKurniaRepayment', async () => {
    const { loanId } = await applicationIn('disbursed');
    const loan = (await graph.models.Loan.findById(loanId).lean<LoanDoc>())!;
    const owed = loan.principal + loan.totalInterest;
    const before = await counts();
    const input = { loanId, amount: 500_000, paidAt: TODAY, reference: `ERR-${loanId}` };
    expectError(await graph.query(REPAY_NOW, { input: { ...input, amount: 0 } }, STAFF), 'BAD_USER_INPUT', 'amount');
    expectError(await graph.query(REPAY_NOW, { input: { ...input, reference: ' ' } }, STAFF), 'BAD_USER_INPUT', 'reference');
    expectError(await graph.query(REPAY_NOW, { input: { ...input, loanId: MISSING_ID } }, STAFF), 'NOT_FOUND');
    const tooMuch = expectError(await graph.query(REPAY_NOW, { input: { ...input, amount: owed + 1 } }, STAFF), 'CONFLICT', 'amount');
    expect(tooMuch.message).toContain(`Rp${owed.toLocaleString('en-US')}`);
    expect(await counts()).toEqual(before);
    expect((await graph.models.Loan.findById(loanId).lean<LoanDoc>())!.amountRepaid).toBe(0);
  });
});

describe('twenty identical requests at once: every one answered with the first result, written once', () => {
  const twenty = (send: () => Promise<GraphQLResult>) => Promise.all(Array.from({ length: 20 }, send));

  function oneAnswer(results: GraphQLResult[], field: string) {
    expect(results.map((result) => result.errors)).toEqual(Array(20).fill(undefined));
    const answers = new Set(results.map((result) => JSON.stringify(result.data[field])));
    expect(answers.size).toBe(1);
    return results[0].data[field];
  }

  it('submitKurniaApplication: one application, one applicant', async () => {
    const input = newSubmission({ idempotencyKey: `storm-submit-${TODAY}` });
    const before = await counts();
    const application = oneAnswer(await twenty(() => graph.query(SUBMIT_FULL, { input }, STAFF)), 'submitKurniaApplication');
    expect(application).toMatchObject({ status: 'submitted', amountRequested: 20_000_000, submittedAt: `${TODAY}T00:00:00.000Z` });
    expect(await graph.models.Application.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await graph.models.Applicant.countDocuments({ residentId: residentId(input.nik, TEST_SECRETS.residentIdSecret) })).toBe(1);
    expect(await counts()).toEqual({ ...before, applicants: before.applicants + 1, applications: before.applications + 1 });
  }, 60_000);

  it('verifyKurniaApplication: verified once', async () => {
    const { applicationId } = await applicationIn('submitted');
    const application = oneAnswer(await twenty(() => graph.query(VERIFY_NOW, { id: applicationId }, STAFF)), 'verifyKurniaApplication');
    expect(application).toMatchObject({ id: applicationId, status: 'verified', verifiedAt: `${TODAY}T00:00:00.000Z` });
    expect((await graph.models.Application.findById(applicationId).lean())!.verifiedAt!.toISOString()).toBe(application.verifiedAt);
  }, 60_000);

  it('approveKurniaApplication: approved once, for the amount asked', async () => {
    const { applicationId } = await applicationIn('verified');
    const results = await twenty(() => graph.query(APPROVE_NOW, { id: applicationId, amount: 17_500_000 }, STAFF));
    const application = oneAnswer(results, 'approveKurniaApplication');
    expect(application).toMatchObject({ id: applicationId, status: 'approved', approvedAmount: 17_500_000, decidedAt: `${TODAY}T00:00:00.000Z` });
  }, 60_000);

  it('rejectKurniaApplication: rejected once, with its reason', async () => {
    const { applicationId } = await applicationIn('submitted');
    const reason = 'The applicant moved the business outside Kota Kediri.';
    const application = oneAnswer(await twenty(() => graph.query(REJECT_NOW, { id: applicationId, reason }, STAFF)), 'rejectKurniaApplication');
    expect(application).toMatchObject({ id: applicationId, status: 'rejected', rejectionReason: reason });
  }, 60_000);

  it('disburseKurniaLoan: one loan, and the application disbursed', async () => {
    const { applicationId } = await applicationIn('approved');
    const loan = oneAnswer(await twenty(() => graph.query(DISBURSE_NOW, { id: applicationId, day: TODAY }, STAFF)), 'disburseKurniaLoan');
    expect(loan).toMatchObject({ principal: 18_000_000, totalInterest: 1_080_000, application: { id: applicationId, status: 'disbursed' } });
    expect(await graph.models.Loan.countDocuments({ applicationId })).toBe(1);
  }, 60_000);

  it('recordKurniaRepayment: one repayment, counted once in the loan', async () => {
    const { loanId } = await applicationIn('disbursed');
    const input = { loanId, amount: 530_000, paidAt: TODAY, reference: `STORM-${loanId}` };
    const repayment = oneAnswer(await twenty(() => graph.query(REPAY_NOW, { input }, STAFF)), 'recordKurniaRepayment');
    expect(repayment).toMatchObject({ amount: 530_000, reference: input.reference, loan: { id: loanId } });
    expect(await graph.models.Repayment.countDocuments({ reference: input.reference })).toBe(1);
    expect((await graph.models.Loan.findById(loanId).lean<LoanDoc>())!.amountRepaid).toBe(530_000);
  }, 60_000);
});

describe('a write is all or nothing', () => {
  /** The subgraph's models with one operation of one model failing, as a full disk or a lost connection would. */
  function failingAt(model: 'Application' | 'Loan', operation: string): EconomyContext['models'] {
    const real = graph.models[model];
    const broken = new Proxy(real, {
      get(target, property) {
        if (property === operation) {
          return () => {
            throw new Error(`The disk filled up during ${model}.${operation}.`);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { ...graph.models, [model]: broken } as EconomyContext['models'];
  }

  /** What the write unit would change besides the records: the read model's figures and the data version. */
  async function readModelNow() {
    const figures = await graph.models.Figures.find({ year: { $gte: kediriYear(new Date()) } }).sort({ _id: 1 }).lean();
    const version = await graph.models.DataVersion.findById('economy').lean();
    return { figures, version };
  }

  it('leaves no loan when marking the application disbursed, the last step of a disbursal, fails', async () => {
    const { applicationId } = await applicationIn('approved');
    const before = { counts: await counts(), readModel: await readModelNow() };
    await expect(disburseKurniaLoan({ applicationId, disbursedAt: TODAY }, staffContext(failingAt('Application', 'updateOne')))).rejects.toThrow(
      /disk filled up during Application.updateOne/,
    );
    expect(await counts()).toEqual(before.counts);
    expect(await readModelNow()).toEqual(before.readModel);
    expect((await graph.models.Application.findById(applicationId).lean())!.status).toBe('approved');

    // Nothing half-done is left to repair: the same disbursal, tried again, writes it all once.
    const retried = await graph.query(DISBURSE_NOW, { id: applicationId, day: TODAY }, STAFF);
    expect(retried.errors).toBeUndefined();
    expect(retried.data.disburseKurniaLoan.application.status).toBe('disbursed');
    expect(await counts()).toEqual({ ...before.counts, loans: before.counts.loans + 1 });
  });

  it("leaves no repayment when raising the loan's repaid total, the last step of a repayment, fails", async () => {
    const { loanId } = await applicationIn('disbursed');
    const before = { counts: await counts(), readModel: await readModelNow() };
    const input = { loanId: loanId!, amount: 530_000, paidAt: TODAY, reference: `CUT-${loanId}` };
    await expect(recordKurniaRepayment(input, staffContext(failingAt('Loan', 'updateOne')))).rejects.toThrow(/disk filled up during Loan.updateOne/);
    expect(await counts()).toEqual(before.counts);
    expect(await readModelNow()).toEqual(before.readModel);
    expect(await graph.models.Repayment.countDocuments({ reference: input.reference })).toBe(0);
  });

  it('lets one of two repayments that together exceed what is owed through, refuses the other with CONFLICT, never overpays', async () => {
    const { loanId } = await applicationIn('disbursed');
    const loan = (await graph.models.Loan.findById(loanId).lean<LoanDoc>())!;
    const owed = loan.principal + loan.totalInterest;
    const part = Math.ceil(owed * 0.6);
    const receipt = (reference: string) => graph.query(REPAY_NOW, { input: { loanId, amount: part, paidAt: TODAY, reference } }, STAFF);
    const results = await Promise.all([receipt(`HALF-A-${loanId}`), receipt(`HALF-B-${loanId}`)]);
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expectError(results.find((result) => result.errors !== undefined)!, 'CONFLICT', 'amount');
    const repayments = await graph.models.Repayment.find({ loanId: loan._id }).lean();
    expect(repayments.map((repayment) => repayment.amount)).toEqual([part]);
    expect((await graph.models.Loan.findById(loanId).lean<LoanDoc>())!.amountRepaid).toBe(part);
  });
});

describe('entity references', () => {
  it('resolves a Kelurahan reference with an unknown code to null, without an error', async () => {
    const known = KELURAHAN[3].code;
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code kurnia(year: 2023) { loansDisbursed } } } }`,
      { r: [{ __typename: 'Kelurahan', code: '35.71.09.9999' }, { __typename: 'Kelurahan', code: known }] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    const expected = (await expectedFigures(2023)).get(known)?.loansDisbursed ?? 0;
    expect(result.data._entities).toEqual([null, { code: known, kurnia: { loansDisbursed: expected } }]);
  });
});

describe('the read model stays exact under writes', () => {
  it('equals a full re-aggregation, figure by figure, after 60 random valid writes of every kind', async () => {
    const random = createRandom('economy-read-model');
    const staff = { query: (query: string, variables?: Record<string, unknown>) => graph.query(query, variables, STAFF), models: graph.models };
    const done: string[] = [];
    for (let i = 0; i < 60; i += 1) done.push(await randomWrites(random, staff));
    for (const kind of ['submitted', 'verified', 'approved', 'rejected', 'disbursed', 'repaid']) {
      expect(done.some((label) => label.startsWith(kind)), kind).toBe(true);
    }
    expect(await smartEconomy.check(graph.models)).toEqual([]);

    // And each loan's repaid total, the document every repayment writes, is what its repayments add up to.
    const sums = await graph.models.Repayment.aggregate<{ _id: unknown; total: number }>([{ $group: { _id: '$loanId', total: { $sum: '$amount' } } }]);
    const byLoan = new Map(sums.map((row) => [String(row._id), row.total]));
    const loans = await graph.models.Loan.find({}, { amountRepaid: 1 }).lean<LoanDoc[]>();
    expect(loans.filter((loan) => loan.amountRepaid !== (byLoan.get(String(loan._id)) ?? 0))).toEqual([]);
  }, 180_000);

  it('answers the scorecard from the read model with the figures a raw aggregation gives', async () => {
    const asFields = (figures: EconomyFigures) => ({
      loansDisbursed: figures.loansDisbursed,
      amountDisbursed: figures.amountDisbursed,
      interestRatePercent: figures.amountDisbursed ? Math.round((figures.principalTimesRatePercent / figures.amountDisbursed) * 100) / 100 : null,
      nonPerformingRate: rate(figures.nonPerformingLoans, figures.outstandingLoans),
      outstandingLoans: figures.outstandingLoans,
      applicationsSubmitted: figures.applicationsSubmitted,
    });
    for (const year of [2024, kediriYear(new Date())]) {
      const city = (await tallyFigures(graph.models, year, null)).get(CITY)!;
      const result = await graph.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year }] });
      expect(result.errors).toBeUndefined();
      expect(result.data._entities[0]).toEqual({ year, economy: asFields(city) });

      const codes = KELURAHAN.map((k) => k.code);
      const places = await tallyFigures(graph.models, year, codes);
      const kelurahan = await graph.query(KELURAHAN_QUERY, { r: kelurahanReps(year) }, 'dashboard');
      expect(kelurahan.errors).toBeUndefined();
      expect(kelurahan.data._entities).toEqual(codes.map((code) => ({ kelurahanCode: code, year, economy: asFields(places.get(code)!) })));
    }
  });
});
