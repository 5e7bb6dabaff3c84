import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../../platform/identity';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId, samplePopulation } from '../kit/residents';
import { startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { health } from './index';
import type { HealthModels, PatientRecord, RequestRecord, VisitRecord } from './models';

/**
 * The health subgraph over real HTTP against the seeded embedded store. Expected figures are computed here
 * in plain JavaScript from the raw seeded documents, independently of the subgraph's aggregations: patients'
 * kelurahan come from the patient records, response times from request and visit times.
 */

let graph: TestSubgraph<HealthModels>;
let patients: PatientRecord[];
let requests: RequestRecord[];
let visits: VisitRecord[];

beforeAll(async () => {
  graph = await startTestSubgraph(health, { seed: true });
  await loadRawRecords();
});

afterAll(async () => {
  await graph?.stop();
});

async function loadRawRecords(): Promise<void> {
  [patients, requests, visits] = await Promise.all([
    graph.models.Patient.find().lean<PatientRecord[]>(),
    graph.models.HomecareRequest.find().lean<RequestRecord[]>(),
    graph.models.Visit.find().lean<VisitRecord[]>(),
  ]);
}

interface Living {
  homecarePatients: number | null;
  homecareVisits: number | null;
  medianResponseHours: number | null;
  homecareRequests: number | null;
}

const LIVING = 'living { homecarePatients homecareVisits medianResponseHours homecareRequests }';

/** The pillar computed from the raw records: what the aggregations must agree with. */
function expectedLiving(year: number, kelurahanCode?: string): Living {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const inYear = (date: Date) => date.getTime() >= start && date.getTime() < end;
  const home = new Map(patients.map((p) => [p.residentId, p.kelurahanCode]));
  const here = (id: string) => kelurahanCode === undefined || home.get(id) === kelurahanCode;

  const yearVisits = visits.filter((v) => inYear(v.visitedAt) && here(v.patientResidentId));
  const visitTimes = new Map<string, number[]>();
  for (const v of visits) visitTimes.set(String(v.requestId), [...(visitTimes.get(String(v.requestId)) ?? []), v.visitedAt.getTime()]);
  const yearRequests = requests.filter((r) => inYear(r.receivedAt) && here(r.patientResidentId));
  const hours = yearRequests
    .filter((r) => visitTimes.has(String(r._id)))
    .map((r) => (Math.min(...visitTimes.get(String(r._id))!) - r.receivedAt.getTime()) / 3_600_000)
    .sort((a, b) => a - b);
  const mid = Math.floor(hours.length / 2);
  const middle = hours.length === 0 ? null : hours.length % 2 ? hours[mid] : (hours[mid - 1] + hours[mid]) / 2;
  return {
    homecarePatients: new Set(yearVisits.map((v) => v.patientResidentId)).size,
    homecareVisits: yearVisits.length,
    medianResponseHours: middle === null ? null : Math.round(middle * 100) / 100,
    homecareRequests: yearRequests.length,
  };
}

/** Response hours are kept to two decimals per visit, so a median may differ from the exact one by 0.01. */
function expectSameLiving(actual: Living, expected: Living): void {
  expect({ ...actual, medianResponseHours: null }).toEqual({ ...expected, medianResponseHours: null });
  if (expected.medianResponseHours === null) expect(actual.medianResponseHours).toBeNull();
  else expect(Math.abs(actual.medianResponseHours! - expected.medianResponseHours)).toBeLessThanOrEqual(0.011);
}

function errorCodes(result: GraphQLResult): string[] {
  return (result.errors ?? []).map((error) => error.extensions?.code as string);
}

/** Asserts one BAD_USER_INPUT error naming `field`. */
function expectBadInput(result: GraphQLResult, field: string): void {
  expect(result.errors, JSON.stringify(result.errors)).toHaveLength(1);
  expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
}

async function commandsDuring(action: () => Promise<unknown>): Promise<number> {
  const total = (c: Record<string, number>) => (c.query ?? 0) + (c.command ?? 0) + (c.getmore ?? 0);
  const before = total(await graph.opcounters());
  await action();
  // The second serverStatus itself counts as one command.
  return total(await graph.opcounters()) - before - 1;
}

const KELURAHAN_LIVING = `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode year ${LIVING} } } }`;

function kelurahanScorecards(year: number, codes = KELURAHAN.map((k) => k.code)) {
  return codes.map((kelurahanCode) => ({ __typename: 'KelurahanScorecard', kelurahanCode, year }));
}

describe('Smart Living pillar: figures agree with the seeded records', () => {
  it('gives the city figures of 2023 from the visits and requests of that year', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { year ${LIVING} } } }`,
      { r: [{ __typename: 'CityScorecard', year: 2023 }] },
    );
    expect(result.errors).toBeUndefined();
    const living = result.data._entities[0].living as Living;
    expectSameLiving(living, expectedLiving(2023));
    // The sample data tells the city's story: 100–200 patients a year, answered within about a day.
    expect(living.homecarePatients).toBeGreaterThanOrEqual(100);
    expect(living.homecarePatients).toBeLessThanOrEqual(200);
    expect(living.medianResponseHours).toBeGreaterThanOrEqual(20);
    expect(living.medianResponseHours).toBeLessThanOrEqual(30);
  });

  it('agrees for every year from 2021 to 2024', async () => {
    for (const year of [2021, 2022, 2024]) {
      const result = await graph.query(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { ${LIVING} } } }`,
        { r: [{ __typename: 'CityScorecard', year }] },
      );
      expectSameLiving(result.data._entities[0].living, expectedLiving(year));
    }
  });

  it('reproduces the published 212 patients served from May 2016 to 2020', () => {
    const served = new Set(visits.filter((v) => v.visitedAt.getUTCFullYear() <= 2020).map((v) => v.patientResidentId));
    expect(served.size).toBe(212);
    expect(Math.min(...visits.map((v) => v.visitedAt.getTime()))).toBeGreaterThanOrEqual(Date.UTC(2016, 4, 1));
  });

  it('gives each of the 46 kelurahan its own figures for a dashboard, exactly', async () => {
    const result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023) }, 'dashboard');
    expect(result.errors).toBeUndefined();
    const rows = result.data._entities as { kelurahanCode: string; living: Living }[];
    expect(rows.map((row) => row.kelurahanCode)).toEqual(KELURAHAN.map((k) => k.code));
    for (const row of rows) expectSameLiving(row.living, expectedLiving(2023, row.kelurahanCode));
    const sum = rows.reduce((total, row) => total + row.living.homecareVisits!, 0);
    expect(sum).toBe(expectedLiving(2023).homecareVisits);
  });

  it('answers Kelurahan.homecare with the same figures as its scorecard', async () => {
    const code = KELURAHAN[0].code;
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code homecare(year: 2023) { homecarePatients homecareVisits medianResponseHours homecareRequests } } } }`,
      { r: [{ __typename: 'Kelurahan', code }, { __typename: 'Kelurahan', code: '35.71.09.1001' }] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expectSameLiving(result.data._entities[0].homecare, expectedLiving(2023, code));
    expect(result.data._entities[1]).toBeNull();
  });

  it('resolves a scorecard reference outside the scorecard years or for a kelurahan that does not exist to null', async () => {
    const city = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { living { homecareVisits } } } }`,
      { r: [{ __typename: 'CityScorecard', year: 2009 }] },
    );
    expect(city.errors).toBeUndefined();
    expect(city.data._entities).toEqual([null]);
    const kelurahan = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023, ['35.71.01.9999']) }, 'dashboard');
    expect(kelurahan.errors).toBeUndefined();
    expect(kelurahan.data._entities).toEqual([null]);
  });
});

describe('small counts: kelurahan figures of fewer than 5 patients are withheld from the public', () => {
  const small = () => KELURAHAN.map((k) => k.code).find((code) => expectedLiving(2023, code).homecarePatients! < 5)!;
  const large = () => KELURAHAN.map((k) => k.code).find((code) => expectedLiving(2023, code).homecarePatients! >= 5)!;

  it('has both kinds of kelurahan in the sample data', () => {
    expect(small()).toBeDefined();
    expect(large()).toBeDefined();
  });

  it('withholds patients, visits, median and requests together, with SUPPRESSED_SMALL_COUNT on each', async () => {
    const result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023, [small()]) });
    expect(result.data._entities[0].living).toEqual({
      homecarePatients: null,
      homecareVisits: null,
      medianResponseHours: null,
      homecareRequests: null,
    });
    expect(errorCodes(result)).toEqual(Array(4).fill('SUPPRESSED_SMALL_COUNT'));
    expect(new Set(result.errors!.map((error) => error.message)).size).toBe(1);
  });

  it('shows the public a kelurahan with 5 or more patients', async () => {
    const result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023, [large()]) });
    expect(result.errors).toBeUndefined();
    expectSameLiving(result.data._entities[0].living, expectedLiving(2023, large()));
  });

  it('shows dashboards and the agency the exact small figures', async () => {
    for (const role of ['dashboard', 'agency:health'] as Role[]) {
      const result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023, [small()]) }, role);
      expect(result.errors).toBeUndefined();
      expectSameLiving(result.data._entities[0].living, expectedLiving(2023, small()));
    }
  });

  it('never suppresses the city figures', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { living { homecarePatients } } } }`,
      { r: [{ __typename: 'CityScorecard', year: 2016 }] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].living.homecarePatients).toBe(20);
  });
});

describe('batching: many entities cost a small constant number of database commands', () => {
  it('resolves 46 kelurahan scorecards with three aggregations', async () => {
    let result: GraphQLResult | undefined;
    const commands = await commandsDuring(async () => {
      result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023) }, 'dashboard');
    });
    expect(result!.data._entities).toHaveLength(46);
    expect(commands).toBeLessThanOrEqual(4);
  });

  it('resolves 46 scorecards over two years with one set of aggregations per year', async () => {
    const commands = await commandsDuring(() =>
      graph.query(KELURAHAN_LIVING, { r: [...kelurahanScorecards(2022), ...kelurahanScorecards(2023)] }, 'dashboard'),
    );
    expect(commands).toBeLessThanOrEqual(8);
  });

  it('resolves 20 residents with their requests, visits and referrals in one query per collection', async () => {
    const ids = patients.slice(0, 20).map((p) => ({ __typename: 'Resident', id: p.residentId }));
    const commands = await commandsDuring(() =>
      graph.queryWithGrant(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { homecare { patient { name } requests { status visits { id } } visits { id } referrals { id } } } } }`,
        { r: ids },
        'caseworker',
      ),
    );
    // One find per loader (patients, requests, visits by resident, visits by request, referrals), plus at
    // most a getMore each for the two visit lists when they exceed the first batch of 101 documents.
    expect(commands).toBeLessThanOrEqual(7);
  });
});

describe('access: health data is read by the health agency (and caseworkers through Resident) only', () => {
  const REQUESTS = '{ homecareRequests(first: 1) { totalCount } }';

  it('refuses request lists to every role but agency:health', async () => {
    for (const role of ['public', 'dashboard', 'caseworker', 'auditor', 'agency:tax'] as Role[]) {
      const result = await graph.query(REQUESTS, {}, role);
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
      expect(result.data).toBeNull();
    }
    const own = await graph.query(REQUESTS, {}, 'agency:health');
    expect(own.data.homecareRequests.totalCount).toBe(requests.length);
  });

  it('refuses a request entity to other roles', async () => {
    const query = `query($r:[_Any!]!){ _entities(representations:$r){ ... on HomecareRequest { status } } }`;
    const r = [{ __typename: 'HomecareRequest', id: requests[0]._id.toHexString() }];
    expect(errorCodes(await graph.query(query, { r }, 'dashboard'))).toEqual(['FORBIDDEN']);
    const own = await graph.query(query, { r }, 'agency:health');
    expect(own.data._entities[0].status).toBe(requests[0].status);
  });

  it('shows Resident.homecare to caseworkers and agency:health, and FORBIDDEN to others', async () => {
    const patient = patients[0];
    const query = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { id homecare { patient { name residentId } visits { id } } } } }`;
    const r = [{ __typename: 'Resident', id: patient.residentId }];
    for (const role of ['public', 'dashboard', 'auditor', 'agency:economy'] as Role[]) {
      const result = await graph.queryWithGrant(query, { r }, role);
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
      expect(result.data._entities[0].homecare).toBeNull();
    }
    for (const role of ['caseworker', 'agency:health'] as Role[]) {
      const result = await graph.queryWithGrant(query, { r }, role);
      expect(result.errors).toBeUndefined();
      expect(result.data._entities[0].homecare.patient).toEqual({ name: patient.name, residentId: patient.residentId });
      expect(result.data._entities[0].homecare.visits).toHaveLength(
        visits.filter((v) => v.patientResidentId === patient.residentId).length,
      );
    }
  });

  it('answers null, not an error, for a resident Homecare does not know', async () => {
    const stranger = newcomer(0);
    const result = await graph.queryWithGrant(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { id homecare { patient { name } } } } }`,
      { r: [{ __typename: 'Resident', id: residentId(stranger.nik, TEST_SECRETS.residentIdSecret) }] },
      'caseworker',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].homecare).toBeNull();
  });

  it('has no NIK anywhere in the graph', async () => {
    const result = await graph.query('{ __schema { types { name fields { name } } } }');
    const fields = result.data.__schema.types.flatMap((t: { fields: { name: string }[] | null }) => t.fields ?? []);
    expect(fields.map((f: { name: string }) => f.name.toLowerCase())).not.toContain('nik');
  });
});

describe('homecareRequests: filters and pagination', () => {
  const PAGE = `query($after: String, $first: Int, $kelurahanCode: String) {
    homecareRequests(year: 2023, status: closed, first: $first, after: $after, kelurahanCode: $kelurahanCode) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id status receivedAt responseHours patient { kelurahanCode } }
    }
  }`;

  it('pages through every closed request of 2023 once, in order', async () => {
    const expected = requests
      .filter((r) => r.status === 'closed' && r.receivedAt.getUTCFullYear() === 2023)
      .map((r) => r._id.toHexString())
      .sort();
    const seen: string[] = [];
    let after: string | null = null;
    let hasNextPage = true;
    while (hasNextPage) {
      const result: GraphQLResult = await graph.query(PAGE, { after, first: 50 }, 'agency:health');
      expect(result.errors).toBeUndefined();
      const page = result.data.homecareRequests;
      expect(page.totalCount).toBe(expected.length);
      seen.push(...page.nodes.map((node: { id: string }) => node.id));
      ({ hasNextPage, endCursor: after } = page.pageInfo);
    }
    expect(seen).toEqual(expected);
  });

  it('filters by kelurahan and reports each request’s first-visit response time', async () => {
    const code = requests.find((r) => r.status === 'closed' && r.receivedAt.getUTCFullYear() === 2023)!.kelurahanCode;
    const result = await graph.query(PAGE, { first: 100, kelurahanCode: code }, 'agency:health');
    const nodes = result.data.homecareRequests.nodes as { id: string; receivedAt: string; responseHours: number; patient: { kelurahanCode: string } }[];
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect(node.patient.kelurahanCode).toBe(code);
      const first = Math.min(...visits.filter((v) => v.requestId.toHexString() === node.id).map((v) => v.visitedAt.getTime()));
      expect(node.responseHours).toBeCloseTo((first - Date.parse(node.receivedAt)) / 3_600_000, 2);
    }
  });

  it('refuses a page larger than 100 and an unknown kelurahan, naming the argument', async () => {
    expectBadInput(await graph.query(PAGE, { first: 101 }, 'agency:health'), 'first');
    expectBadInput(await graph.query(PAGE, { kelurahanCode: 'Sukorame' }, 'agency:health'), 'kelurahanCode');
  });
});

const RECEIVE = `mutation($input: ReceiveHomecareRequestInput!) {
  receiveHomecareRequest(input: $input) { id status priority channel receivedAt responseHours patient { residentId name kelurahanCode rw rt } }
}`;
const RECORD = `mutation($input: RecordHomecareVisitInput!) {
  recordHomecareVisit(input: $input) { id requestId visitedAt responseHours team vitals { systolic diastolic pulse temperature bloodGlucose } actions }
}`;

let newcomers: ReturnType<typeof samplePopulation> | undefined;

/** A resident of the sample population who was not a Homecare patient when the data was seeded. */
function newcomer(offset = 0) {
  if (!newcomers) {
    const known = new Set(patients.map((p) => p.residentId));
    newcomers = samplePopulation().filter((resident) => !known.has(residentId(resident.nik, TEST_SECRETS.residentIdSecret)));
  }
  return newcomers[100 + offset];
}

function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3_600_000).toISOString();
}

function requestInput(resident = newcomer(), overrides: Record<string, unknown> = {}) {
  return {
    nik: resident.nik,
    patient: {
      name: resident.name,
      sex: resident.sex,
      birthDate: resident.birthDate.toISOString().slice(0, 10),
      kelurahanCode: resident.kelurahanCode,
      rw: resident.rw,
      rt: resident.rt,
      conditions: ['stroke', 'elderly_alone'],
      povertyRegistry: 'dtks',
      bpjs: true,
    },
    channel: 'whatsapp',
    receivedAt: hoursAgo(30),
    priority: 'urgent',
    complaint: 'Weak on the left side since yesterday evening',
    idempotencyKey: `receive-${resident.nik}`,
    ...overrides,
  };
}

function visitInput(requestId: string, overrides: Record<string, unknown> = {}) {
  return {
    requestId,
    visitedAt: hoursAgo(6),
    team: ['doctor', 'nurse', 'physiotherapist'],
    vitals: { systolic: 165, diastolic: 95, pulse: 88, temperature: 36.9, bloodGlucose: 140 },
    actions: ['blood pressure check', 'physiotherapy session'],
    idempotencyKey: `visit-${requestId}`,
    ...overrides,
  };
}

async function counts() {
  const [patientCount, requestCount, visitCount] = await Promise.all([
    graph.models.Patient.countDocuments(),
    graph.models.HomecareRequest.countDocuments(),
    graph.models.Visit.countDocuments(),
  ]);
  return { patients: patientCount, requests: requestCount, visits: visitCount };
}

describe('receiveHomecareRequest', () => {
  it('registers a new patient with their first request, open', async () => {
    const resident = newcomer(0);
    const before = await counts();
    const result = await graph.query(RECEIVE, { input: requestInput(resident) }, 'agency:health');
    expect(result.errors).toBeUndefined();
    const request = result.data.receiveHomecareRequest;
    expect(request).toMatchObject({ status: 'open', priority: 'urgent', channel: 'whatsapp', responseHours: null });
    expect(request.patient).toEqual({
      residentId: residentId(resident.nik, TEST_SECRETS.residentIdSecret),
      name: resident.name,
      kelurahanCode: resident.kelurahanCode,
      rw: resident.rw,
      rt: resident.rt,
    });
    expect(await counts()).toEqual({ ...before, patients: before.patients + 1, requests: before.requests + 1 });
  });

  it('returns the first request on a retry with the same key and records nothing more', async () => {
    const input = requestInput(newcomer(0));
    const before = await counts();
    const retry = await graph.query(RECEIVE, { input }, 'agency:health');
    expect(retry.errors).toBeUndefined();
    const stored = await graph.models.HomecareRequest.findOne({ idempotencyKey: input.idempotencyKey }).lean<RequestRecord>();
    expect(retry.data.receiveHomecareRequest.id).toBe(stored!._id.toHexString());
    expect(await counts()).toEqual(before);
  });

  it('needs the patient details for a NIK not yet registered, and writes nothing without them', async () => {
    const before = await counts();
    const { patient: _omitted, ...input } = requestInput(newcomer(1));
    expectBadInput(await graph.query(RECEIVE, { input }, 'agency:health'), 'input.patient');
    expect(await counts()).toEqual(before);
  });

  it('names each invalid field and writes nothing', async () => {
    const before = await counts();
    const resident = newcomer(2);
    const base = requestInput(resident);
    const cases: [Record<string, unknown>, string][] = [
      [{ nik: '1234' }, 'input.nik'],
      [{ nik: '3578011203450001' }, 'input.nik'],
      [{ receivedAt: hoursAgo(-48) }, 'input.receivedAt'],
      [{ receivedAt: '2015-01-01T00:00:00Z' }, 'input.receivedAt'],
      [{ receivedAt: 'yesterday' }, 'input.receivedAt'],
      [{ complaint: ' ' }, 'input.complaint'],
      [{ idempotencyKey: 'abc' }, 'input.idempotencyKey'],
      [{ patient: { ...base.patient, kelurahanCode: '35.71.04.1001' } }, 'input.patient.kelurahanCode'],
      [{ patient: { ...base.patient, rt: 999 } }, 'input.patient.rt'],
      [{ patient: { ...base.patient, rw: base.patient.rw + 50 } }, 'input.patient.rw'],
      [{ patient: { ...base.patient, birthDate: '1950-13-01' } }, 'input.patient.birthDate'],
      [{ patient: { ...base.patient, conditions: [] } }, 'input.patient.conditions'],
      [{ patient: { ...base.patient, name: 'X' } }, 'input.patient.name'],
    ];
    for (const [override, field] of cases) {
      expectBadInput(await graph.query(RECEIVE, { input: { ...base, ...override } }, 'agency:health'), field);
    }
    expect(await counts()).toEqual(before);
  });

  it('undoes the new patient when the request cannot be written', async () => {
    const before = await counts();
    const spy = vi.spyOn(graph.models.HomecareRequest, 'create').mockRejectedValueOnce(new Error('connection reset'));
    try {
      const result = await graph.query(RECEIVE, { input: requestInput(newcomer(3)) }, 'agency:health');
      expect(result.errors).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
    expect(await counts()).toEqual(before);
  });

  it('is for the health agency only', async () => {
    const before = await counts();
    for (const role of ['dashboard', 'caseworker'] as Role[]) {
      expect(errorCodes(await graph.query(RECEIVE, { input: requestInput(newcomer(4)) }, role))).toEqual(['FORBIDDEN']);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('recordHomecareVisit', () => {
  let requestId: string;

  beforeAll(async () => {
    const result = await graph.query(
      RECEIVE,
      { input: requestInput(newcomer(10), { receivedAt: hoursAgo(30), idempotencyKey: 'visit-test-request' }) },
      'agency:health',
    );
    requestId = result.data.receiveHomecareRequest.id;
  });

  async function requestStatus(id = requestId): Promise<string> {
    return (await graph.models.HomecareRequest.findById(id).lean<RequestRecord>())!.status;
  }

  it('names each invalid field and writes nothing', async () => {
    const before = await counts();
    const base = visitInput(requestId);
    const cases: [Record<string, unknown>, string][] = [
      [{ visitedAt: hoursAgo(31) }, 'input.visitedAt'],
      [{ visitedAt: hoursAgo(-2) }, 'input.visitedAt'],
      [{ team: ['physiotherapist'] }, 'input.team'],
      [{ team: [] }, 'input.team'],
      [{ vitals: { ...base.vitals, systolic: 400 } }, 'input.vitals.systolic'],
      [{ vitals: { ...base.vitals, diastolic: 170 } }, 'input.vitals.diastolic'],
      [{ vitals: { ...base.vitals, pulse: 0 } }, 'input.vitals.pulse'],
      [{ vitals: { ...base.vitals, temperature: 25.5 } }, 'input.vitals.temperature'],
      [{ vitals: { ...base.vitals, bloodGlucose: 900 } }, 'input.vitals.bloodGlucose'],
      [{ actions: [] }, 'input.actions'],
      [{ requestId: 'not-an-id' }, 'input.requestId'],
      [{ requestId: 'ffffffffffffffffffffffff' }, 'input.requestId'],
      [{ idempotencyKey: 'k' }, 'input.idempotencyKey'],
    ];
    for (const [override, field] of cases) {
      expectBadInput(await graph.query(RECORD, { input: { ...base, ...override } }, 'agency:health'), field);
    }
    expect(await counts()).toEqual(before);
    expect(await requestStatus()).toBe('open');
  });

  it('is for the health agency only', async () => {
    const before = await counts();
    for (const role of ['public', 'dashboard', 'caseworker'] as Role[]) {
      expect(errorCodes(await graph.query(RECORD, { input: visitInput(requestId) }, role))).toEqual(['FORBIDDEN']);
    }
    expect(await counts()).toEqual(before);
  });

  it('writes nothing when the status update fails after the visit was written', async () => {
    const before = await counts();
    const spy = vi.spyOn(graph.models.HomecareRequest, 'updateOne').mockRejectedValueOnce(new Error('connection reset'));
    try {
      const result = await graph.query(RECORD, { input: visitInput(requestId) }, 'agency:health');
      expect(result.errors).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
    expect(await counts()).toEqual(before);
    expect(await requestStatus()).toBe('open');
  });

  it('records the visit, computes the response time and moves the request to visited', async () => {
    const before = await counts();
    const input = visitInput(requestId, { visitedAt: hoursAgo(6) });
    const result = await graph.query(RECORD, { input }, 'agency:health');
    expect(result.errors).toBeUndefined();
    const visit = result.data.recordHomecareVisit;
    expect(visit).toMatchObject({
      requestId,
      visitedAt: input.visitedAt,
      team: ['doctor', 'nurse', 'physiotherapist'],
      vitals: input.vitals,
      actions: input.actions,
    });
    expect(visit.responseHours).toBeCloseTo(24, 1);
    expect(await counts()).toEqual({ ...before, visits: before.visits + 1 });
    expect(await requestStatus()).toBe('visited');
    const request = await graph.query(`query($id: ID!){ homecareRequest(id: $id) { status responseHours visits { id } } }`, { id: requestId }, 'agency:health');
    expect(request.data.homecareRequest).toEqual({ status: 'visited', responseHours: visit.responseHours, visits: [{ id: visit.id }] });
  });

  it('returns the same visit on a retry and counts it once in the pillar', async () => {
    const before = await counts();
    const year = new Date(Date.now() - 6 * 3_600_000).getUTCFullYear();
    const first = await graph.models.Visit.findOne({ idempotencyKey: `visit-${requestId}` }).lean<VisitRecord>();
    const retry = await graph.query(RECORD, { input: visitInput(requestId, { visitedAt: hoursAgo(1) }) }, 'agency:health');
    expect(retry.errors).toBeUndefined();
    expect(retry.data.recordHomecareVisit.id).toBe(first!._id.toHexString());
    expect(retry.data.recordHomecareVisit.visitedAt).toBe(first!.visitedAt.toISOString());
    expect(await counts()).toEqual(before);
    const pillar = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { living { homecarePatients homecareVisits } } } }`,
      { r: [{ __typename: 'CityScorecard', year }] },
    );
    expect(pillar.data._entities[0].living).toEqual({ homecarePatients: 1, homecareVisits: 1 });
  });

  it('refuses a key already used for another request', async () => {
    const other = requests.find((r) => r.status === 'open')!;
    const before = await counts();
    const result = await graph.query(
      RECORD,
      { input: visitInput(other._id.toHexString(), { idempotencyKey: `visit-${requestId}` }) },
      'agency:health',
    );
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.idempotencyKey' });
    expect(await counts()).toEqual(before);
    expect(await requestStatus(other._id.toHexString())).toBe('open');
  });

  it('refuses a visit to a closed request', async () => {
    const closed = requests.find((r) => r.status === 'closed')!;
    const before = await counts();
    const result = await graph.query(
      RECORD,
      { input: visitInput(closed._id.toHexString(), { idempotencyKey: 'visit-on-closed-request' }) },
      'agency:health',
    );
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.requestId' });
    expect(await counts()).toEqual(before);
  });
});
