import { Types } from 'mongoose';
import { createRandom, type Random } from '../kit/random';
import { residentId, samplePopulation, type SampleResident } from '../kit/residents';
import type { HealthModels } from './models';
import { responseHours, type TeamRole } from './rules';
import { insertSeed } from '../kit/seeding';

/**
 * Deterministic Homecare sample data, May 2016 to December 2024. The published facts it reproduces: the
 * service started in May 2016 and had served 212 patients by the end of 2020. After that 70–115 new patients
 * a year join, about 40% of a year's patients continue into the next, each patient-year brings 2–8 visits,
 * most requests come through the WhatsApp hotline, most patients are elderly and about 60% are in the DTKS
 * poverty registry. Patients are drawn from the shared sample population so that the same residents appear
 * in other agencies' data.
 */

/** New patients per year; 2016–2020 add up to the published 212 patients served up to 2020. */
export const NEW_PATIENTS_BY_YEAR: Readonly<Record<number, number>> = {
  2016: 20,
  2017: 35,
  2018: 45,
  2019: 52,
  2020: 60,
  2021: 72,
  2022: 86,
  2023: 98,
  2024: 112,
};
export const LAST_SEED_YEAR = 2024;

/** Share of a year's patients still in care the next year (chronic, bedridden and palliative patients). */
const CONTINUE_NEXT_YEAR = 0.4;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const CHANNEL_WEIGHTS = [['whatsapp', 70], ['phone', 12], ['walk_in', 6], ['referral', 12]] as const;
const PRIORITY_WEIGHTS = [['emergency', 15], ['urgent', 35], ['routine', 50]] as const;

/** Hours to the first visit by priority: emergencies within hours, routine requests within three days. */
const RESPONSE_HOURS: Record<string, [number, number]> = { emergency: [1, 6], urgent: [4, 30], routine: [12, 72] };

const COMPLAINTS: Record<string, readonly string[]> = {
  stroke: ['Weakness on one side after a stroke, cannot walk to the puskesmas', 'Stroke follow-up: blood pressure and exercises'],
  paralysis: ['Bedridden, pressure sore on the back', 'Paralysed legs, needs catheter care'],
  elderly_alone: ['Lives alone, has not eaten well for days', 'Elderly neighbour living alone, dizzy and weak'],
  chronic: ['High blood pressure, ran out of medicine', 'Diabetic wound on the foot is not healing'],
  post_hospital: ['Discharged from RSUD Gambiran, needs wound dressing at home', 'After surgery, needs follow-up at home'],
  disability: ['Cannot leave the house in a wheelchair, needs a check-up', 'Disabled resident with a fever'],
  palliative: ['End-stage cancer, pain control at home', 'Family asks for palliative care at home'],
};

const ACTIONS_BY_CONDITION: Record<string, readonly string[]> = {
  stroke: ['physiotherapy session', 'blood pressure check', 'medication review'],
  paralysis: ['pressure sore care', 'catheter care', 'family caregiver education'],
  elderly_alone: ['nutrition check', 'psychosocial support', 'medication review'],
  chronic: ['blood pressure check', 'blood glucose check', 'medication review'],
  post_hospital: ['wound care', 'suture removal', 'medication review'],
  disability: ['general check-up', 'family caregiver education'],
  palliative: ['pain management', 'psychosocial support', 'family caregiver education'],
};

const REFERRALS = [
  ['RSUD Gambiran', 'Needs hospital admission: condition worsened at home'],
  ['RSUD Gambiran', 'Needs specialist examination and laboratory tests'],
  ['Puskesmas', 'Stable: follow-up of chronic disease at the puskesmas'],
  ['Dinas Sosial', 'Lives alone without support: social assistance and carer'],
  ['RS Bhayangkara Kediri', 'Needs surgery for a non-healing wound'],
] as const;

interface PatientPlan {
  resident: SampleResident;
  conditions: string[];
  registeredYear: number;
  lastYear: number;
}

/** A chronological, deterministic ObjectId: the record's own time, a kind byte and a counter. */
function objectId(time: Date, kind: number, counter: number): Types.ObjectId {
  const seconds = Math.floor(time.getTime() / 1000).toString(16).padStart(8, '0');
  return new Types.ObjectId(`${seconds}${kind.toString(16).padStart(2, '0')}${counter.toString(16).padStart(14, '0')}`);
}

function pickConditions(random: Random, elderly: boolean): string[] {
  const chances: [string, number][] = elderly
    ? [['elderly_alone', 0.4], ['chronic', 0.5], ['stroke', 0.3], ['paralysis', 0.15], ['post_hospital', 0.15], ['palliative', 0.05]]
    : [['stroke', 0.35], ['disability', 0.35], ['post_hospital', 0.25], ['paralysis', 0.2], ['chronic', 0.3]];
  const chosen = chances.filter(([, chance]) => random.chance(chance)).map(([condition]) => condition);
  return chosen.length > 0 ? chosen : [random.weighted(chances.map(([condition, weight]) => [condition, weight] as const))];
}

/** A day of the year between two days (inclusive, 0-based from 1 January) at a random minute. */
function dayInYear(random: Random, year: number, fromDay: number, toDay: number): Date {
  const day = random.int(fromDay, toDay);
  return new Date(Date.UTC(year, 0, 1) + day * DAY_MS + random.int(0, 24 * 60 - 1) * 60_000);
}

function teamFor(random: Random, conditions: string[]): TeamRole[] {
  const team: TeamRole[] = random.chance(0.6) ? ['doctor', 'nurse'] : ['nurse'];
  if ((conditions.includes('stroke') || conditions.includes('paralysis')) && random.chance(0.6)) team.push('physiotherapist');
  if (conditions.includes('elderly_alone') && random.chance(0.3)) team.push('psychologist');
  if (conditions.includes('chronic') && random.chance(0.3)) team.push('nutritionist');
  return team;
}

function vitalsFor(random: Random, conditions: string[]) {
  const hypertensive = conditions.includes('chronic') || conditions.includes('stroke');
  const systolic = random.int(hypertensive ? 130 : 105, hypertensive ? 185 : 145);
  return {
    systolic,
    diastolic: Math.min(systolic - 30, random.int(65, hypertensive ? 105 : 90)),
    pulse: random.int(58, 104),
    temperature: Math.round((36 + random.next() * 1.9) * 10) / 10,
    bloodGlucose: conditions.includes('chronic') || random.chance(0.3) ? random.int(75, 260) : null,
  };
}


export async function seedHealth(
  models: HealthModels,
  secrets: { residentIdSecret: string },
): Promise<Record<string, number>> {
  const random = createRandom('kediri-health-homecare');
  const population = samplePopulation();
  // Most homecare patients are elderly; the others are younger adults after a stroke, an operation or with a disability.
  const elderlyPool = random.shuffle(population.filter((r) => r.birthDate.getUTCFullYear() < 1960));
  const adultPool = random.shuffle(
    population.filter((r) => r.birthDate.getUTCFullYear() >= 1960 && r.birthDate.getUTCFullYear() <= 1995),
  );

  const plans: PatientPlan[] = [];
  for (const [yearText, count] of Object.entries(NEW_PATIENTS_BY_YEAR)) {
    const year = Number(yearText);
    for (let i = 0; i < count; i += 1) {
      const elderly = random.chance(0.8);
      const resident = (elderly ? elderlyPool : adultPool).pop()!;
      let lastYear = year;
      while (lastYear < LAST_SEED_YEAR && random.chance(CONTINUE_NEXT_YEAR)) lastYear += 1;
      plans.push({ resident, conditions: pickConditions(random, elderly), registeredYear: year, lastYear });
    }
  }

  const patients: object[] = [];
  const requests: object[] = [];
  const visits: object[] = [];
  const referrals: object[] = [];

  const addRequest = (plan: PatientPlan, id: string, receivedAt: Date, status: string) => {
    const requestId = objectId(receivedAt, 1, requests.length);
    const priority = random.weighted(PRIORITY_WEIGHTS);
    requests.push({
      _id: requestId,
      patientResidentId: id,
      kelurahanCode: plan.resident.kelurahanCode,
      channel: random.weighted(CHANNEL_WEIGHTS),
      receivedAt,
      priority,
      complaint: random.pick(COMPLAINTS[random.pick(plan.conditions)]),
      status,
      idempotencyKey: `seed-request-${requests.length}`,
    });
    return { requestId, priority };
  };

  const addVisit = (plan: PatientPlan, id: string, requestId: Types.ObjectId, receivedAt: Date, visitedAt: Date) => {
    const actions = new Set<string>();
    for (const condition of plan.conditions) actions.add(random.pick(ACTIONS_BY_CONDITION[condition]));
    visits.push({
      _id: objectId(visitedAt, 2, visits.length),
      requestId,
      patientResidentId: id,
      kelurahanCode: plan.resident.kelurahanCode,
      requestReceivedAt: receivedAt,
      visitedAt,
      responseHours: responseHours(receivedAt, visitedAt),
      team: teamFor(random, plan.conditions),
      vitals: vitalsFor(random, plan.conditions),
      actions: [...actions],
      idempotencyKey: `seed-visit-${visits.length}`,
    });
  };

  for (const plan of plans) {
    const id = residentId(plan.resident.nik, secrets.residentIdSecret);
    let registeredAt: Date | undefined;
    for (let year = plan.registeredYear; year <= plan.lastYear; year += 1) {
      // Requests arrive up to the end of October so that their visits fall in the same year.
      const firstDay = year === 2016 ? 121 : 0;
      const visitBudget = random.int(2, 8);
      const receipts = [dayInYear(random, year, firstDay, 303)];
      if (visitBudget >= 3 && random.chance(0.35)) receipts.push(dayInYear(random, year, firstDay, 303));
      receipts.sort((a, b) => a.getTime() - b.getTime());
      registeredAt ??= receipts[0];

      receipts.forEach((receivedAt, index) => {
        const share = receipts.length === 1 ? visitBudget : index === 0 ? Math.ceil(visitBudget / 2) : Math.floor(visitBudget / 2);
        const referred = random.chance(0.08);
        const { requestId, priority } = addRequest(plan, id, receivedAt, referred ? 'referred' : 'closed');
        const [low, high] = RESPONSE_HOURS[priority];
        // Arrival times are kept to the minute, as the teams write them down.
        const firstMinutes = Math.round((low + random.next() * (high - low)) * 60);
        let visitedAt = new Date(receivedAt.getTime() + firstMinutes * 60_000);
        const yearEnd = Date.UTC(year, 11, 20);
        let lastVisitAt = visitedAt;
        for (let n = 0; n < share && visitedAt.getTime() < yearEnd; n += 1) {
          addVisit(plan, id, requestId, receivedAt, visitedAt);
          lastVisitAt = visitedAt;
          // Follow-up visits are made in office hours (08:00–15:00 WIB, 01:00–08:00 UTC) every 4–14 days.
          const next = new Date(visitedAt.getTime() + random.int(4, 14) * DAY_MS);
          next.setUTCHours(random.int(1, 7), random.int(0, 59), 0, 0);
          visitedAt = next;
        }
        if (referred) {
          const [referredTo, reason] = random.pick(REFERRALS);
          // The team refers the patient on the way back from the last visit or within two days of it.
          const referredAt = new Date(lastVisitAt.getTime() + random.int(1, 48) * HOUR_MS);
          referrals.push({
            _id: objectId(referredAt, 3, referrals.length),
            requestId,
            patientResidentId: id,
            kelurahanCode: plan.resident.kelurahanCode,
            referredTo,
            reason,
            referredAt,
          });
        }
      });
    }
    patients.push({
      nik: plan.resident.nik,
      residentId: id,
      name: plan.resident.name,
      sex: plan.resident.sex,
      birthDate: plan.resident.birthDate,
      kelurahanCode: plan.resident.kelurahanCode,
      rw: plan.resident.rw,
      rt: plan.resident.rt,
      conditions: plan.conditions,
      povertyRegistry: random.chance(0.6) ? 'dtks' : 'none',
      bpjs: random.chance(0.85),
      registeredAt,
    });
  }

  // The last weeks of 2024 leave work in progress: requests not yet visited, scheduled, or visited once.
  const stillInCare = plans.filter((plan) => plan.lastYear === LAST_SEED_YEAR);
  const tail = random.shuffle(stillInCare).slice(0, 8);
  tail.forEach((plan, index) => {
    const id = residentId(plan.resident.nik, secrets.residentIdSecret);
    const status = index < 3 ? 'open' : index < 6 ? 'scheduled' : 'visited';
    const receivedAt = dayInYear(random, LAST_SEED_YEAR, 340, 360);
    const { requestId } = addRequest(plan, id, receivedAt, status);
    if (status === 'visited') addVisit(plan, id, requestId, receivedAt, new Date(receivedAt.getTime() + random.int(2, 40) * HOUR_MS));
  });

  await insertSeed(models.Patient, patients);
  await insertSeed(models.HomecareRequest, requests);
  await insertSeed(models.Visit, visits);
  await insertSeed(models.Referral, referrals);
  return { patients: patients.length, requests: requests.length, visits: visits.length, referrals: referrals.length };
}
