import { kediriYear, yearRange } from '../kit/calendar';
import type { Random } from '../kit/random';
import { samplePopulation, type SampleResident } from '../kit/residents';
import { accepted, pickRecord, type RandomWrite } from '../kit/testing';
import type { HealthModels, PatientRecord, RequestRecord } from './models';
import type { PatientInput } from './mutations';
import { CHANNELS, CONDITIONS, POVERTY_REGISTRIES, PRIORITIES, TEAM_ROLES, VISITABLE_STATUSES, type TeamRole } from './rules';

/**
 * One random valid write of the health agency, chosen among the sample's real records: receive a request
 * for a registered patient, receive the first request of a resident new to Homecare (registering them), or
 * record a visit for an open, scheduled or visited request. Times are drawn over the years the service has
 * run, a quarter of them in the hours around midnight of New Year's Eve in Kediri (17:00 UTC), where a
 * request and its visit can fall in different years: the write must refresh both.
 */
const RECEIVE = 'mutation($input: ReceiveHomecareRequestInput!) { receiveHomecareRequest(input: $input) { id } }';
const VISIT = 'mutation($input: RecordHomecareVisitInput!) { recordHomecareVisit(input: $input) { id } }';

const HOUR_MS = 3_600_000;

/** An instant in a year from 2017 to now, a quarter of them within an hour of a Kediri New Year. */
function randomInstant(random: Random, now: Date): Date {
  const year = random.int(2017, kediriYear(now));
  const { start, end } = yearRange(year);
  const at = random.chance(0.25)
    ? new Date(end.getTime() + random.int(-60, 60) * 60_000)
    : new Date(start.getTime() + Math.floor(random.next() * (end.getTime() - start.getTime())));
  return at.getTime() > now.getTime() - HOUR_MS ? new Date(now.getTime() - random.int(2, 500) * HOUR_MS) : at;
}

/** The `patient` input that registers a resident of the sample population, with the care details given. */
export function patientInputOf(resident: SampleResident, care: Pick<PatientInput, 'conditions' | 'povertyRegistry' | 'bpjs'>): PatientInput {
  return {
    name: resident.name,
    sex: resident.sex,
    birthDate: resident.birthDate.toISOString().slice(0, 10),
    kelurahanCode: resident.kelurahanCode,
    rw: resident.rw,
    rt: resident.rt,
    ...care,
  };
}

function idempotencyKey(random: Random, kind: string): string {
  return `sample-${kind}-${random.int(0, 999_999_999)}-${random.int(0, 999_999_999)}`;
}

function visitOf(random: Random, request: RequestRecord, now: Date) {
  // Most visits within four days, some weeks later; never before receipt, never in the future.
  const hours = random.chance(0.8) ? random.int(1, 96) : random.int(96, 24 * 40);
  const visitedAt = new Date(Math.min(request.receivedAt.getTime() + hours * HOUR_MS + random.int(0, 59) * 60_000, now.getTime()));
  const team: TeamRole[] = [random.pick(['doctor', 'nurse'] as const)];
  for (const role of TEAM_ROLES) if (!team.includes(role) && random.chance(0.2)) team.push(role);
  const systolic = random.int(100, 185);
  return {
    requestId: request._id.toHexString(),
    visitedAt: visitedAt.toISOString(),
    team,
    vitals: {
      systolic,
      diastolic: random.int(55, Math.min(110, systolic - 20)),
      pulse: random.int(55, 110),
      temperature: Math.round((35.8 + random.next() * 2.4) * 10) / 10,
      bloodGlucose: random.chance(0.4) ? random.int(70, 300) : null,
    },
    actions: [random.pick(['blood pressure check', 'wound care', 'medication review', 'physiotherapy session', 'nutrition check'])],
    idempotencyKey: idempotencyKey(random, 'visit'),
  };
}

export const randomWrites: RandomWrite<HealthModels> = async (random, { query, models }) => {
  const now = new Date();
  // Visits weigh most: they are the writes that can change two years at once.
  const index = random.int(0, 1_000_000);
  const choice = random.weighted([[0, 45], [1, 30], [2, 25]] as const);

  if (choice === 0) {
    const request = await pickRecord<RequestRecord>(models.HomecareRequest, { status: { $in: [...VISITABLE_STATUSES] } }, index);
    if (request) {
      const input = visitOf(random, request, now);
      const year = kediriYear(new Date(input.visitedAt));
      return accepted(await query(VISIT, { input }), `visited a request of ${kediriYear(request.receivedAt)} in ${request.kelurahanCode} (visit in ${year})`);
    }
  }

  const receivedAt = randomInstant(random, now);
  const common = {
    channel: random.pick(CHANNELS),
    receivedAt: receivedAt.toISOString(),
    priority: random.pick(PRIORITIES),
    complaint: random.pick(['Weak and dizzy, cannot walk to the puskesmas', 'Wound not healing', 'Ran out of blood pressure medicine']),
    idempotencyKey: idempotencyKey(random, 'request'),
  };
  if (choice === 1) {
    const patient = await pickRecord<PatientRecord>(models.Patient, {}, index);
    if (patient) {
      const label = `received a request of a patient in ${patient.kelurahanCode} (${kediriYear(receivedAt)})`;
      return accepted(await query(RECEIVE, { input: { ...common, nik: patient.nik } }), label);
    }
  }

  // A resident of the sample population whom Homecare does not know yet, born before 2000.
  const population = samplePopulation().filter((resident) => resident.birthDate.getUTCFullYear() < 2000);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const resident = population[random.int(0, population.length - 1)];
    if ((await models.Patient.countDocuments({ nik: resident.nik })) > 0) continue;
    const patient = patientInputOf(resident, {
      conditions: random.shuffle(CONDITIONS).slice(0, random.int(1, 3)),
      povertyRegistry: random.pick(POVERTY_REGISTRIES),
      bpjs: random.chance(0.85),
    });
    const label = `received the first request of a new patient in ${resident.kelurahanCode} (${kediriYear(receivedAt)})`;
    return accepted(await query(RECEIVE, { input: { ...common, nik: resident.nik, patient } }), label);
  }
  return 'found no resident new to Homecare';
};
