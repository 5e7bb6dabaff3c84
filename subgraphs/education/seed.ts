import { Types } from 'mongoose';
import { addDays, KEDIRI_UTC_OFFSET_HOURS, kediriDay } from '../kit/calendar';
import { createRandom, type Random } from '../kit/random';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId, samplePopulation, type SampleResident } from '../kit/residents';
import type { EducationModels } from './models';
import {
  ageBand,
  isEligibleForLevel,
  sessionDates,
  spotExistedIn,
  statusOn,
  type HostType,
  type Level,
  type ScheduleSlot,
  type StatusChange,
  type Weekday,
} from './rules';
import { insertSeed } from '../kit/seeding';

/**
 * Sample data for English Massive, 2021–2024, drawn from the city's shared sample population so the same
 * residents appear in other agencies. It reproduces the published size of the program (about 108 spots, 2,313
 * participants and 41–42 tutors) at the 2023 level: 108 spots exist in 2023, 100 of them active at the end of
 * the year, 2,313 distinct participants and 42 tutors teach. Every kelurahan has at least one spot. Attendance
 * is recorded from October 2024, when the agency started taking it digitally, which keeps the volume moderate.
 */

export const SEED_YEARS = [2021, 2022, 2023, 2024] as const;
/** Distinct participants enrolled per year; 2023 is the published 2,313. */
export const PARTICIPANT_TARGET: Record<number, number> = { 2021: 2050, 2022: 2180, 2023: 2313, 2024: 2420 };
/** Distinct tutors teaching per year; 2023 is the published 42. */
export const TUTOR_TARGET: Record<number, number> = { 2021: 38, 2022: 40, 2023: 42, 2024: 44 };
/** The first day attendance was recorded digitally. */
export const ATTENDANCE_FROM = new Date(Date.UTC(2024, 9, 1));

/** Spots opened before 2021, one anchor per kelurahan plus these, spread by population. */
const EXTRA_EARLY_SPOTS = 54;
const OPENINGS: Record<number, number> = { 2021: 4, 2022: 3, 2023: 5, 2024: 6 };
const CLOSURES: Record<number, number> = { 2021: 2, 2022: 2, 2023: 2, 2024: 1 };
/** Spots paused in the second half of a year; `resume` of them reopen early in January of the next year. */
const PAUSES: Record<number, { count: number; resume: number }> = {
  2021: { count: 3, resume: 3 },
  2022: { count: 4, resume: 4 },
  2023: { count: 6, resume: 4 },
  2024: { count: 3, resume: 0 },
};

const HOST_LABEL: Record<HostType, string> = {
  home: 'Rumah Belajar',
  cafe: 'Kafe',
  preschool: 'PAUD',
  rt_post: 'Pos RT',
  mosque: 'Musala',
  school: 'Gedung SD',
};
const LEVEL_WEIGHTS: readonly (readonly [Level, number])[] = [
  ['young_learners', 40],
  ['young_adult_junior', 20],
  ['young_adult_senior', 15],
  ['adult', 25],
];
const HOST_WEIGHTS: readonly (readonly [HostType, number])[] = [
  ['home', 30],
  ['rt_post', 25],
  ['preschool', 15],
  ['cafe', 12],
  ['mosque', 12],
  ['school', 6],
];

type Id = Types.ObjectId;

export interface SeedSpot {
  _id: Id;
  code: string;
  name: string;
  kelurahanCode: string;
  hostType: HostType;
  schedule: ScheduleSlot[];
  status: string;
  openedOn: Date;
  statusHistory: StatusChange[];
}
export interface SeedTutor {
  _id: Id;
  name: string;
  nik: string;
  residentId: string;
  kelurahanCode: string;
  activeYears: number[];
}
export interface SeedClass {
  _id: Id;
  spotId: Id;
  kelurahanCode: string;
  level: Level;
  tutorId: Id;
  year: number;
}
export interface SeedParticipant {
  _id: Id;
  nik: string;
  residentId: string;
  name: string;
  birthDate: Date;
  kelurahanCode: string;
  registeredAt: Date;
}
export interface SeedEnrolment {
  _id: Id;
  participantId: Id;
  classId: Id;
  residentId: string;
  kelurahanCode: string;
  year: number;
  level: Level;
  ageBand: string;
  enrolledAt: Date;
}
export interface SeedAttendance {
  _id: Id;
  classId: Id;
  participantId: Id;
  sessionDate: Date;
  kelurahanCode: string;
  recordedAt: Date;
}

export interface EducationSeed {
  spots: SeedSpot[];
  tutors: SeedTutor[];
  classes: SeedClass[];
  participants: SeedParticipant[];
  enrolments: SeedEnrolment[];
  attendance: SeedAttendance[];
}

const day = (year: number, month: number, date: number) => new Date(Date.UTC(year, month - 1, date));
const randomDay = (random: Random, from: Date, to: Date) => addDays(from, random.int(0, Math.round((to.getTime() - from.getTime()) / 86_400_000)));

/** Builds the whole data set in memory; deterministic for a given secret. */
export function buildEducationSeed(secrets: { residentIdSecret: string }): EducationSeed {
  const random = createRandom('education-emas-2021-2024');
  const population = samplePopulation();
  const residentsByKelurahan = new Map<string, SampleResident[]>();
  for (const person of population) {
    const list = residentsByKelurahan.get(person.kelurahanCode) ?? [];
    list.push(person);
    residentsByKelurahan.set(person.kelurahanCode, list);
  }

  const spots = buildSpots(random, residentsByKelurahan);
  const tutorPool = buildTutorPool(random, population, secrets.residentIdSecret);
  const tutorIds = new Set(tutorPool.map((tutor) => tutor.nik));
  const classes: SeedClass[] = [];
  const participantsByNik = new Map<string, SeedParticipant>();
  const enrolments: SeedEnrolment[] = [];
  let roster: SeedTutor[] = [];
  let previousParticipants: SampleResident[] = [];

  for (const year of SEED_YEARS) {
    roster = nextRoster(random, roster, tutorPool, TUTOR_TARGET[year]);
    const yearClasses = buildClasses(random, spots, roster, year);
    classes.push(...yearClasses);
    previousParticipants = enrolForYear({
      random,
      year,
      spots,
      classes: yearClasses,
      residentsByKelurahan,
      returning: previousParticipants,
      excluded: tutorIds,
      participantsByNik,
      enrolments,
      secret: secrets.residentIdSecret,
    });
  }

  const tutors = tutorPool.filter((tutor) => tutor.activeYears.length > 0);
  const attendance = buildAttendance(random, spots, classes, enrolments);
  return { spots, tutors, classes, participants: [...participantsByNik.values()], enrolments, attendance };
}

function buildSpots(random: Random, residentsByKelurahan: Map<string, SampleResident[]>): SeedSpot[] {
  const weights = KELURAHAN.map((k) => [k.code, residentsByKelurahan.get(k.code)?.length ?? 1] as const);
  const plans: { kelurahanCode: string; openedOn: Date; anchor: boolean }[] = [];
  // One spot in every kelurahan from the program's early years, as the city describes it.
  for (const k of KELURAHAN) plans.push({ kelurahanCode: k.code, openedOn: randomDay(random, day(2016, 3, 1), day(2019, 12, 15)), anchor: true });
  for (let i = 0; i < EXTRA_EARLY_SPOTS; i += 1) {
    plans.push({ kelurahanCode: random.weighted(weights), openedOn: randomDay(random, day(2016, 6, 1), day(2020, 11, 30)), anchor: false });
  }
  for (const year of SEED_YEARS) {
    // New spots open between February and June, so their first classes start within the first half-year.
    for (let i = 0; i < OPENINGS[year]; i += 1) {
      plans.push({ kelurahanCode: random.weighted(weights), openedOn: randomDay(random, day(year, 2, 1), day(year, 6, 15)), anchor: false });
    }
  }
  plans.sort((a, b) => a.openedOn.getTime() - b.openedOn.getTime());

  const spots: SeedSpot[] = plans.map((plan, index) => {
    const hostType = random.weighted(HOST_WEIGHTS);
    const kelurahan = KELURAHAN.find((k) => k.code === plan.kelurahanCode)!;
    return {
      _id: new Types.ObjectId(),
      code: `EMAS-${String(index + 1).padStart(3, '0')}`,
      name: `EMAS ${HOST_LABEL[hostType]} RW ${String(random.int(1, 9)).padStart(2, '0')} ${kelurahan.name}`,
      kelurahanCode: plan.kelurahanCode,
      hostType,
      schedule: buildSchedule(random),
      status: 'active',
      openedOn: plan.openedOn,
      statusHistory: [{ status: 'active', since: plan.openedOn }],
    };
  });

  // Closures fall on spots opened before 2021 that are not their kelurahan's anchor, so every kelurahan keeps a
  // spot; pauses fall on other spots opened before the year. Changes happen from September, after the term's
  // enrolments, and a resumed spot reopens in the first week of January.
  const anchors = new Set(plans.flatMap((plan, index) => (plan.anchor ? [spots[index]] : [])));
  const changed = new Set<SeedSpot>();
  const early = spots.filter((spot) => !anchors.has(spot) && spot.openedOn.getTime() < day(2021, 1, 1).getTime());
  for (const year of SEED_YEARS) {
    const closing = random.shuffle(early.filter((spot) => !changed.has(spot))).slice(0, CLOSURES[year]);
    for (const spot of closing) {
      changed.add(spot);
      spot.statusHistory.push({ status: 'closed', since: randomDay(random, day(year, 9, 1), day(year, 12, 15)) });
    }
    const pausable = spots.filter((spot) => !changed.has(spot) && spot.openedOn.getTime() < day(year, 1, 1).getTime());
    const pausing = random.shuffle(pausable).slice(0, PAUSES[year].count);
    pausing.forEach((spot, index) => {
      changed.add(spot);
      spot.statusHistory.push({ status: 'paused', since: randomDay(random, day(year, 9, 1), day(year, 12, 15)) });
      if (index < PAUSES[year].resume) spot.statusHistory.push({ status: 'active', since: day(year + 1, 1, random.int(2, 8)) });
    });
  }
  for (const spot of spots) spot.status = spot.statusHistory[spot.statusHistory.length - 1].status;
  return spots;
}

function buildSchedule(random: Random): ScheduleSlot[] {
  const first = random.weighted(LEVEL_WEIGHTS);
  const levels: Level[] = [first];
  if (random.chance(0.4)) {
    const second = random.weighted(LEVEL_WEIGHTS.filter(([level]) => level !== first));
    levels.push(second);
  }
  return levels.map((level) => {
    const day: Weekday = level === 'adult'
      ? random.pick(['tuesday', 'thursday', 'saturday', 'sunday'] as const)
      : random.pick(['monday', 'wednesday', 'friday', 'saturday', 'sunday'] as const);
    const startTime = level === 'adult' ? random.pick(['19:00', '19:30']) : random.pick(['09:00', '15:00', '15:30', '16:00']);
    return { day, startTime, level };
  });
}

function buildTutorPool(random: Random, population: readonly SampleResident[], secret: string): SeedTutor[] {
  // Tutors are volunteer young adults: English graduates, teachers and students aged 20 to 40 in 2021.
  const candidates = population.filter((person) => {
    const born = person.birthDate.getUTCFullYear();
    return born >= 1981 && born <= 2001;
  });
  return random.shuffle(candidates).slice(0, 60).map((person) => ({
    _id: new Types.ObjectId(),
    name: person.name,
    nik: person.nik,
    residentId: residentId(person.nik, secret),
    kelurahanCode: person.kelurahanCode,
    activeYears: [],
  }));
}

/** Next year's tutors: most stay, a few leave, newcomers fill up to the target. */
function nextRoster(random: Random, roster: SeedTutor[], pool: SeedTutor[], target: number): SeedTutor[] {
  const staying = random.shuffle(roster).slice(0, Math.max(0, roster.length - 2));
  const newcomers = pool.filter((tutor) => !roster.includes(tutor));
  return [...staying, ...newcomers.slice(0, target - staying.length)];
}

/** The first day a spot's class can start in a year: the term starts on 10 January, or just after opening. */
function termStart(spot: SeedSpot, year: number): Date {
  const start = day(year, 1, 10);
  return spot.openedOn.getTime() > start.getTime() ? addDays(spot.openedOn, 3) : start;
}

function buildClasses(random: Random, spots: SeedSpot[], roster: SeedTutor[], year: number): SeedClass[] {
  const running = spots.filter((spot) => {
    if (!spotExistedIn(spot.statusHistory, year)) return false;
    return statusOn(spot.statusHistory, termStart(spot, year)) === 'active';
  });
  const tutors = random.shuffle(roster);
  const classes: SeedClass[] = [];
  for (const spot of running) {
    for (const slot of spot.schedule) {
      // Round robin over the year's roster: every tutor teaches at least one class.
      const tutor = tutors[classes.length % tutors.length];
      if (!tutor.activeYears.includes(year)) tutor.activeYears.push(year);
      classes.push({ _id: new Types.ObjectId(), spotId: spot._id, kelurahanCode: spot.kelurahanCode, level: slot.level as Level, tutorId: tutor._id, year });
    }
  }
  return classes;
}

interface EnrolmentRound {
  random: Random;
  year: number;
  spots: SeedSpot[];
  classes: SeedClass[];
  residentsByKelurahan: Map<string, SampleResident[]>;
  returning: SampleResident[];
  excluded: Set<string>;
  participantsByNik: Map<string, SeedParticipant>;
  enrolments: SeedEnrolment[];
  secret: string;
}

/**
 * Fills a year's classes with exactly the year's target of distinct participants, each in a class at a spot
 * in their own kelurahan and of a level their age allows on the enrolment date. About half come back from the
 * year before; a few join a second class. Returns the year's participants.
 */
function enrolForYear(round: EnrolmentRound): SampleResident[] {
  const { random, year, classes } = round;
  const spotById = new Map(round.spots.map((spot) => [String(spot._id), spot]));
  const target = PARTICIPANT_TARGET[year];
  const thisYear = new Map<string, SampleResident>();
  const inClass = new Map<string, Set<string>>(classes.map((klass) => [String(klass._id), new Set<string>()]));
  const returning = new Set(random.shuffle(round.returning).slice(0, Math.round(round.returning.length * 0.5)).map((p) => p.nik));
  const candidates = new Map<string, SampleResident[]>();
  for (const [code, residents] of round.residentsByKelurahan) {
    const fresh = random.shuffle(residents.filter((person) => !round.excluded.has(person.nik)));
    candidates.set(code, [...fresh.filter((p) => returning.has(p.nik)), ...fresh.filter((p) => !returning.has(p.nik))]);
  }

  const enrol = (person: SampleResident, klass: SeedClass, enrolledAt: Date) => {
    let participant = round.participantsByNik.get(person.nik);
    if (!participant) {
      participant = {
        _id: new Types.ObjectId(),
        nik: person.nik,
        residentId: residentId(person.nik, round.secret),
        name: person.name,
        birthDate: person.birthDate,
        kelurahanCode: person.kelurahanCode,
        registeredAt: enrolledAt,
      };
      round.participantsByNik.set(person.nik, participant);
    }
    round.enrolments.push({
      _id: new Types.ObjectId(),
      participantId: participant._id,
      classId: klass._id,
      residentId: participant.residentId,
      kelurahanCode: klass.kelurahanCode,
      year,
      level: klass.level,
      ageBand: ageBand(person.birthDate, kediriDay(enrolledAt)),
      enrolledAt,
    });
    inClass.get(String(klass._id))!.add(person.nik);
    thisYear.set(person.nik, person);
  };
  // Enrolment forms are taken in the afternoon or evening, from 15:00 to 19:00 WIB of the day.
  const enrolmentDate = (klass: SeedClass) => {
    const start = termStart(spotById.get(String(klass.spotId))!, year);
    return new Date(addDays(start, random.int(0, 40)).getTime() + (random.int(15, 19) - KEDIRI_UTC_OFFSET_HOURS) * 3_600_000);
  };
  // Takes the next resident of the class's kelurahan who is not yet enrolled this year and whose age fits.
  const cursor = new Map<string, number>();
  const addOne = (klass: SeedClass): boolean => {
    const list = candidates.get(klass.kelurahanCode) ?? [];
    const enrolledAt = enrolmentDate(klass);
    for (let i = cursor.get(String(klass._id)) ?? 0; i < list.length; i += 1) {
      const person = list[i];
      if (thisYear.has(person.nik) || !isEligibleForLevel(klass.level, person.birthDate, kediriDay(enrolledAt))) continue;
      cursor.set(String(klass._id), i + 1);
      enrol(person, klass, enrolledAt);
      return true;
    }
    cursor.set(String(klass._id), list.length);
    return false;
  };

  // Round robin over the classes until the target is met, so classes grow evenly to about 15 each.
  let open = random.shuffle(classes);
  while (thisYear.size < target && open.length > 0) {
    open = open.filter((klass) => thisYear.size < target && addOne(klass));
  }

  // About 4% also join a second class at a spot in their kelurahan, when their age fits another class there.
  for (const person of random.shuffle([...thisYear.values()]).slice(0, Math.round(target * 0.04))) {
    const others = classes.filter((klass) =>
      klass.kelurahanCode === person.kelurahanCode && !inClass.get(String(klass._id))!.has(person.nik));
    if (others.length === 0) continue;
    const other = random.pick(others);
    const enrolledAt = enrolmentDate(other);
    if (isEligibleForLevel(other.level, person.birthDate, kediriDay(enrolledAt))) enrol(person, other, enrolledAt);
  }
  return [...thisYear.values()];
}

/** Weekly sessions from October 2024; each participant has their own attendance habit. */
function buildAttendance(random: Random, spots: SeedSpot[], classes: SeedClass[], enrolments: SeedEnrolment[]): SeedAttendance[] {
  const spotById = new Map(spots.map((spot) => [String(spot._id), spot]));
  const classById = new Map(classes.map((klass) => [String(klass._id), klass]));
  const rows: SeedAttendance[] = [];
  for (const enrolment of enrolments) {
    if (enrolment.year !== ATTENDANCE_FROM.getUTCFullYear()) continue;
    const klass = classById.get(String(enrolment.classId))!;
    const spot = spotById.get(String(klass.spotId))!;
    const habit = 0.45 + random.next() * 0.45;
    const from = new Date(Math.max(ATTENDANCE_FROM.getTime(), kediriDay(enrolment.enrolledAt).getTime()));
    for (const sessionDate of sessionDates(spot.schedule, klass.level, from, day(2024, 12, 31))) {
      // No sessions while the spot is paused or after it closed.
      if (statusOn(spot.statusHistory, sessionDate) !== 'active' || !random.chance(habit)) continue;
      rows.push({
        _id: new Types.ObjectId(),
        classId: klass._id,
        participantId: enrolment.participantId,
        sessionDate,
        kelurahanCode: klass.kelurahanCode,
        // Recorded at 21:00 WIB of the session's day, after the day's last class.
        recordedAt: new Date(sessionDate.getTime() + (21 - KEDIRI_UTC_OFFSET_HOURS) * 3_600_000),
      });
    }
  }
  return rows;
}

/** Writes the sample data; returns how many records went into each collection. */
export async function seedEducation(
  models: EducationModels,
  secrets: { residentIdSecret: string },
): Promise<Record<string, number>> {
  const data = buildEducationSeed(secrets);
  const batches: [keyof EducationModels, object[]][] = [
    ['Spot', data.spots],
    ['Tutor', data.tutors],
    ['EmasClass', data.classes],
    ['Participant', data.participants],
    ['Enrolment', data.enrolments],
    ['Attendance', data.attendance],
  ];
  for (const [name, docs] of batches) await insertSeed(models[name], docs);
  return {
    spots: data.spots.length,
    tutors: data.tutors.length,
    classes: data.classes.length,
    participants: data.participants.length,
    enrolments: data.enrolments.length,
    attendance: data.attendance.length,
  };
}
