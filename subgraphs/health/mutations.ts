import { badUserInput, conflict, notFound } from '../../platform/errors';
import { requireStaff } from '../kit/agency';
import { kediriYear } from '../kit/calendar';
import { residentId } from '../kit/residents';
import {
  requireIdempotencyKey,
  requireKelurahanCode,
  requireNik,
  requireObjectId,
  requireOneOf,
  requirePastInstant,
  requireText,
} from '../kit/validate';
import { earlierResult } from '../kit/writes';
import type { HealthContext } from './loaders';
import type { PatientRecord, RequestRecord, VisitRecord } from './models';
import {
  canRecordVisit,
  CHANNELS,
  POVERTY_REGISTRIES,
  PRIORITIES,
  requireActions,
  requireBirthDate,
  requireConditions,
  requireNeighbourhood,
  requireTeam,
  requireVitals,
  responseHours,
  SERVICE_START,
  SEXES,
  type Vitals,
} from './rules';

/**
 * The Homecare staff's writes. Each checks every argument first (BAD_USER_INPUT naming the field, relative
 * to `input`), then reads what it decides on and writes in ONE write unit: the records, and the Smart
 * Living figures of every kelurahan-year they change, commit together or not at all. A retry with the same
 * idempotency key answers with the first record; a race between two deliveries of one call ends with one
 * record, because the unique key refuses the second insert and the kit runs the loser's unit again, which
 * then finds the winner.
 */

// ---------------------------------------------------------------------------------------------------------
// Receiving a request
// ---------------------------------------------------------------------------------------------------------

export interface PatientInput {
  name: string;
  sex: string;
  birthDate: string;
  kelurahanCode: string;
  rw: number;
  rt: number;
  conditions: string[];
  povertyRegistry: string;
  bpjs: boolean;
}

export interface ReceiveHomecareRequestInput {
  nik: string;
  patient?: PatientInput | null;
  channel: string;
  receivedAt: string;
  priority: string;
  complaint: string;
  idempotencyKey: string;
}

/** A new patient's details, checked whether or not the NIK turns out to be registered already. */
function requirePatient(value: unknown, now: Date) {
  if (typeof value !== 'object' || value === null) throw badUserInput('patient', "the patient's details", value);
  const patient = value as Partial<Record<keyof PatientInput, unknown>>;
  const name = requireText(patient.name, 'patient.name', { min: 2, max: 100 });
  const sex = requireOneOf(patient.sex, 'patient.sex', SEXES);
  const birthDate = requireBirthDate(patient.birthDate, 'patient.birthDate', now);
  const kelurahanCode = requireKelurahanCode(patient.kelurahanCode, 'patient.kelurahanCode');
  const { rw, rt } = requireNeighbourhood(kelurahanCode, patient.rw, patient.rt, 'patient');
  const conditions = requireConditions(patient.conditions, 'patient.conditions');
  const povertyRegistry = requireOneOf(patient.povertyRegistry, 'patient.povertyRegistry', POVERTY_REGISTRIES);
  if (typeof patient.bpjs !== 'boolean') throw badUserInput('patient.bpjs', 'true or false', patient.bpjs);
  return { name, sex, birthDate, kelurahanCode, rw, rt, conditions, povertyRegistry, bpjs: patient.bpjs };
}

/**
 * Records a request for a home visit, registering the patient on their first request. It changes one
 * figure: the requests received in its year (on Kediri's clock) in the patient's kelurahan. A request
 * without a visit has no response time, and patients and visits count visits.
 */
export async function receiveHomecareRequest(input: ReceiveHomecareRequestInput, ctx: HealthContext): Promise<RequestRecord> {
  requireStaff(ctx, 'Recording a homecare request');
  const now = new Date();
  const nik = requireNik(input.nik, 'nik');
  const details = input.patient == null ? undefined : requirePatient(input.patient, now);
  const channel = requireOneOf(input.channel, 'channel', CHANNELS);
  const receivedAt = requirePastInstant(input.receivedAt, 'receivedAt', now);
  if (receivedAt.getTime() < SERVICE_START.getTime()) {
    throw badUserInput('receivedAt', `a time after Homecare started (${SERVICE_START.toISOString()}, 1 May 2016 in Kediri)`, input.receivedAt);
  }
  const priority = requireOneOf(input.priority, 'priority', PRIORITIES);
  const complaint = requireText(input.complaint, 'complaint', { min: 3, max: 1000 });
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const patientResidentId = residentId(nik, ctx.secrets.residentIdSecret);
  const { HomecareRequest, Patient } = ctx.models;

  return ctx.transaction(async (unit) => {
    // A retry carries the same patient and report; only the time a client stamped may have been taken again.
    const earlier = await earlierResult<RequestRecord>(
      HomecareRequest,
      idempotencyKey,
      (request) =>
        request.patientResidentId === patientResidentId &&
        request.channel === channel &&
        request.priority === priority &&
        request.complaint === complaint,
    );
    if (earlier) return earlier;

    let patient = await Patient.findOne({ residentId: patientResidentId }).lean<PatientRecord>();
    if (!patient) {
      // The NIK names a patient Homecare does not know; the message does not repeat it (personal data).
      if (!details) throw notFound('homecare patient', "this NIK: send the patient's details in `patient` to register them with this first request");
      const [registered] = await Patient.create([{ ...details, nik, residentId: patientResidentId, registeredAt: receivedAt }]);
      patient = registered.toObject() as PatientRecord;
    }
    const [created] = await HomecareRequest.create([
      {
        patientResidentId,
        kelurahanCode: patient.kelurahanCode,
        channel,
        receivedAt,
        priority,
        complaint,
        status: 'open',
        changedAt: now,
        idempotencyKey,
      },
    ]);
    unit.figuresChanged(patient.kelurahanCode, kediriYear(receivedAt));
    return created.toObject() as RequestRecord;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Recording a visit
// ---------------------------------------------------------------------------------------------------------

export interface RecordHomecareVisitInput {
  requestId: string;
  visitedAt: string;
  team: string[];
  vitals: Vitals;
  actions: string[];
  idempotencyKey: string;
}

/** Whether an earlier visit is the one this call describes (its arrival time may have been stamped again). */
function sameVisit(earlier: VisitRecord, requestId: string, team: string[], vitals: Required<Vitals>, actions: string[]): boolean {
  const stored = earlier.vitals as Record<string, unknown>;
  return (
    earlier.requestId.toHexString() === requestId &&
    earlier.team.join() === team.join() &&
    earlier.actions.join('\n') === actions.join('\n') &&
    (Object.keys(vitals) as (keyof Vitals)[]).every((name) => (stored[name] ?? null) === vitals[name])
  );
}

/**
 * Records a home visit for an open, scheduled or visited request and moves the request to visited. The
 * visit counts in its own year (patients and visits), and its response time in the year the request was
 * received (the median over requests received that year): both kelurahan-years are refreshed.
 */
export async function recordHomecareVisit(input: RecordHomecareVisitInput, ctx: HealthContext): Promise<VisitRecord> {
  requireStaff(ctx, 'Recording a homecare visit');
  const now = new Date();
  const requestId = requireObjectId(input.requestId, 'requestId', 'a homecare request');
  const visitedAt = requirePastInstant(input.visitedAt, 'visitedAt', now);
  const team = requireTeam(input.team);
  const vitals = requireVitals(input.vitals);
  const actions = requireActions(input.actions);
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const { HomecareRequest, Visit } = ctx.models;

  return ctx.transaction(async (unit) => {
    const earlier = await earlierResult<VisitRecord>(Visit, idempotencyKey, (visit) =>
      sameVisit(visit, requestId.toHexString(), team, vitals, actions),
    );
    if (earlier) return earlier;

    const request = await HomecareRequest.findById(requestId).lean<RequestRecord>();
    if (!request) throw notFound('homecare request', `id ${input.requestId}`);
    if (!canRecordVisit(request.status)) {
      throw conflict(
        `Request ${input.requestId} is ${request.status}: visits are recorded on open, scheduled or visited requests; record a new request instead.`,
        'requestId',
      );
    }
    const hours = responseHours(request.receivedAt, visitedAt);
    const [created] = await Visit.create([
      {
        requestId,
        patientResidentId: request.patientResidentId,
        kelurahanCode: request.kelurahanCode,
        requestReceivedAt: request.receivedAt,
        visitedAt,
        responseHours: hours,
        team,
        vitals,
        actions,
        idempotencyKey,
      },
    ]);
    // Always a real write to the request (changedAt moves), so that a concurrent write to the same request
    // (another visit, a closing) conflicts with this unit and one of them runs again on the other's result.
    await HomecareRequest.updateOne({ _id: requestId }, { $set: { status: 'visited', changedAt: now } });
    unit.figuresChanged(request.kelurahanCode, [kediriYear(visitedAt), kediriYear(request.receivedAt)]);
    return created.toObject() as VisitRecord;
  });
}
