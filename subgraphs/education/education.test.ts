import { Types } from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Identity, Role } from '../../platform/identity';
import { addDays, isoDay, todayInKediri } from '../kit/calendar';
import { reportedYears } from '../kit/pillar';
import { createRandom } from '../kit/random';
import { CITY } from '../kit/readModel';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId } from '../kit/residents';
import { startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { education } from './index';
import { createEducationLoaders, type EducationContext } from './loaders';
import type { EducationModels } from './models';
import { recordAttendance } from './mutations/attendance';
import { createEmasClass } from './mutations/classes';
import { enrolParticipant } from './mutations/enrolment';
import { society } from './pillar';
import { weekdayOf } from './rules';
import { randomWrites } from './sampleWrites';

/**
 * The education subgraph over real HTTP against the embedded store, seeded once. Mutations run against a
 * fixture spot with classes of the running year that meet on today's weekday in Kediri, so a session "today" is
 * always a scheduled one; the seeded years (2021–2024) are over and take no new enrolments. The fixture spots
 * are written straight into the database, since no mutation creates spots, but in a write unit that refreshes
 * the read model as a mutation would; their classes are created with createEmasClass. The read model's
 * consistency test runs last, since its random writes plan and fill this year's classes.
 */
let graph: TestSubgraph<EducationModels>;
let models: TestSubgraph<EducationModels>['models'];

const TODAY = todayInKediri();
const THIS_YEAR = TODAY.getUTCFullYear();
/** The years whose figures a spot opened or paused this year changes: this one and every later one reported. */
const FROM_THIS_YEAR = reportedYears().filter((year) => year >= THIS_YEAR);
const FIXTURE_KELURAHAN = '35.71.03.1007';
const fixture = {
  adultClassId: '',
  learnersClassId: '',
  pausedClassId: '',
  pastClassId: '',
  openSpotId: '',
  pausedSpotId: '',
  tutorId: '',
};

const SOCIETY = 'society { emasSpots activeEmasSpots participants tutors classes enrolments }';
const ENROL = `mutation($input: EnrolParticipantInput!) {
  enrolParticipant(input: $input) { id level year enrolledAt class { id } participant { id name ageBand kelurahanCode } }
}`;
const CREATE_CLASS = `mutation($input: CreateEmasClassInput!) {
  createEmasClass(input: $input) { id level year kelurahanCode spot { id } tutor { id activeYears } }
}`;
const ATTEND = `mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { sessionDate recorded alreadyRecorded class { id } attendance { sessionDate participant { id } } }
}`;

function errorAt(result: GraphQLResult, path?: (string | number)[]) {
  return result.errors?.find((error) => !path || JSON.stringify(error.path) === JSON.stringify(path));
}

function expectBadInput(result: GraphQLResult, field: string) {
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
}

/** A Kota Kediri NIK (kecamatan Pesantren) for a test person; `serial` keeps each one distinct. */
function nik(birth: string, serial: number): string {
  const [year, month, day] = birth.split('-');
  return `357103${day}${month}${year.slice(2)}${String(serial).padStart(4, '0')}`;
}

function adultInput(serial: number, overrides: Record<string, unknown> = {}) {
  return {
    classId: fixture.adultClassId,
    participant: { nik: nik('1990-05-15', serial), name: `Tester ${serial}`, birthDate: '1990-05-15', kelurahanCode: FIXTURE_KELURAHAN, ...overrides },
  };
}

async function counts() {
  const [participants, enrolments, attendance] = await Promise.all([
    models.Participant.countDocuments(),
    models.Enrolment.countDocuments(),
    models.Attendance.countDocuments(),
  ]);
  return { participants, enrolments, attendance };
}

/**
 * Database round trips (query + command + getmore) during `work`. The serverStatus that reads the counters
 * afterwards counts itself once and is taken off. The driver's server monitor may also send one `hello` in the
 * window, so the bounds below allow one command more than the resolvers send.
 */
const MONITOR_SLACK = 1;
async function commandsDuring(work: () => Promise<unknown>): Promise<number> {
  const sum = (c: Record<string, number>) => (c.query ?? 0) + (c.command ?? 0) + (c.getmore ?? 0);
  const before = sum(await graph.opcounters());
  await work();
  return sum(await graph.opcounters()) - before - 1;
}

/** Creates a class through the mutation as the agency and answers its id; any error fails the test run. */
async function createClass(input: { spotId: string; level: string; year: number; tutorId?: string; idempotencyKey: string }): Promise<string> {
  const result = await graph.query(CREATE_CLASS, { input }, 'agency:education');
  expect(result.errors).toBeUndefined();
  return result.data.createEmasClass.id;
}

/** A spot as the agency's register holds one opened on `openedOn` and active since. */
function openSpot(code: string, name: string, kelurahanCode: string, hostType: string, schedule: object[], openedOn: Date) {
  return { code, name, kelurahanCode, hostType, schedule, status: 'active', openedOn, statusHistory: [{ status: 'active', since: openedOn }] };
}

/** Writes fixture records straight into the database, in a write unit that keeps the read model exact. */
function writeFixture<T>(kelurahanCode: string, years: number | readonly number[], work: () => Promise<T>): Promise<T> {
  return graph.transaction(async (unit) => {
    const result = await work();
    unit.figuresChanged(kelurahanCode, years);
    return result;
  });
}

beforeAll(async () => {
  graph = await startTestSubgraph(education, { seed: true });
  models = graph.models;
  const weekday = weekdayOf(TODAY);
  const openedOn = new Date(Date.UTC(THIS_YEAR, 0, 1));
  const adults = { day: weekday, startTime: '19:00', level: 'adult' };
  const learners = { day: weekday, startTime: '15:00', level: 'young_learners' };
  const [open, paused] = await writeFixture(FIXTURE_KELURAHAN, FROM_THIS_YEAR, () =>
    models.Spot.insertMany([
      openSpot('EMAS-9001', 'EMAS Test Pos RT Pesantren', FIXTURE_KELURAHAN, 'rt_post', [adults, learners], openedOn),
      openSpot('EMAS-9002', 'EMAS Test Musala Pesantren', FIXTURE_KELURAHAN, 'mosque', [adults], openedOn),
    ]),
  );
  fixture.openSpotId = String(open._id);
  fixture.pausedSpotId = String(paused._id);
  const tutor = await models.Tutor.findOne().lean();
  fixture.tutorId = String(tutor!._id);
  fixture.adultClassId = await createClass({ spotId: fixture.openSpotId, level: 'ADULT', year: THIS_YEAR, tutorId: fixture.tutorId, idempotencyKey: 'fixture-adult' });
  fixture.learnersClassId = await createClass({ spotId: fixture.openSpotId, level: 'YOUNG_LEARNERS', year: THIS_YEAR, idempotencyKey: 'fixture-learners' });
  fixture.pausedClassId = await createClass({ spotId: fixture.pausedSpotId, level: 'ADULT', year: THIS_YEAR, tutorId: fixture.tutorId, idempotencyKey: 'fixture-paused' });
  // The second spot pauses after its class was planned; no mutation pauses a spot, so the test writes it.
  await writeFixture(FIXTURE_KELURAHAN, FROM_THIS_YEAR, () =>
    models.Spot.updateOne({ _id: paused._id }, { $set: { status: 'paused' }, $push: { statusHistory: { status: 'paused', since: openedOn } } }),
  );
  const past = await models.EmasClass.findOne({ year: 2023, level: 'adult' }).lean();
  fixture.pastClassId = String(past!._id);
});

afterAll(async () => {
  await graph?.stop();
});

describe('public facility data: spots and classes', () => {
  it('pages through spots without overlap and counts them all', async () => {
    const query = `query($after: String) { emasSpots(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id code } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result: GraphQLResult = await graph.query(query, { after });
      expect(result.errors).toBeUndefined();
      const page = result.data.emasSpots;
      expect(page.totalCount).toBe(await models.Spot.countDocuments());
      seen.push(...page.nodes.map((node: { id: string }) => node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(await models.Spot.countDocuments());
  });

  it('filters spots by kelurahan and current status', async () => {
    const code = KELURAHAN[4].code;
    const result = await graph.query(
      `query($k: String) { emasSpots(kelurahanCode: $k, status: ACTIVE, first: 100) { totalCount nodes { code kelurahanCode status } } }`,
      { k: code },
    );
    const raw = await models.Spot.find({ kelurahanCode: code, status: 'active' }).lean();
    expect(result.data.emasSpots.totalCount).toBe(raw.length);
    expect(result.data.emasSpots.nodes.map((n: { code: string }) => n.code).sort()).toEqual(raw.map((s) => s.code).sort());
    expect(result.data.emasSpots.nodes.every((n: { kelurahanCode: string; status: string }) => n.kelurahanCode === code && n.status === 'ACTIVE')).toBe(true);
  });

  it('names the argument at fault', async () => {
    expectBadInput(await graph.query(`{ emasSpots(kelurahanCode: "35.71.09.1001") { totalCount } }`), 'kelurahanCode');
    expectBadInput(await graph.query(`{ emasSpots(first: 101) { totalCount } }`), 'first');
    expectBadInput(await graph.query(`{ emasSpot(id: "not-an-id") { code } }`), 'id');
    expectBadInput(await graph.query(`{ emasClasses(year: 1999) { totalCount } }`), 'year');
  });

  it('lists a year’s classes of one level with their spots, and hides tutors and enrolments from the public', async () => {
    const result = await graph.query(`{ emasClasses(year: 2023, level: YOUNG_LEARNERS, first: 5) { totalCount nodes { id level year spot { code } tutor { name } } } }`);
    expect(result.data.emasClasses.totalCount).toBe(await models.EmasClass.countDocuments({ year: 2023, level: 'young_learners' }));
    expect(result.data.emasClasses.nodes).toHaveLength(5);
    expect(result.data.emasClasses.nodes[0]).toMatchObject({ level: 'YOUNG_LEARNERS', year: 2023, tutor: null });
    expect(result.data.emasClasses.nodes[0].spot.code).toMatch(/^EMAS-\d+$/);
    expect(errorAt(result, ['emasClasses', 'nodes', 0, 'tutor'])?.extensions?.code).toBe('FORBIDDEN');
  });

  it('resolves EmasSpot and Kelurahan references with their spots', async () => {
    const spot = await models.Spot.findOne({ code: 'EMAS-010' }).lean();
    const code = spot!.kelurahanCode;
    const result = await graph.query(
      `query($r: [_Any!]!) { _entities(representations: $r) {
        ... on EmasSpot { code kelurahan { code } }
        ... on Kelurahan { code emasSpots { code } }
      } }`,
      { r: [{ __typename: 'EmasSpot', id: String(spot!._id) }, { __typename: 'Kelurahan', code }, { __typename: 'EmasSpot', id: '0'.repeat(24) }] },
    );
    expect(result.errors).toBeUndefined();
    const raw = await models.Spot.find({ kelurahanCode: code }).sort({ _id: 1 }).lean();
    expect(result.data._entities).toEqual([
      { code: 'EMAS-010', kelurahan: { code } },
      { code, emasSpots: raw.map((s) => ({ code: s.code })) },
      null,
    ]);
  });
});

describe('personal data belongs to the education agency', () => {
  const participants = `{ emasParticipants(first: 3) { totalCount nodes { id name ageBand kelurahanCode resident { id } } } }`;

  it.each<Role>(['public', 'dashboard', 'caseworker', 'auditor', 'agency:tax'])('refuses participants and tutors to %s', async (role) => {
    const result = await graph.query(participants, {}, role);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await graph.query(`{ emasTutors { totalCount } }`, {}, role)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows participants to the agency, with a pseudonymous resident id and never a NIK', async () => {
    const result = await graph.query(participants, {}, 'agency:education');
    expect(result.errors).toBeUndefined();
    expect(result.data.emasParticipants.totalCount).toBe(await models.Participant.countDocuments());
    const first = result.data.emasParticipants.nodes[0];
    const raw = await models.Participant.findById(first.id).select('+nik').lean();
    expect(first).toMatchObject({ name: raw!.name, kelurahanCode: raw!.kelurahanCode });
    expect(first.resident.id).toBe(residentId(raw!.nik, TEST_SECRETS.residentIdSecret));
    const fields = await graph.query(`{ __type(name: "EmasParticipant") { fields { name } } }`, {}, 'agency:education');
    expect(fields.data.__type.fields.map((f: { name: string }) => f.name)).not.toContain('nik');
  });

  it('lists the 42 tutors who taught in 2023 to the agency', async () => {
    const result = await graph.query(`{ emasTutors(year: 2023, first: 100) { totalCount nodes { activeYears classes(year: 2023) { year } } } }`, {}, 'agency:education');
    expect(result.data.emasTutors.totalCount).toBe(42);
    for (const tutor of result.data.emasTutors.nodes) {
      expect(tutor.activeYears).toContain(2023);
      expect(tutor.classes.length).toBeGreaterThan(0);
    }
  });
});

describe('Resident: a person’s EMAS enrolments', () => {
  const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id emasEnrolments { year level class { id } sessionsAttended } } } }`;

  it('gives a caseworker and the agency the resident’s enrolments, in order, with attendance counts', async () => {
    const attended = await models.Attendance.findOne().lean();
    const enrolment = await models.Enrolment.findOne({ participantId: attended!.participantId, classId: attended!.classId }).lean();
    const rid = enrolment!.residentId;
    const raw = await models.Enrolment.find({ residentId: rid }).sort({ enrolledAt: 1 }).lean();
    const sessions = await models.Attendance.countDocuments({ classId: attended!.classId, participantId: attended!.participantId });
    for (const role of ['caseworker', 'agency:education'] as const) {
      const result = await graph.queryWithGrant(query, { r: [{ __typename: 'Resident', id: rid }] }, role);
      expect(result.errors).toBeUndefined();
      const list = result.data._entities[0].emasEnrolments;
      expect(list.map((e: { class: { id: string } }) => e.class.id)).toEqual(raw.map((e) => String(e.classId)));
      const same = list.find((e: { class: { id: string } }) => e.class.id === String(attended!.classId));
      expect(same.sessionsAttended).toBe(sessions);
      expect(sessions).toBeGreaterThan(0);
    }
  });

  it('answers an empty list for a resident EMAS does not know', async () => {
    const result = await graph.queryWithGrant(query, { r: [{ __typename: 'Resident', id: `R${'0'.repeat(32)}` }] }, 'caseworker');
    expect(result.data._entities).toEqual([{ id: `R${'0'.repeat(32)}`, emasEnrolments: [] }]);
  });

  it.each<Role>(['public', 'dashboard', 'auditor', 'agency:health'])('refuses the field to %s', async (role) => {
    const enrolment = await models.Enrolment.findOne().lean();
    const result = await graph.queryWithGrant(query, { r: [{ __typename: 'Resident', id: enrolment!.residentId }] }, role);
    expect(result.data._entities[0].emasEnrolments).toBeNull();
    expect(errorAt(result, ['_entities', 0, 'emasEnrolments'])?.extensions?.code).toBe('FORBIDDEN');
  });
});

/** The pillar computed in plain JavaScript from the raw documents, independently of the aggregations. */
async function independentFigures(year: number) {
  const end = new Date(Date.UTC(year + 1, 0, 1));
  const start = new Date(Date.UTC(year, 0, 1));
  const [spots, classes, enrolments] = await Promise.all([
    models.Spot.find().lean(),
    models.EmasClass.find({ year }).lean(),
    models.Enrolment.find({ year }).lean(),
  ]);
  type Figures = { emasSpots: number; activeEmasSpots: number; participants: Set<string>; tutors: Set<string>; classes: number; enrolments: number };
  const blank = (): Figures => ({ emasSpots: 0, activeEmasSpots: 0, participants: new Set(), tutors: new Set(), classes: 0, enrolments: 0 });
  const city = blank();
  const byKelurahan = new Map(KELURAHAN.map((k) => [k.code, blank()]));
  for (const spot of spots) {
    const changes = spot.statusHistory.filter((c) => c.since < end);
    if (changes.length === 0) continue;
    const last = changes[changes.length - 1];
    if (last.status === 'closed' && last.since < start) continue;
    for (const f of [city, byKelurahan.get(spot.kelurahanCode)!]) {
      f.emasSpots += 1;
      if (last.status === 'active') f.activeEmasSpots += 1;
    }
  }
  for (const c of classes) {
    for (const f of [city, byKelurahan.get(c.kelurahanCode)!]) {
      f.classes += 1;
      f.tutors.add(String(c.tutorId));
    }
  }
  for (const e of enrolments) {
    for (const f of [city, byKelurahan.get(e.kelurahanCode)!]) {
      f.enrolments += 1;
      f.participants.add(String(e.participantId));
    }
  }
  const plain = (f: Figures) => ({ ...f, participants: f.participants.size, tutors: f.tutors.size });
  return { city: plain(city), byKelurahan: new Map([...byKelurahan].map(([code, f]) => [code, plain(f)])) };
}

describe('Smart Society pillar on the scorecards', () => {
  const kelurahanQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on KelurahanScorecard { kelurahanCode year ${SOCIETY} } } }`;
  const allKelurahan = (year: number) => KELURAHAN.map((k) => ({ __typename: 'KelurahanScorecard', kelurahanCode: k.code, year }));

  it('reproduces the published 2023 city figures: 108 spots, 100 active, 2,313 participants, 42 tutors', async () => {
    const result = await graph.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on CityScorecard { year ${SOCIETY} } } }`, {
      r: [{ __typename: 'CityScorecard', year: 2023 }],
    });
    expect(result.errors).toBeUndefined();
    const expected = (await independentFigures(2023)).city;
    expect(result.data._entities[0].society).toEqual(expected);
    expect(expected).toMatchObject({ emasSpots: 108, activeEmasSpots: 100, participants: 2313, tutors: 42 });
  });

  it.each([2021, 2022, 2024])('matches the raw records for the city in %i', async (year) => {
    const result = await graph.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on CityScorecard { ${SOCIETY} } } }`, {
      r: [{ __typename: 'CityScorecard', year }],
    });
    expect(result.data._entities[0].society).toEqual((await independentFigures(year)).city);
  });

  it('matches the raw records in every kelurahan for the dashboard, exactly', async () => {
    const result = await graph.query(kelurahanQuery, { r: allKelurahan(2023) }, 'dashboard');
    expect(result.errors).toBeUndefined();
    const expected = (await independentFigures(2023)).byKelurahan;
    for (const entity of result.data._entities) expect(entity.society).toEqual(expected.get(entity.kelurahanCode));
    expect(result.data._entities.every((e: { society: { emasSpots: number } }) => e.society.emasSpots >= 1)).toBe(true);
  });

  it('withholds kelurahan counts of people below 5 from the public, and never the spots', async () => {
    const result = await graph.query(kelurahanQuery, { r: allKelurahan(2023) }, 'public');
    const expected = (await independentFigures(2023)).byKelurahan;
    let suppressed = 0;
    result.data._entities.forEach((entity: { kelurahanCode: string; society: Record<string, number | null> }, index: number) => {
      const figures = expected.get(entity.kelurahanCode)!;
      expect(entity.society.emasSpots).toBe(figures.emasSpots);
      expect(entity.society.activeEmasSpots).toBe(figures.activeEmasSpots);
      for (const field of ['participants', 'tutors'] as const) {
        if (figures[field] < 5) {
          suppressed += 1;
          expect(entity.society[field]).toBeNull();
          expect(errorAt(result, ['_entities', index, 'society', field])?.extensions?.code).toBe('SUPPRESSED_SMALL_COUNT');
        } else {
          expect(entity.society[field]).toBe(figures[field]);
        }
      }
    });
    expect(suppressed).toBeGreaterThan(0);
  });

  it('withholds enrolments with the participants they come from, in a year without classes', async () => {
    const result = await graph.query(kelurahanQuery, { r: [{ __typename: 'KelurahanScorecard', kelurahanCode: KELURAHAN[0].code, year: 2019 }] }, 'public');
    const society = result.data._entities[0].society;
    expect(society).toMatchObject({ participants: null, enrolments: null, tutors: null, classes: 0 });
    expect(society.emasSpots).toBeGreaterThanOrEqual(1);
    expect(errorAt(result, ['_entities', 0, 'society', 'enrolments'])?.extensions?.code).toBe('SUPPRESSED_SMALL_COUNT');
  });

  it('resolves a representation with an unknown kelurahan or year to null, without an error', async () => {
    const result = await graph.query(
      kelurahanQuery,
      {
        r: [
          { __typename: 'KelurahanScorecard', kelurahanCode: '99.99.99.9999', year: 2023 },
          { __typename: 'KelurahanScorecard', kelurahanCode: KELURAHAN[0].code, year: 1999 },
        ],
      },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([null, null]);
  });
});

describe('batching: a constant number of database commands', () => {
  it('answers 46 kelurahan scorecards with one indexed read of the read model', async () => {
    const used = await commandsDuring(async () => {
      const result = await graph.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on KelurahanScorecard { ${SOCIETY} } } }`, {
        r: KELURAHAN.map((k) => ({ __typename: 'KelurahanScorecard', kelurahanCode: k.code, year: 2024 })),
      }, 'dashboard');
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toHaveLength(46);
    });
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(1 + MONITOR_SLACK);
  });

  it('answers 46 kelurahan with their spots and those spots’ classes with one query each', async () => {
    const used = await commandsDuring(async () => {
      const result = await graph.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Kelurahan { emasSpots { code classes(year: 2023) { level } } } } }`, {
        r: KELURAHAN.map((k) => ({ __typename: 'Kelurahan', code: k.code })),
      });
      expect(result.errors).toBeUndefined();
    });
    // One find for the spots, one for the classes, each with one getMore: both answers pass the first
    // batch of 101 documents the driver asks for.
    expect(used).toBeGreaterThanOrEqual(2);
    expect(used).toBeLessThanOrEqual(4 + MONITOR_SLACK);
  });

  it('answers a page of 100 classes with their spots in 3 commands (page, count, spots)', async () => {
    const used = await commandsDuring(() => graph.query(`{ emasClasses(first: 100) { nodes { spot { code } } } }`));
    expect(used).toBeGreaterThanOrEqual(3);
    expect(used).toBeLessThanOrEqual(3 + MONITOR_SLACK);
  });
});

describe('createEmasClass', () => {
  const NEXT_YEAR = THIS_YEAR + 1;
  /** A spot that schedules adults only, and two seeded tutors who do not teach next year yet. */
  const planning = { spotId: '', tutorId: '', otherTutorId: '' };
  let keys = 0;
  /** A new key per request, as a staff app generates one per class it plans. */
  const newKey = () => `test-class-${++keys}`;
  /** An input that is valid in every field: an adult class of next year at the planning spot. */
  const planningInput = (change: Record<string, unknown> = {}) => ({
    spotId: planning.spotId,
    level: 'ADULT',
    year: NEXT_YEAR,
    tutorId: planning.tutorId,
    idempotencyKey: newKey(),
    ...change,
  });
  const create = (input: Record<string, unknown>, role: Role = 'agency:education') => graph.query(CREATE_CLASS, { input }, role);

  /** What a refused or failed call must leave as it was: the classes and every tutor's years. */
  async function classState() {
    const [classes, tutors] = await Promise.all([models.EmasClass.countDocuments(), models.Tutor.find().sort({ _id: 1 }).lean()]);
    return { classes, tutorYears: tutors.map((tutor) => [...tutor.activeYears].sort((a, b) => a - b)) };
  }

  beforeAll(async () => {
    const openedOn = new Date(Date.UTC(THIS_YEAR, 0, 1));
    const [spot] = await writeFixture(FIXTURE_KELURAHAN, FROM_THIS_YEAR, () =>
      models.Spot.insertMany([
        openSpot('EMAS-9003', 'EMAS Test Kafe Pesantren', FIXTURE_KELURAHAN, 'cafe', [{ day: 'saturday', startTime: '19:30', level: 'adult' }], openedOn),
      ]),
    );
    planning.spotId = String(spot._id);
    const tutors = await models.Tutor.find({ _id: { $ne: new Types.ObjectId(fixture.tutorId) } }).sort({ _id: 1 }).limit(2).lean();
    planning.tutorId = String(tutors[0]._id);
    planning.otherTutorId = String(tutors[1]._id);
  });

  it('plans a class of next year at an active spot, for the agency, and adds the year to its tutor', async () => {
    const tutor = await models.Tutor.findById(planning.otherTutorId).lean();
    expect(tutor!.activeYears).not.toContain(NEXT_YEAR);
    const before = await classState();
    const input = { spotId: fixture.openSpotId, level: 'ADULT', year: NEXT_YEAR, tutorId: planning.otherTutorId, idempotencyKey: newKey() };
    const result = await create(input);
    expect(result.errors).toBeUndefined();
    expect(result.data.createEmasClass).toMatchObject({
      level: 'ADULT',
      year: NEXT_YEAR,
      kelurahanCode: FIXTURE_KELURAHAN,
      spot: { id: fixture.openSpotId },
      tutor: { id: planning.otherTutorId, activeYears: [...tutor!.activeYears, NEXT_YEAR].sort((a, b) => a - b) },
    });
    expect(await models.EmasClass.countDocuments()).toBe(before.classes + 1);
    const stored = await models.EmasClass.findById(result.data.createEmasClass.id).lean();
    expect(stored).toMatchObject({ level: 'adult', year: NEXT_YEAR, kelurahanCode: FIXTURE_KELURAHAN, idempotencyKey: input.idempotencyKey });
    expect(String(stored!.tutorId)).toBe(planning.otherTutorId);
  });

  it('answers a retry, even one racing the first call, with the first class and writes once', async () => {
    const input = { spotId: fixture.openSpotId, level: 'YOUNG_LEARNERS', year: NEXT_YEAR, tutorId: fixture.tutorId, idempotencyKey: newKey() };
    const before = await classState();
    const [first, racing] = await Promise.all([create(input), create(input)]);
    expect(first.errors).toBeUndefined();
    expect(racing.errors).toBeUndefined();
    expect(racing.data.createEmasClass.id).toBe(first.data.createEmasClass.id);
    const retry = await create(input);
    expect(retry.data.createEmasClass).toEqual(first.data.createEmasClass);
    expect(await models.EmasClass.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await models.EmasClass.countDocuments()).toBe(before.classes + 1);
    const tutor = await models.Tutor.findById(fixture.tutorId).lean();
    expect(tutor!.activeYears.filter((year) => year === NEXT_YEAR)).toHaveLength(1);
  });

  it('plans a class without a tutor, which the scorecard counts as a class but not as a tutor', async () => {
    const spot = await models.Spot.findOne({ status: 'active', code: { $nin: ['EMAS-9001', 'EMAS-9002', 'EMAS-9003'] } }).lean();
    const level = spot!.schedule[0].level;
    const result = await create({ spotId: String(spot!._id), level: level.toUpperCase(), year: THIS_YEAR, idempotencyKey: newKey() });
    expect(result.errors).toBeUndefined();
    expect(result.data.createEmasClass).toMatchObject({ level: level.toUpperCase(), year: THIS_YEAR, kelurahanCode: spot!.kelurahanCode, tutor: null });
    const stored = await models.EmasClass.findById(result.data.createEmasClass.id).lean();
    expect(stored).not.toHaveProperty('tutorId');
    const card = await graph.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on CityScorecard { society { classes tutors } } } }`, {
      r: [{ __typename: 'CityScorecard', year: THIS_YEAR }],
    });
    const classes = await models.EmasClass.find({ year: THIS_YEAR }).lean();
    const tutors = new Set(classes.filter((klass) => klass.tutorId).map((klass) => String(klass.tutorId)));
    expect(card.data._entities[0].society).toEqual({ classes: classes.length, tutors: tutors.size });
  });

  it.each([
    ['idempotencyKey', { idempotencyKey: 'short' }],
    ['idempotencyKey', { idempotencyKey: 'has a space in it' }],
    ['spotId', { spotId: 'nope' }],
    // The planning spot schedules adults only, so it has no slot a class of this level could meet in.
    ['level', { level: 'YOUNG_ADULT_SENIOR' }],
    ['year', { year: THIS_YEAR - 1 }],
    ['year', { year: THIS_YEAR + 2 }],
    ['tutorId', { tutorId: 'x' }],
  ])('refuses a bad %s and writes nothing', async (field, change) => {
    const before = await classState();
    const result = await create(planningInput(change));
    expect(result.data).toBeNull();
    expectBadInput(result, field);
    expect(await classState()).toEqual(before);
  });

  it.each([
    ['spot', { spotId: '0'.repeat(24) }],
    ['tutor', { tutorId: '0'.repeat(24) }],
  ])('refuses a well-formed id of no %s with NOT_FOUND and writes nothing', async (what, change) => {
    const before = await classState();
    const result = await create(planningInput(change));
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(result.errors![0].message).toBe(`No EMAS ${what} with id ${'0'.repeat(24)}.`);
    expect(await classState()).toEqual(before);
  });

  it('refuses a paused or closed spot, and a second class of a level and year, with CONFLICT', async () => {
    const before = await classState();
    const paused = await create({ spotId: fixture.pausedSpotId, level: 'ADULT', year: NEXT_YEAR, tutorId: planning.tutorId, idempotencyKey: newKey() });
    expect(paused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'spotId' });
    expect(paused.errors![0].message).toMatch(/spot is paused/);
    const closedSpot = await models.Spot.findOne({ status: 'closed' }).lean();
    const closed = await create({ spotId: String(closedSpot!._id), level: closedSpot!.schedule[0].level.toUpperCase(), year: THIS_YEAR, idempotencyKey: newKey() });
    expect(closed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'spotId' });
    expect(closed.errors![0].message).toMatch(/spot is closed/);
    const taken = await create({ spotId: fixture.openSpotId, level: 'ADULT', year: THIS_YEAR, tutorId: planning.tutorId, idempotencyKey: newKey() });
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'level' });
    expect(taken.errors![0].message).toContain(fixture.adultClassId);
    expect(await classState()).toEqual(before);
  });

  it('refuses a key used before for other input with CONFLICT and writes nothing', async () => {
    const before = await classState();
    const first = { spotId: fixture.openSpotId, level: 'ADULT', year: THIS_YEAR, tutorId: fixture.tutorId, idempotencyKey: 'fixture-adult' };
    expect((await create(first)).data.createEmasClass.id).toBe(fixture.adultClassId);
    for (const change of [{ level: 'YOUNG_LEARNERS' }, { year: NEXT_YEAR }, { tutorId: planning.tutorId }, { tutorId: null }, { spotId: planning.spotId }]) {
      const reused = await create({ ...first, ...change });
      expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    }
    expect(await classState()).toEqual(before);
  });

  it.each<Role>(['public', 'dashboard', 'caseworker', 'auditor', 'agency:tax'])('refuses %s with FORBIDDEN and writes nothing', async (role) => {
    const before = await classState();
    const result = await create(planningInput(), role);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await classState()).toEqual(before);
  });

  it('leaves the tutor’s years as they were when the class cannot be written, and the same key then succeeds', async () => {
    const input = planningInput();
    const before = await classState();
    expect((await models.Tutor.findById(planning.tutorId).lean())!.activeYears).not.toContain(NEXT_YEAR);
    // The class write fails after the tutor's year was added, as when the store refuses it.
    const write = vi.spyOn(models.EmasClass, 'create').mockRejectedValueOnce(new Error('the store refused the write'));
    try {
      const failed = await create(input);
      expect(failed.data).toBeNull();
      expect(failed.errors).toHaveLength(1);
      expect(write).toHaveBeenCalledTimes(1);
    } finally {
      write.mockRestore();
    }
    expect(await classState()).toEqual(before);
    const retried = await create(input);
    expect(retried.errors).toBeUndefined();
    expect(retried.data.createEmasClass).toMatchObject({ spot: { id: planning.spotId }, year: NEXT_YEAR, tutor: { id: planning.tutorId } });
    expect(retried.data.createEmasClass.tutor.activeYears).toContain(NEXT_YEAR);
  });
});

describe('enrolParticipant', () => {
  it('registers a new participant and enrols them, for the agency only', async () => {
    const before = await counts();
    const result = await graph.query(ENROL, { input: adultInput(1) }, 'agency:education');
    expect(result.errors).toBeUndefined();
    expect(result.data.enrolParticipant).toMatchObject({
      level: 'ADULT',
      year: THIS_YEAR,
      class: { id: fixture.adultClassId },
      participant: { name: 'Tester 1', ageBand: 'ADULT', kelurahanCode: FIXTURE_KELURAHAN },
    });
    expect(await counts()).toEqual({ ...before, participants: before.participants + 1, enrolments: before.enrolments + 1 });
    const stored = await models.Participant.findOne({ residentId: residentId(nik('1990-05-15', 1), TEST_SECRETS.residentIdSecret) }).select('+nik').lean();
    expect(stored!.nik).toBe(nik('1990-05-15', 1));
  });

  it('answers a retry with the first enrolment and counts it once', async () => {
    const first = await graph.query(ENROL, { input: adultInput(2) }, 'agency:education');
    const before = await counts();
    const again = await graph.query(ENROL, { input: adultInput(2) }, 'agency:education');
    expect(again.data.enrolParticipant.id).toBe(first.data.enrolParticipant.id);
    expect(again.data.enrolParticipant.enrolledAt).toBe(first.data.enrolParticipant.enrolledAt);
    expect(await counts()).toEqual(before);
  });

  it('checks a returning participant against the level and the birth date already registered', async () => {
    const birth = `${THIS_YEAR - 12}-03-03`;
    const person = { nik: nik(birth, 3), name: 'Dewi Kecil', birthDate: birth, kelurahanCode: FIXTURE_KELURAHAN };
    const first = await graph.query(ENROL, { input: { classId: fixture.learnersClassId, participant: person } }, 'agency:education');
    expect(first.data.enrolParticipant.participant.ageBand).toBe('CHILD');
    const before = await counts();
    // Twelve-year-olds may choose Young Learners or move up; this class is for adults, so it is refused.
    const refused = await graph.query(ENROL, { input: { classId: fixture.adultClassId, participant: person } }, 'agency:education');
    expectBadInput(refused, 'participant.birthDate');
    expect(refused.errors![0].message).toMatch(/aged 18 or over/);
    // Tester 1 is registered as born 1990-05-15; a form giving another date for the same NIK is refused.
    const mismatch = await graph.query(
      ENROL,
      { input: { classId: fixture.learnersClassId, participant: { ...adultInput(1).participant, birthDate: `${THIS_YEAR - 8}-01-01` } } },
      'agency:education',
    );
    expect(mismatch.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'participant.birthDate' });
    expect(mismatch.errors![0].message).toMatch(/already registered/);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['classId', { classId: 'nope' }],
    ['participant.nik', { participant: { nik: '1234' } }],
    ['participant.nik', { participant: { nik: '3578010101900001' } }],
    ['participant.name', { participant: { name: ' ' } }],
    ['participant.birthDate', { participant: { birthDate: '15-05-1990' } }],
    ['participant.birthDate', { participant: { birthDate: `${THIS_YEAR + 1}-01-01` } }],
    ['participant.kelurahanCode', { participant: { kelurahanCode: '35.71.04.1001' } }],
  ])('refuses a bad %s and writes nothing', async (field, change) => {
    const base = adultInput(10);
    const input = {
      classId: (change as { classId?: string }).classId ?? base.classId,
      participant: { ...base.participant, ...((change as { participant?: object }).participant ?? {}) },
    };
    const before = await counts();
    expectBadInput(await graph.query(ENROL, { input }, 'agency:education'), field);
    expect(await counts()).toEqual(before);
  });

  it('refuses a well-formed id of no class with NOT_FOUND and writes nothing', async () => {
    const before = await counts();
    const result = await graph.query(ENROL, { input: { ...adultInput(14), classId: '0'.repeat(24) } }, 'agency:education');
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(result.errors![0].message).toBe(`No EMAS class with id ${'0'.repeat(24)}.`);
    expect(await counts()).toEqual(before);
  });

  it('refuses a participant too young for the level, naming the birth date', async () => {
    const birth = `${THIS_YEAR - 10}-01-01`;
    const result = await graph.query(ENROL, { input: adultInput(11, { nik: nik(birth, 11), birthDate: birth }) }, 'agency:education');
    expectBadInput(result, 'participant.birthDate');
    expect(result.errors![0].message).toMatch(/aged 18 or over/);
  });

  it('refuses classes at a paused spot and classes of a year that is over, with CONFLICT', async () => {
    const before = await counts();
    const paused = await graph.query(ENROL, { input: { ...adultInput(12), classId: fixture.pausedClassId } }, 'agency:education');
    expect(paused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'classId' });
    expect(paused.errors![0].message).toMatch(/spot is paused/);
    const past = await graph.query(ENROL, { input: { ...adultInput(12), classId: fixture.pastClassId } }, 'agency:education');
    expect(past.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'classId' });
    expect(await counts()).toEqual(before);
  });

  it.each<Role>(['public', 'dashboard', 'caseworker', 'agency:tax'])('refuses %s with FORBIDDEN and writes nothing', async (role) => {
    const before = await counts();
    const result = await graph.query(ENROL, { input: adultInput(13) }, role);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);
  });
});

describe('recordAttendance', () => {
  const today = isoDay(TODAY);
  const enrolled: string[] = [];

  beforeAll(async () => {
    for (const serial of [21, 22, 23]) {
      const result = await graph.query(ENROL, { input: adultInput(serial) }, 'agency:education');
      enrolled.push(result.data.enrolParticipant.participant.id);
    }
  });

  it('records who came to today’s session, and a retry records no one twice', async () => {
    const first = await graph.query(ATTEND, { input: { classId: fixture.adultClassId, sessionDate: today, participantIds: enrolled.slice(0, 2) } }, 'agency:education');
    expect(first.errors).toBeUndefined();
    expect(first.data.recordAttendance).toMatchObject({ sessionDate: today, recorded: 2, alreadyRecorded: 0, class: { id: fixture.adultClassId } });
    const retry = await graph.query(
      ATTEND,
      { input: { classId: fixture.adultClassId, sessionDate: today, participantIds: [enrolled[1], enrolled[0], enrolled[2]] } },
      'agency:education',
    );
    expect(retry.data.recordAttendance).toMatchObject({ recorded: 1, alreadyRecorded: 2 });
    expect(retry.data.recordAttendance.attendance.map((a: { participant: { id: string } }) => a.participant.id).sort()).toEqual([...enrolled].sort());
    expect(await models.Attendance.countDocuments({ classId: new Types.ObjectId(fixture.adultClassId) })).toBe(3);
  });

  it('writes nothing when one participant in the list is not enrolled in the class', async () => {
    const outsider = await models.Enrolment.findOne({ year: 2023 }).lean();
    const birth = `${THIS_YEAR - 9}-07-07`;
    const child = await graph.query(
      ENROL,
      { input: { classId: fixture.learnersClassId, participant: { nik: nik(birth, 24), name: 'Anak Rajin', birthDate: birth, kelurahanCode: FIXTURE_KELURAHAN } } },
      'agency:education',
    );
    const result = await graph.query(
      ATTEND,
      { input: { classId: fixture.learnersClassId, sessionDate: today, participantIds: [child.data.enrolParticipant.participant.id, String(outsider!.participantId)] } },
      'agency:education',
    );
    expectBadInput(result, 'participantIds[1]');
    expect(await models.Attendance.countDocuments({ classId: new Types.ObjectId(fixture.learnersClassId) })).toBe(0);
  });

  it('refuses a session before the participant enrolled', async () => {
    // Registered and enrolled tomorrow (a record as a clock running ahead would write it).
    const late = await writeFixture(FIXTURE_KELURAHAN, THIS_YEAR, async () => {
      const [participant] = await models.Participant.create([
        {
          nik: nik('1985-02-02', 25),
          residentId: residentId(nik('1985-02-02', 25), TEST_SECRETS.residentIdSecret),
          name: 'Terlambat Daftar',
          birthDate: new Date('1985-02-02'),
          kelurahanCode: FIXTURE_KELURAHAN,
          registeredAt: addDays(TODAY, 1),
        },
      ]);
      await models.Enrolment.create([
        {
          participantId: participant._id,
          classId: new Types.ObjectId(fixture.adultClassId),
          residentId: participant.residentId,
          kelurahanCode: FIXTURE_KELURAHAN,
          year: THIS_YEAR,
          level: 'adult',
          ageBand: 'adult',
          enrolledAt: addDays(TODAY, 1),
        },
      ]);
      return participant;
    });
    const result = await graph.query(ATTEND, { input: { classId: fixture.adultClassId, sessionDate: today, participantIds: [String(late._id)] } }, 'agency:education');
    expectBadInput(result, 'participantIds[0]');
    expect(result.errors![0].message).toMatch(/enrolled on or before/);
  });

  it.each([
    ['sessionDate', { sessionDate: '2024-13-01' }],
    ['sessionDate', { sessionDate: isoDay(addDays(TODAY, -1)) }],
    ['sessionDate', { sessionDate: isoDay(addDays(TODAY, 1)) }],
    ['sessionDate', { sessionDate: isoDay(addDays(TODAY, 7)) }],
    ['participantIds', { participantIds: [] }],
    ['participantIds[0]', { participantIds: ['x'] }],
  ])('refuses a bad %s and writes nothing', async (field, change) => {
    const before = await counts();
    const input = { classId: fixture.adultClassId, sessionDate: today, participantIds: enrolled, ...change };
    expectBadInput(await graph.query(ATTEND, { input }, 'agency:education'), field);
    expect(await counts()).toEqual(before);
  });

  it('refuses a well-formed id of no class, or of no participant, with NOT_FOUND and writes nothing', async () => {
    const before = await counts();
    const noClass = await graph.query(ATTEND, { input: { classId: '0'.repeat(24), sessionDate: today, participantIds: enrolled } }, 'agency:education');
    expect(noClass.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(noClass.errors![0].message).toBe(`No EMAS class with id ${'0'.repeat(24)}.`);
    const input = { classId: fixture.adultClassId, sessionDate: today, participantIds: [enrolled[0], 'f'.repeat(24)] };
    const noOne = await graph.query(ATTEND, { input }, 'agency:education');
    expect(noOne.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(noOne.errors![0].message).toBe(`No EMAS participant with id ${'f'.repeat(24)}.`);
    expect(await counts()).toEqual(before);
  });

  it('refuses a session on a day the spot was paused with CONFLICT, naming the session date, and writes nothing', async () => {
    const before = await counts();
    const result = await graph.query(ATTEND, { input: { classId: fixture.pausedClassId, sessionDate: today, participantIds: enrolled } }, 'agency:education');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'sessionDate' });
    expect(result.errors![0].message).toMatch(/EMAS-9002 was paused on/);
    expect(await counts()).toEqual(before);
  });

  it.each<Role>(['public', 'dashboard', 'caseworker'])('refuses %s with FORBIDDEN', async (role) => {
    const result = await graph.query(ATTEND, { input: { classId: fixture.adultClassId, sessionDate: today, participantIds: enrolled } }, role);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('entity references and grants', () => {
  it('resolves a kelurahan reference with an unknown code to null, without an error', async () => {
    const code = KELURAHAN[3].code;
    const result = await graph.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Kelurahan { code emasSpots { code } } } }`,
      { r: [{ __typename: 'Kelurahan', code: '35.71.09.9999' }, { __typename: 'Kelurahan', code }] },
    );
    expect(result.errors).toBeUndefined();
    const spots = await models.Spot.find({ kelurahanCode: code }).sort({ _id: 1 }).lean();
    expect(result.data._entities).toEqual([null, { code, emasSpots: spots.map((spot) => ({ code: spot.code })) }]);
  });

  it("refuses a resident lookup that carries no grant from the gateway, whatever the caller's role", async () => {
    const enrolment = await models.Enrolment.findOne().lean();
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { emasEnrolments { year } } } }`;
    for (const role of ['agency:education', 'caseworker'] as const) {
      const result = await graph.query(query, { r: [{ __typename: 'Resident', id: enrolment!.residentId }] }, role);
      expect(result.status).toBe(403);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('retries and races: twenty identical calls at once', () => {
  const RACE_KELURAHAN = KELURAHAN[7].code;
  const race = { spotId: '', classId: '', tutorId: '' };
  const participantIds: string[] = [];
  const person = (serial: number) => ({ nik: nik('1992-07-20', serial), name: `Racer ${serial}`, birthDate: '1992-07-20', kelurahanCode: RACE_KELURAHAN });
  const twenty = <T>(call: () => Promise<T>) => Promise.all(Array.from({ length: 20 }, call));

  beforeAll(async () => {
    const openedOn = new Date(Date.UTC(THIS_YEAR, 0, 1));
    const [spot] = await writeFixture(RACE_KELURAHAN, FROM_THIS_YEAR, () =>
      models.Spot.insertMany([
        openSpot('EMAS-9004', 'EMAS Test Gedung SD Lomba', RACE_KELURAHAN, 'school', [{ day: weekdayOf(TODAY), startTime: '19:00', level: 'adult' }], openedOn),
      ]),
    );
    race.spotId = String(spot._id);
    race.tutorId = String((await models.Tutor.findOne({ activeYears: { $ne: THIS_YEAR } }).sort({ _id: -1 }).lean())!._id);
  });

  it('gives twenty identical class plans with one idempotency key the first class, written once, and the tutor the year once', async () => {
    const input = { spotId: race.spotId, level: 'ADULT', year: THIS_YEAR, tutorId: race.tutorId, idempotencyKey: 'race-class-0001' };
    const results = await twenty(() => graph.query(CREATE_CLASS, { input }, 'agency:education'));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data.createEmasClass))).size).toBe(1);
    race.classId = results[0].data.createEmasClass.id;
    expect(results[0].data.createEmasClass).toMatchObject({ level: 'ADULT', year: THIS_YEAR, spot: { id: race.spotId }, tutor: { id: race.tutorId } });
    expect(await models.EmasClass.countDocuments({ spotId: new Types.ObjectId(race.spotId) })).toBe(1);
    const tutor = await models.Tutor.findById(race.tutorId).lean();
    expect(tutor!.activeYears.filter((year) => year === THIS_YEAR)).toHaveLength(1);
  });

  it('gives twenty identical enrolments of a new resident the first enrolment, with one registration', async () => {
    const before = await counts();
    const results = await twenty(() => graph.query(ENROL, { input: { classId: race.classId, participant: person(31) } }, 'agency:education'));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data.enrolParticipant))).size).toBe(1);
    expect(results[0].data.enrolParticipant).toMatchObject({ class: { id: race.classId }, year: THIS_YEAR, participant: { name: 'Racer 31' } });
    expect(await counts()).toEqual({ ...before, participants: before.participants + 1, enrolments: before.enrolments + 1 });
    participantIds.push(results[0].data.enrolParticipant.participant.id);
  });

  it('records twenty identical attendance lists once: every call succeeds with the same session, and each attendance exists once', async () => {
    for (const serial of [32, 33]) {
      const result = await graph.query(ENROL, { input: { classId: race.classId, participant: person(serial) } }, 'agency:education');
      participantIds.push(result.data.enrolParticipant.participant.id);
    }
    const input = { classId: race.classId, sessionDate: isoDay(TODAY), participantIds };
    const results = await twenty(() => graph.query(ATTEND, { input }, 'agency:education'));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    const answers = results.map((r) => r.data.recordAttendance);
    // Each call says how many rows it wrote itself: together exactly one per participant.
    expect(answers.reduce((sum: number, answer: { recorded: number }) => sum + answer.recorded, 0)).toBe(3);
    for (const answer of answers) expect(answer.recorded + answer.alreadyRecorded).toBe(3);
    expect(new Set(answers.map((answer: { attendance: unknown }) => JSON.stringify(answer.attendance))).size).toBe(1);
    expect(answers[0].attendance.map((row: { participant: { id: string } }) => row.participant.id).sort()).toEqual([...participantIds].sort());
    expect(await models.Attendance.countDocuments({ classId: new Types.ObjectId(race.classId) })).toBe(3);
  });

  it('writes nothing of an enrolment whose last write fails: neither the registration nor the figures', async () => {
    const before = await counts();
    const figuresKey = `${THIS_YEAR}|${RACE_KELURAHAN}`;
    const figuresBefore = await models.Figures.findById(figuresKey).lean();
    const versionBefore = await models.DataVersion.findById('education').lean();
    // The enrolment, written after the new participant, fails the model's validation: the unit is undone whole.
    const create = models.Enrolment.create.bind(models.Enrolment) as (docs: object[]) => Promise<unknown>;
    const spy = vi
      .spyOn(models.Enrolment, 'create')
      .mockImplementationOnce(((docs: object[]) => create(docs.map((doc) => ({ ...doc, ageBand: 'toddler' })))) as never);
    try {
      const failed = await graph.query(ENROL, { input: { classId: race.classId, participant: person(34) } }, 'agency:education');
      expect(failed.errors).toHaveLength(1);
      expect(failed.data).toBeNull();
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect(await counts()).toEqual(before);
    expect(await models.Participant.countDocuments({ residentId: residentId(person(34).nik, TEST_SECRETS.residentIdSecret) })).toBe(0);
    expect(await models.Figures.findById(figuresKey).lean()).toEqual(figuresBefore);
    expect(await models.DataVersion.findById('education').lean()).toEqual(versionBefore);

    // The same request, once the store takes it, writes both, and the figures move in the same unit.
    const retried = await graph.query(ENROL, { input: { classId: race.classId, participant: person(34) } }, 'agency:education');
    expect(retried.errors).toBeUndefined();
    expect(await counts()).toEqual({ ...before, participants: before.participants + 1, enrolments: before.enrolments + 1 });
    const figuresAfter = await models.Figures.findById(figuresKey).lean();
    expect(figuresAfter!.figures).toMatchObject({
      enrolments: (figuresBefore!.figures as { enrolments: number }).enrolments + 1,
      participants: (figuresBefore!.figures as { participants: number }).participants + 1,
    });
  });
});

describe("Kediri's clock in the mutations (WIB, UTC+7)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("at 00:30 WIB records today's session in Kediri, while UTC still says yesterday, and refuses tomorrow's", async () => {
    const code = KELURAHAN[12].code;
    const openedOn = new Date(Date.UTC(2025, 0, 1));
    const [spot] = await writeFixture(code, reportedYears().filter((year) => year >= 2025), () =>
      models.Spot.insertMany([
        openSpot('EMAS-9005', 'EMAS Test Rumah Belajar Tengah Malam', code, 'home', ['sunday', 'monday'].map((day) => ({ day, startTime: '19:00', level: 'adult' })), openedOn),
      ]),
    );
    // 17:30 UTC on Saturday 1 March 2025 is 00:30 WIB on Sunday 2 March.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
    const identity: Identity = { subject: 'test-agency:education', role: 'agency:education' };
    const ctx: EducationContext = {
      agency: 'education',
      identity,
      models: graph.models,
      loaders: createEducationLoaders(graph.models, identity),
      figures: society.loader(graph.models, 'read-model'),
      secrets: { residentIdSecret: TEST_SECRETS.residentIdSecret },
      transaction: graph.transaction,
    };
    const klass = await createEmasClass({ spotId: String(spot._id), level: 'adult', year: 2025, idempotencyKey: 'wib-class-2025-03' }, ctx);
    const participant = { nik: nik('1988-08-08', 51), name: 'Begadang Malam', birthDate: '1988-08-08', kelurahanCode: code };
    const enrolment = await enrolParticipant({ classId: String(klass._id), participant }, ctx);
    expect(enrolment.enrolledAt.toISOString()).toBe('2025-03-01T17:30:00.000Z');

    const present = { classId: String(klass._id), participantIds: [String(enrolment.participantId)] };
    const today = await recordAttendance({ ...present, sessionDate: '2025-03-02' }, ctx);
    expect(isoDay(today.sessionDate)).toBe('2025-03-02');
    expect(today).toMatchObject({ recorded: 1, alreadyRecorded: 0 });
    await expect(recordAttendance({ ...present, sessionDate: '2025-03-03' }, ctx)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'sessionDate' },
      message: expect.stringContaining('not after today in Kediri (2025-03-02)'),
    });
    expect(await models.Attendance.countDocuments({ classId: klass._id })).toBe(1);
  });
});

describe('the read model stays exact under writes', () => {
  it('equals a full re-aggregation after every write the tests above made, refused, failed or raced', async () => {
    expect(await society.check(graph.models)).toEqual([]);
  }, 60_000);

  it('equals a full re-aggregation, figure by figure, after 60 random valid writes of every kind', async () => {
    const random = createRandom('education-read-model');
    const staff = { query: (q: string, v?: Record<string, unknown>) => graph.query(q, v, 'agency:education'), models: graph.models };
    const done: string[] = [];
    for (let i = 0; i < 60; i += 1) done.push(await randomWrites(random, staff));
    for (const kind of ['planned', 'enrolled', 'recorded attendance']) expect(done.some((label) => label.startsWith(kind)), kind).toBe(true);
    expect(await society.check(graph.models)).toEqual([]);
  }, 180_000);

  it('answers the scorecards from the read model with the same figures a raw aggregation gives', async () => {
    const codes = KELURAHAN.map((k) => k.code);
    for (const year of [THIS_YEAR, THIS_YEAR + 1]) {
      const city = (await society.definition.aggregate(graph.models, year, null)).get(CITY)!;
      const byKelurahan = await society.definition.aggregate(graph.models, year, codes);
      const result = await graph.query(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on CityScorecard { ${SOCIETY} } ... on KelurahanScorecard { kelurahanCode ${SOCIETY} } } }`,
        { r: [{ __typename: 'CityScorecard', year }, ...codes.map((kelurahanCode) => ({ __typename: 'KelurahanScorecard', kelurahanCode, year }))] },
        'dashboard',
      );
      expect(result.errors).toBeUndefined();
      expect(result.data._entities[0].society).toEqual(city);
      for (const entity of result.data._entities.slice(1)) {
        expect(entity.society, entity.kelurahanCode).toEqual(byKelurahan.get(entity.kelurahanCode) ?? society.definition.empty());
      }
      // The year's writes reached the figures compared here.
      expect(city.classes).toBeGreaterThan(0);
    }
  });
});
