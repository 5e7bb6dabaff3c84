import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KELURAHAN } from '../subgraphs/kit/reference/kelurahan';
import { SUBGRAPHS } from '../subgraphs/registry';
import { startCityGraph, type CityGraph } from './support/cityGraph';

/**
 * The whole graph, all six agencies and the city, seeded with the sample data, behind the gateway: the
 * city's scorecard, suppression of small counts, one resident across agencies with its audit record, and
 * the number of database round trips a city-wide query costs.
 */
let graph: CityGraph;

beforeAll(async () => {
  // Every request here reaches the subgraphs: the response cache has tests of its own.
  graph = await startCityGraph({ gatewayEnv: { GATEWAY_RESPONSE_CACHE_TTL_MS: '0' } });
}, 300_000);

afterAll(async () => {
  await graph?.stop();
});

const CITY_SCORECARD = `{ cityScorecard(year: 2023) {
    year
    governance { taxReportsFiled onTimeFilingRate taxRevenue }
    branding { prodamasBudget prodamasProposals realizationRate }
    economy { loansDisbursed amountDisbursed interestRatePercent nonPerformingRate }
    living { homecarePatients homecareVisits medianResponseHours }
    society { emasSpots activeEmasSpots participants tutors }
    environment { wasteBanks activeWasteBanks members tonnesRecovered }
} }`;

const KELURAHAN_SCORECARDS = `{ kelurahanList { code name scorecard(year: 2023) { environment { wasteBanks activeWasteBanks } society { emasSpots } } } }`;

describe('the city scorecard for 2023, without credentials', () => {
  it('fills all six pillars from the agencies data, reproducing the published figures', async () => {
    const result = await graph.query(CITY_SCORECARD);
    expect(result.errors).toBeUndefined();
    const card = result.data.cityScorecard;
    expect(card.year).toBe(2023);
    for (const pillar of ['governance', 'branding', 'economy', 'living', 'society', 'environment']) {
      expect(card[pillar], pillar).not.toBeNull();
      for (const [field, value] of Object.entries(card[pillar])) expect(value, `${pillar}.${field}`).toEqual(expect.any(Number));
    }
    expect(card.environment).toMatchObject({ wasteBanks: 134, activeWasteBanks: 63 });
    expect(card.environment.tonnesRecovered).toBeGreaterThan(150);
    expect(card.environment.tonnesRecovered).toBeLessThan(250);
    expect(card.economy.interestRatePercent).toBe(2);
    expect(card.society.emasSpots).toBeGreaterThanOrEqual(100);
    expect(card.society.emasSpots).toBeLessThanOrEqual(115);
    expect(card.society.participants).toBeGreaterThanOrEqual(2_200);
    expect(card.society.participants).toBeLessThanOrEqual(2_400);
    expect(card.society.tutors).toBe(42);
    expect(card.branding.prodamasProposals).toBeGreaterThan(1_478);
    expect(card.governance.taxReportsFiled).toBeGreaterThanOrEqual(12_000);
    expect(card.governance.taxReportsFiled).toBeLessThanOrEqual(36_000);
  });

  it('gives every kelurahan its pillars: 134 waste banks in 24 kelurahan, 22 with none, a spot in each', async () => {
    const result = await graph.query(KELURAHAN_SCORECARDS);
    expect(result.errors).toBeUndefined();
    const list = result.data.kelurahanList as { scorecard: { environment: { wasteBanks: number; activeWasteBanks: number }; society: { emasSpots: number } } }[];
    expect(list).toHaveLength(46);
    const banks = list.map((k) => k.scorecard.environment.wasteBanks);
    expect(banks.reduce((a, b) => a + b, 0)).toBe(134);
    expect(list.reduce((sum, k) => sum + k.scorecard.environment.activeWasteBanks, 0)).toBe(63);
    expect(banks.filter((count) => count === 0)).toHaveLength(22);
    expect(list.every((k) => k.scorecard.society.emasSpots >= 1)).toBe(true);
  });
});

describe('small counts of people are withheld from the public, not from dashboards', () => {
  const PEOPLE = `{ kelurahanList { code scorecard(year: 2023) { living { homecarePatients } environment { wasteBanks members } } } }`;

  it('nulls kelurahan counts of people below 5 for the public, explaining why, and never facility counts', async () => {
    const result = await graph.query(PEOPLE);
    const list = result.data.kelurahanList as { scorecard: { living: { homecarePatients: number | null } | null; environment: { wasteBanks: number; members: number | null } } }[];
    const suppressed = (result.errors ?? []).filter((error) => error.extensions?.code === 'SUPPRESSED_SMALL_COUNT');
    expect(suppressed.length).toBeGreaterThan(0);
    expect(suppressed[0].message).toMatch(/below 5|fewer than 5/);
    for (const k of list) {
      expect(k.scorecard.environment.wasteBanks).toEqual(expect.any(Number));
      const patients = k.scorecard.living?.homecarePatients;
      if (patients !== null && patients !== undefined) expect(patients).toBeGreaterThanOrEqual(5);
      if (k.scorecard.environment.members !== null) expect(k.scorecard.environment.members).toBeGreaterThanOrEqual(5);
    }
  });

  it('gives dashboards every exact figure', async () => {
    const result = await graph.query(PEOPLE, {}, 'dashboard');
    expect(result.errors).toBeUndefined();
    const list = result.data.kelurahanList as { scorecard: { living: { homecarePatients: number }; environment: { members: number } } }[];
    expect(list.some((k) => k.scorecard.living.homecarePatients < 5)).toBe(true);
    expect(list.every((k) => Number.isInteger(k.scorecard.environment.members))).toBe(true);
  });
});

describe('personal data is read only by the agency that holds it', () => {
  const PERSONAL: [agency: string, query: string][] = [
    ['tax', '{ taxpayers(first: 2) { nodes { name npwpd } } }'],
    ['tax', '{ taxReports(first: 2) { nodes { id } } }'],
    ['health', '{ homecareRequests(first: 2) { nodes { complaint } } }'],
    ['environment', 'query($bank: String!) { wasteBankMembers(wasteBankCode: $bank, first: 2) { nodes { name balance } } }'],
    ['education', '{ emasParticipants(first: 2) { nodes { name ageBand } } }'],
    ['education', '{ emasTutors(first: 2) { nodes { name } } }'],
    ['economy', '{ kurniaApplications(first: 2) { nodes { amountRequested } } }'],
    ['economy', '{ kurniaLoans(first: 2) { nodes { principal } } }'],
  ];
  const OUTSIDERS = ['public', 'dashboard', 'caseworker', 'auditor'] as const;

  let variables: Record<string, unknown>;

  beforeAll(async () => {
    // Waste bank members are listed per bank: take an active bank from the public list.
    const banks = await graph.query('{ wasteBanks(status: ACTIVE, first: 1) { nodes { code } } }');
    variables = { bank: banks.data.wasteBanks.nodes[0].code };
  });

  it.each(PERSONAL)('%s: %s', async (agency, query) => {
    const owner = await graph.query(query, variables, `agency:${agency}`);
    expect(owner.errors).toBeUndefined();
    const [list] = Object.values(owner.data as Record<string, { nodes: unknown[] }>);
    expect(list.nodes).toHaveLength(2);

    const others = ['tax', 'health', 'environment', 'education', 'economy', 'branding'].filter((name) => name !== agency);
    for (const role of [...OUTSIDERS, ...others.map((name) => `agency:${name}` as const)]) {
      const result = await graph.query(query, variables, role);
      expect(result.data, role).toBeNull();
      expect(result.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
  });

  it('never exposes a NIK: no field of the supergraph is named after it', async () => {
    const result = await graph.query('{ __schema { types { name fields { name } } } }');
    const names = (result.data.__schema.types as { name: string; fields: { name: string }[] | null }[]).flatMap((type) => [
      type.name,
      ...(type.fields ?? []).map((field) => field.name),
    ]);
    expect(names.filter((name) => /nik/i.test(name))).toEqual([]);
  });
});

describe('database work per dashboard request: one indexed read per agency', () => {
  const AGENCIES_WITH_PILLARS = SUBGRAPHS.filter((entry) => entry.name !== 'city').length;

  /** Data commands (find, aggregate, getMore, ...) the query cost, counted by the store as mongod does. */
  async function commandsFor(query: string): Promise<number> {
    const before = await graph.dataCommands();
    const result = await graph.query(query, {}, 'dashboard');
    expect(result.errors).toBeUndefined();
    return (await graph.dataCommands()) - before;
  }

  const perKelurahan = (root: string) =>
    `{ ${root} { code scorecard(year: 2023) {
        governance { taxReportsFiled } branding { prodamasBudget } economy { loansDisbursed }
        living { homecarePatients } society { emasSpots } environment { wasteBanks activeWasteBanks }
    } } }`;

  it('costs one read per agency for the city scorecard, and the city none', async () => {
    expect(await commandsFor(CITY_SCORECARD)).toBe(AGENCIES_WITH_PILLARS);
  });

  it('costs exactly one read per agency for 1, 14 or all 46 kelurahan', async () => {
    expect(await commandsFor(perKelurahan('kelurahanList'))).toBe(AGENCIES_WITH_PILLARS);
    expect(await commandsFor(perKelurahan('kelurahanList(kecamatan: "35.71.01")'))).toBe(AGENCIES_WITH_PILLARS);
    expect(await commandsFor(perKelurahan('kelurahan(code: "35.71.01.1005")'))).toBe(AGENCIES_WITH_PILLARS);
  });

  it("reads the 46 kelurahan's figures through an index, examining only them, however many raw records there are", async () => {
    const client = await MongoClient.connect(graph.mongoUri);
    try {
      const figures = client.db('kediri_environment').collection('scorecard_figures');
      const keys = ['2023|city', ...KELURAHAN.map((k) => `2023|${k.code}`)];
      const explainRead = async () => (await figures.find({ _id: { $in: keys as never[] } }).explain('executionStats')) as any;
      const before = await explainRead();
      expect(JSON.stringify(before.queryPlanner.winningPlan)).not.toContain('COLLSCAN');
      expect(before.executionStats.totalDocsExamined).toBeLessThanOrEqual(keys.length);

      // Ten thousand more raw deposits: the scorecard's read neither grows nor changes its plan.
      const deposits = client.db('kediri_environment').collection('deposits');
      const sample = await deposits.findOne({});
      await deposits.insertMany(Array.from({ length: 10_000 }, (_, i) => ({ ...sample, _id: new ObjectId(), idempotencyKey: `extra-raw-deposit-${i}` })));
      const after = await explainRead();
      expect(after.executionStats.totalDocsExamined).toBe(before.executionStats.totalDocsExamined);
      expect(await commandsFor(perKelurahan('kelurahanList'))).toBe(AGENCIES_WITH_PILLARS);
    } finally {
      await client.close();
    }
  });
});



describe('one resident across agencies', () => {
  let residentId: string;
  let agenciesOfResident: string[];

  beforeAll(async () => {
    // Find, straight from the agencies' databases, a resident known to as many agencies as possible.
    const client = await MongoClient.connect(graph.mongoUri);
    const seen = new Map<string, Set<string>>();
    for (const agency of ['tax', 'health', 'environment', 'education', 'economy', 'branding']) {
      const db = client.db(`kediri_${agency}`);
      for (const { name } of await db.listCollections().toArray()) {
        for (const id of await db.collection(name).distinct('residentId')) {
          if (typeof id !== 'string') continue;
          if (!seen.has(id)) seen.set(id, new Set());
          seen.get(id)!.add(agency);
        }
      }
    }
    await client.close();
    const [id, agencies] = [...seen].sort((a, b) => b[1].size - a[1].size)[0];
    residentId = id;
    agenciesOfResident = [...agencies].sort();
  });

  const RESIDENT = `query Resident($id: ID!, $purpose: String!) { resident(id: $id, purpose: $purpose) {
      id
      taxpayer { __typename }
      homecare { __typename }
      wasteBankSavings { __typename }
      emasEnrolments { __typename }
      kurniaLoans { __typename }
      prodamasRoles { __typename }
  } }`;
  const FIELD_OF: Record<string, string> = {
    tax: 'taxpayer',
    health: 'homecare',
    environment: 'wasteBankSavings',
    education: 'emasEnrolments',
    economy: 'kurniaLoans',
    branding: 'prodamasRoles',
  };
  const present = (value: unknown) => (Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined);

  it('shows a caseworker with a stated purpose what every agency holds, and records the read', async () => {
    expect(agenciesOfResident.length).toBeGreaterThanOrEqual(3);
    const purpose = 'Case 2023-117: homecare referral follow-up';
    const result = await graph.query(RESIDENT, { id: residentId, purpose }, 'caseworker');
    expect(result.errors).toBeUndefined();
    for (const agency of agenciesOfResident) expect(present(result.data.resident[FIELD_OF[agency]]), agency).toBe(true);

    const log = await graph.query(
      `query($id: ID!) { residentAccessLog(residentId: $id) { totalCount nodes { subject role purpose residentId agenciesAnswered outcome } } }`,
      { id: residentId },
      'auditor',
    );
    expect(log.errors).toBeUndefined();
    expect(log.data.residentAccessLog.nodes).toContainEqual({
      subject: expect.stringContaining('caseworker'),
      role: 'caseworker',
      purpose,
      residentId,
      agenciesAnswered: ['branding', 'economy', 'education', 'environment', 'health', 'tax'],
      outcome: 'answered',
    });
  });

  it('shows an agency only its own fields of the resident, refusing the others', async () => {
    const result = await graph.query(RESIDENT, { id: residentId, purpose: 'Tax office: arrears review 2024/33' }, 'agency:tax');
    expect(result.data.resident.id).toBe(residentId);
    expect(present(result.data.resident.taxpayer) || !agenciesOfResident.includes('tax')).toBe(true);
    const refused = (result.errors ?? []).filter((error) => error.extensions?.code === 'FORBIDDEN');
    expect(new Set(refused.map((error) => error.extensions?.serviceName))).toEqual(
      new Set(['health', 'environment', 'education', 'economy', 'branding']),
    );
    for (const agency of ['health', 'environment', 'education', 'economy', 'branding']) {
      expect(result.data.resident[FIELD_OF[agency]]).toBeNull();
    }
  });

  it('refuses the public, dashboards and auditors, and a read without a purpose', async () => {
    for (const role of ['public', 'dashboard', 'auditor'] as const) {
      const result = await graph.query(RESIDENT, { id: residentId, purpose: 'curiosity is not a purpose' }, role);
      expect(result.data?.resident ?? null, role).toBeNull();
      expect(result.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
    }
    const noPurpose = await graph.query(RESIDENT, { id: residentId, purpose: '  ' }, 'caseworker');
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.data?.resident ?? null).toBeNull();
    expect(noPurpose.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'purpose' });
  });

  it('keeps the audit log from everyone but auditors', async () => {
    const result = await graph.query('{ residentAccessLog { totalCount } }', {}, 'caseworker');
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('an agency that is down costs only its own pillar', () => {
  it('answers five pillars of the scorecard and nulls the sixth with an error naming it', async () => {
    await graph.stopSubgraph('health');
    const result = await graph.query(CITY_SCORECARD);
    const card = result.data.cityScorecard;
    expect(card.living).toBeNull();
    for (const pillar of ['governance', 'branding', 'economy', 'society', 'environment']) expect(card[pillar], pillar).not.toBeNull();
    expect(result.errors?.some((error) => error.extensions?.serviceName === 'health')).toBe(true);
  });
});
