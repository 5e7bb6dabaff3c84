import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../../platform/identity';
import { kediriYear } from '../kit/calendar';
import { reportedYears } from '../kit/pillar';
import { createRandom } from '../kit/random';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId, samplePopulation } from '../kit/residents';
import { groupBy, startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { health } from './index';
import type { HealthModels, PatientRecord, RequestRecord, VisitRecord } from './models';
import { living } from './pillar';
import { patientInputOf, randomWrites } from './sampleWrites';

/**
 * The health subgraph over real HTTP against the seeded embedded store. Expected figures are computed here
 * in plain JavaScript from the raw seeded documents, independently of the subgraph's aggregations: patients'
 * kelurahan come from the patient records, response times from request and visit times. Describe blocks
 * run in order: the ones that compare with the seed come first, the writes after them (years after the
 * seed's, except where a test says otherwise), and the 60 random writes of the read-model check last.
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
  lookups = undefined;
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

/** Each patient's kelurahan, and the times of each request's visits: read once from the raw records. */
let lookups: { home: Map<string, string>; visitTimes: Map<string, number[]> } | undefined;

function indexed(): NonNullable<typeof lookups> {
  if (!lookups) {
    const byRequest = groupBy(visits, (v) => String(v.requestId));
    const visitTimes = new Map([...byRequest].map(([request, its]) => [request, its.map((v) => v.visitedAt.getTime())]));
    lookups = { home: new Map(patients.map((p) => [p.residentId, p.kelurahanCode])), visitTimes };
  }
  return lookups;
}

/** The pillar computed from the raw records: what the aggregations must agree with. */
function expectedLiving(year: number, kelurahanCode?: string): Living {
  // Kediri's year, written out by hand rather than taken from the code under test: 1 January 00:00 WIB is
  // 17:00 UTC on 31 December.
  const start = Date.UTC(year - 1, 11, 31, 17);
  const end = Date.UTC(year, 11, 31, 17);
  const inYear = (date: Date) => date.getTime() >= start && date.getTime() < end;
  const { home, visitTimes } = indexed();
  const here = (id: string) => kelurahanCode === undefined || home.get(id) === kelurahanCode;

  const yearVisits = visits.filter((v) => inYear(v.visitedAt) && here(v.patientResidentId));
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

/** The data commands (find, aggregate, getMore, ...) `work` cost, counted by the store. */
function commandsDuring(work: () => Promise<unknown>): Promise<number> {
  return graph.dataCommandsDuring(work);
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
    // One message per withheld field, each naming the field, the kelurahan and the year.
    const messages = result.errors!.map((error) => error.message).sort();
    for (const [index, field] of ['homecarePatients', 'homecareRequests', 'homecareVisits', 'medianResponseHours'].entries()) {
      expect(messages[index]).toContain(`The ${field} of kelurahan ${small()} in 2023`);
    }
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
  it('resolves 46 kelurahan scorecards with one indexed read of the read model', async () => {
    let result: GraphQLResult | undefined;
    const commands = await commandsDuring(async () => {
      result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2023) }, 'dashboard');
    });
    expect(result!.data._entities).toHaveLength(46);
    expect(commands).toBeLessThanOrEqual(2);
  });

  it('resolves 46 scorecards over two years with the same one read', async () => {
    let result: GraphQLResult | undefined;
    const commands = await commandsDuring(async () => {
      result = await graph.query(KELURAHAN_LIVING, { r: [...kelurahanScorecards(2022), ...kelurahanScorecards(2023)] }, 'dashboard');
    });
    expect(result!.errors).toBeUndefined();
    expect(result!.data._entities).toHaveLength(92);
    expect(commands).toBeLessThanOrEqual(2);
  });

  it('resolves Kelurahan.homecare of 46 kelurahan with the same one read', async () => {
    const query = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { homecare(year: 2022) { homecareVisits } } } }`;
    let result: GraphQLResult | undefined;
    const commands = await commandsDuring(async () => {
      result = await graph.query(query, { r: KELURAHAN.map((k) => ({ __typename: 'Kelurahan', code: k.code })) }, 'dashboard');
    });
    expect(result!.errors).toBeUndefined();
    const visits2022 = (code: string) => expectedLiving(2022, code).homecareVisits;
    expect(result!.data._entities.map((e: { homecare: Living }) => e.homecare.homecareVisits)).toEqual(KELURAHAN.map((k) => visits2022(k.code)));
    expect(commands).toBeLessThanOrEqual(2);
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
    patient: patientInputOf(resident, { conditions: ['stroke', 'elderly_alone'], povertyRegistry: 'dtks', bpjs: true }),
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

  it('answers NOT_FOUND for a NIK not registered yet when the patient details are missing, and writes nothing', async () => {
    const before = await counts();
    const resident = newcomer(1);
    const { patient: _omitted, ...input } = requestInput(resident);
    const result = await graph.query(RECEIVE, { input }, 'agency:health');
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors![0].message).toMatch(/send the patient's details/);
    // The NIK is personal data: the message does not repeat it.
    expect(result.errors![0].message).not.toContain(resident.nik);
    expect(await counts()).toEqual(before);
  });

  it("refuses an idempotency key already used for another patient's request (CONFLICT), and writes nothing", async () => {
    const before = await counts();
    const input = requestInput(newcomer(5), { idempotencyKey: `receive-${newcomer(0).nik}` });
    const result = await graph.query(RECEIVE, { input }, 'agency:health');
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await counts()).toEqual(before);
  });

  it('names each invalid field and writes nothing', async () => {
    const before = await counts();
    const resident = newcomer(2);
    const base = requestInput(resident);
    const cases: [Record<string, unknown>, string][] = [
      [{ nik: '1234' }, 'nik'],
      [{ nik: '3578011203450001' }, 'nik'],
      [{ receivedAt: hoursAgo(-48) }, 'receivedAt'],
      [{ receivedAt: '2015-01-01T00:00:00Z' }, 'receivedAt'],
      [{ receivedAt: 'yesterday' }, 'receivedAt'],
      [{ complaint: ' ' }, 'complaint'],
      [{ idempotencyKey: 'abc' }, 'idempotencyKey'],
      [{ patient: { ...base.patient, kelurahanCode: '35.71.04.1001' } }, 'patient.kelurahanCode'],
      [{ patient: { ...base.patient, rt: 999 } }, 'patient.rt'],
      [{ patient: { ...base.patient, rw: base.patient.rw + 50 } }, 'patient.rw'],
      [{ patient: { ...base.patient, birthDate: '1950-13-01' } }, 'patient.birthDate'],
      [{ patient: { ...base.patient, conditions: [] } }, 'patient.conditions'],
      [{ patient: { ...base.patient, name: 'X' } }, 'patient.name'],
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
      [{ visitedAt: hoursAgo(31) }, 'visitedAt'],
      [{ visitedAt: hoursAgo(-2) }, 'visitedAt'],
      [{ team: ['physiotherapist'] }, 'team'],
      [{ team: [] }, 'team'],
      [{ vitals: { ...base.vitals, systolic: 400 } }, 'vitals.systolic'],
      [{ vitals: { ...base.vitals, diastolic: 170 } }, 'vitals.diastolic'],
      [{ vitals: { ...base.vitals, pulse: 0 } }, 'vitals.pulse'],
      [{ vitals: { ...base.vitals, temperature: 25.5 } }, 'vitals.temperature'],
      [{ vitals: { ...base.vitals, bloodGlucose: 900 } }, 'vitals.bloodGlucose'],
      [{ actions: [] }, 'actions'],
      [{ requestId: 'not-an-id' }, 'requestId'],
      [{ idempotencyKey: 'k' }, 'idempotencyKey'],
    ];
    for (const [override, field] of cases) {
      expectBadInput(await graph.query(RECORD, { input: { ...base, ...override } }, 'agency:health'), field);
    }
    expect(await counts()).toEqual(before);
    expect(await requestStatus()).toBe('open');
  });

  it('answers NOT_FOUND for a well-formed id of a request that does not exist, and writes nothing', async () => {
    const before = await counts();
    const result = await graph.query(RECORD, { input: visitInput('ffffffffffffffffffffffff') }, 'agency:health');
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors![0].message).toContain('ffffffffffffffffffffffff');
    expect(await counts()).toEqual(before);
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
    const year = kediriYear(new Date(Date.now() - 6 * 3_600_000));
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
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
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
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'requestId' });
    expect(await counts()).toEqual(before);
  });
});

/** The living figures of one kelurahan and year as the dashboard reads them. */
async function kelurahanLiving(code: string, year: number): Promise<Living> {
  const result = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(year, [code]) }, 'dashboard');
  expect(result.errors).toBeUndefined();
  return result.data._entities[0].living;
}

describe("years on Kediri's clock (WIB, UTC+7)", () => {
  it('counts a request received at 00:30 WIB on 1 January 2025 (17:30 UTC on New Year’s Eve) in 2025, not 2024', async () => {
    const resident = newcomer(20);
    const before2024 = await kelurahanLiving(resident.kelurahanCode, 2024);
    const before2025 = await kelurahanLiving(resident.kelurahanCode, 2025);
    const input = requestInput(resident, { receivedAt: '2024-12-31T17:30:00Z', idempotencyKey: 'new-year-request-2025' });
    const result = await graph.query(RECEIVE, { input }, 'agency:health');
    expect(result.errors).toBeUndefined();
    expect(await kelurahanLiving(resident.kelurahanCode, 2024)).toEqual(before2024);
    expect(await kelurahanLiving(resident.kelurahanCode, 2025)).toEqual({ ...before2025, homecareRequests: before2025.homecareRequests! + 1 });
  });

  it("refreshes both years when a visit in 2025 answers a request of Kediri's 2024 (its response time counts in 2024)", async () => {
    const resident = newcomer(21);
    const received = await graph.query(
      RECEIVE,
      { input: requestInput(resident, { receivedAt: '2024-12-31T16:00:00Z', idempotencyKey: 'old-year-request-2024' }) },
      'agency:health',
    );
    expect(received.errors).toBeUndefined();
    const before2024 = await kelurahanLiving(resident.kelurahanCode, 2024);
    const before2025 = await kelurahanLiving(resident.kelurahanCode, 2025);
    const visit = visitInput(received.data.receiveHomecareRequest.id, { visitedAt: '2025-01-01T00:00:00+07:00' });
    const result = await graph.query(RECORD, { input: visit }, 'agency:health');
    expect(result.errors).toBeUndefined();
    expect(result.data.recordHomecareVisit.responseHours).toBe(1);
    const after2024 = await kelurahanLiving(resident.kelurahanCode, 2024);
    const after2025 = await kelurahanLiving(resident.kelurahanCode, 2025);
    // Patients and visits count in the visit's year; the request's response time joins 2024's median.
    expect(after2025).toMatchObject({ homecareVisits: before2025.homecareVisits! + 1, homecareRequests: before2025.homecareRequests });
    expect(after2024).toMatchObject({ homecareVisits: before2024.homecareVisits, homecareRequests: before2024.homecareRequests });
    const raw = (await living.definition.aggregate(graph.models, 2024, [resident.kelurahanCode])).get(resident.kelurahanCode)!;
    expect(after2024.medianResponseHours).toBe(raw.medianResponseHours);
    expect(await living.check(graph.models, [2024, 2025])).toEqual([]);
  });
});

describe('retries and races', () => {
  it('gives twenty identical concurrent first requests of a new patient one request and one patient', async () => {
    const resident = newcomer(30);
    const before = await counts();
    const input = requestInput(resident, { idempotencyKey: 'retry-storm-receive' });
    const results = await Promise.all(Array.from({ length: 20 }, () => graph.query(RECEIVE, { input }, 'agency:health')));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data.receiveHomecareRequest))).size).toBe(1);
    expect(results[0].data.receiveHomecareRequest).toMatchObject({ status: 'open', receivedAt: new Date(input.receivedAt).toISOString() });
    expect(await graph.models.HomecareRequest.countDocuments({ idempotencyKey: 'retry-storm-receive' })).toBe(1);
    expect(await graph.models.Patient.countDocuments({ nik: resident.nik })).toBe(1);
    expect(await counts()).toEqual({ ...before, patients: before.patients + 1, requests: before.requests + 1 });
  });

  it('gives twenty identical concurrent visits the first visit, recorded and counted once', async () => {
    const received = await graph.query(RECEIVE, { input: requestInput(newcomer(31), { idempotencyKey: 'retry-storm-visit-request' }) }, 'agency:health');
    const requestId = received.data.receiveHomecareRequest.id as string;
    const before = await counts();
    const input = visitInput(requestId, { idempotencyKey: 'retry-storm-visit' });
    const results = await Promise.all(Array.from({ length: 20 }, () => graph.query(RECORD, { input }, 'agency:health')));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data.recordHomecareVisit))).size).toBe(1);
    expect(results[0].data.recordHomecareVisit).toMatchObject({ requestId, visitedAt: input.visitedAt, team: input.team });
    expect(await graph.models.Visit.countDocuments({ requestId })).toBe(1);
    expect(await counts()).toEqual({ ...before, visits: before.visits + 1 });
    expect(await living.check(graph.models, [kediriYear(new Date(input.visitedAt))])).toEqual([]);
  });

  it('records two different visits of one request made at the same moment, both', async () => {
    const received = await graph.query(RECEIVE, { input: requestInput(newcomer(32), { idempotencyKey: 'two-teams-request' }) }, 'agency:health');
    const requestId = received.data.receiveHomecareRequest.id as string;
    const results = await Promise.all(
      ['two-teams-visit-1', 'two-teams-visit-2'].map((idempotencyKey) => graph.query(RECORD, { input: visitInput(requestId, { idempotencyKey }) }, 'agency:health')),
    );
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined]);
    expect(new Set(results.map((r) => r.data.recordHomecareVisit.id)).size).toBe(2);
    expect(await graph.models.Visit.countDocuments({ requestId })).toBe(2);
  });
});

describe('all or nothing', () => {
  it('leaves neither the patient nor the request when the figures cannot be refreshed, the last step of the unit', async () => {
    const resident = newcomer(40);
    const before = await counts();
    const figuresBefore = await graph.models.Figures.countDocuments();
    const spy = vi.spyOn(graph.models.Figures, 'replaceOne').mockRejectedValueOnce(new Error('disk full'));
    try {
      const result = await graph.query(RECEIVE, { input: requestInput(resident, { idempotencyKey: 'figures-fail-request' }) }, 'agency:health');
      expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect(await counts()).toEqual(before);
    expect(await graph.models.Patient.countDocuments({ nik: resident.nik })).toBe(0);
    expect(await graph.models.Figures.countDocuments()).toBe(figuresBefore);
    // The same call again succeeds whole: nothing of the failed attempt stands in its way.
    const retry = await graph.query(RECEIVE, { input: requestInput(resident, { idempotencyKey: 'figures-fail-request' }) }, 'agency:health');
    expect(retry.errors).toBeUndefined();
    expect(await counts()).toEqual({ ...before, patients: before.patients + 1, requests: before.requests + 1 });
  });
});

describe('entity references and grants', () => {
  it('resolves a kelurahan reference with an unknown code to null, without an error', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code homecare(year: 2023) { homecareVisits } } } }`,
      { r: [{ __typename: 'Kelurahan', code: '35.71.09.9999' }, { __typename: 'Kelurahan', code: KELURAHAN[3].code }] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([null, { code: KELURAHAN[3].code, homecare: { homecareVisits: expectedLiving(2023, KELURAHAN[3].code).homecareVisits } }]);
  });

  it('refuses an unknown year in Kelurahan.homecare, naming the argument', async () => {
    const result = await graph.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { homecare(year: 2009) { homecareVisits } } } }`,
      { r: [{ __typename: 'Kelurahan', code: KELURAHAN[3].code }] },
      'dashboard',
    );
    expectBadInput(result, 'year');
  });

  it("refuses a resident lookup that carries no grant from the gateway, whatever the caller's role", async () => {
    const query = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { homecare { patient { name } } } } }`;
    for (const role of ['agency:health', 'caseworker'] as Role[]) {
      const result = await graph.query(query, { r: [{ __typename: 'Resident', id: patients[0].residentId }] }, role);
      expect(result.status).toBe(403);
      expect(result.data).toBeUndefined();
      expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    }
  });
});

describe('the read model stays exact under writes', () => {
  const FIGURES = 'homecarePatients homecareVisits medianResponseHours homecareRequests';

  it('equals a full re-aggregation, figure by figure, after 60 random valid writes', async () => {
    const random = createRandom('health-read-model');
    const staff = { query: (q: string, v?: Record<string, unknown>) => graph.query(q, v, 'agency:health'), models: graph.models };
    const done: string[] = [];
    for (let i = 0; i < 60; i += 1) done.push(await randomWrites(random, staff));
    for (const kind of ['visited', 'received a request', 'received the first request']) {
      expect(done.filter((label) => label.startsWith(kind)).length, kind).toBeGreaterThanOrEqual(5);
    }
    expect(await living.check(graph.models)).toEqual([]);
  }, 180_000);

  it('answers every scorecard from the read model with the figures a raw aggregation gives', async () => {
    const years = reportedYears();
    const city = await graph.query(`query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { year living { ${FIGURES} } } } }`, {
      r: years.map((year) => ({ __typename: 'CityScorecard', year })),
    });
    expect(city.errors).toBeUndefined();
    const expected = [];
    for (const year of years) expected.push({ year, living: (await living.definition.aggregate(graph.models, year, null)).get('city') ?? living.definition.empty() });
    expect(city.data._entities).toEqual(expected);

    const codes = KELURAHAN.map((k) => k.code);
    const kelurahan = await graph.query(KELURAHAN_LIVING, { r: kelurahanScorecards(2025, codes) }, 'dashboard');
    expect(kelurahan.errors).toBeUndefined();
    const raw = await living.definition.aggregate(graph.models, 2025, codes);
    expect(kelurahan.data._entities).toEqual(codes.map((code) => ({ kelurahanCode: code, year: 2025, living: raw.get(code) ?? living.definition.empty() })));
  });
});
