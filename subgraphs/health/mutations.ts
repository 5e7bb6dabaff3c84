import { Types } from 'mongoose';
import { requireOwningAgency } from '../kit/access';
import { badUserInput, conflict } from '../../platform/errors';
import type { Identity } from '../../platform/identity';
import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireNik, residentId } from '../kit/residents';
import { CONDITIONS, POVERTY_REGISTRIES, type HealthModels, type PatientRecord, type RequestRecord, type VisitRecord } from './models';
import {
  canRecordVisit,
  requireActions,
  requireBirthDate,
  requireIdempotencyKey,
  requirePastInstant,
  requireTeam,
  requireText,
  requireVitals,
  responseHours,
  SERVICE_START,
  VISITABLE_STATUSES,
  type Vitals,
} from './rules';
import { isDuplicateKey, requireObjectId } from '../kit/inputs';

/**
 * The Homecare staff's writes. The store offers no transactions, so each write validates everything before
 * the first database change, writes the record that carries the idempotency key first, and undoes it when a
 * later step fails: a failure leaves nothing half-done and a retry with the same key returns the first result.
 */

const AGENCY = 'health';

export interface RecordVisitInput {
  requestId: string;
  visitedAt: string;
  team: string[];
  vitals: Vitals;
  actions: string[];
  idempotencyKey: string;
}

export interface PatientInput {
  name: string;
  sex: 'F' | 'M';
  birthDate: string;
  kelurahanCode: string;
  rw: number;
  rt: number;
  conditions: (typeof CONDITIONS)[number][];
  povertyRegistry: (typeof POVERTY_REGISTRIES)[number];
  bpjs: boolean;
}

export interface ReceiveRequestInput {
  nik: string;
  patient?: PatientInput | null;
  channel: string;
  receivedAt: string;
  priority: string;
  complaint: string;
  idempotencyKey: string;
}

/** Moves a request to visited unless it already is; a closed or referred request is left alone. */
async function markVisited(models: HealthModels, requestId: Types.ObjectId): Promise<boolean> {
  const result = await models.HomecareRequest.updateOne(
    { _id: requestId, status: { $in: [...VISITABLE_STATUSES] } },
    { $set: { status: 'visited' } },
  );
  return result.matchedCount === 1;
}

/** A retried visit must be the same visit: the key may not be reused for another request. */
async function replayVisit(models: HealthModels, existing: VisitRecord, requestId: Types.ObjectId): Promise<VisitRecord> {
  if (!existing.requestId.equals(requestId)) {
    throw conflict(
      `The idempotencyKey was already used for a visit to request ${existing.requestId.toHexString()}, not ${requestId.toHexString()}: use a new key for a new visit.`,
      'input.idempotencyKey',
    );
  }
  // An earlier attempt that stopped between its two writes is completed here rather than left half-done.
  await markVisited(models, requestId);
  return existing;
}

export async function recordHomecareVisit(
  models: HealthModels,
  identity: Identity,
  input: RecordVisitInput,
): Promise<VisitRecord> {
  requireOwningAgency(identity, AGENCY, 'Recording a homecare visit');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const requestId = requireObjectId(input.requestId, 'input.requestId', 'a homecare request');
  const visitedAt = requirePastInstant(input.visitedAt, 'input.visitedAt');
  const team = requireTeam(input.team);
  const vitals = requireVitals(input.vitals);
  const actions = requireActions(input.actions);

  const earlier = await models.Visit.findOne({ idempotencyKey }).lean<VisitRecord>();
  if (earlier) return replayVisit(models, earlier, requestId);

  const request = await models.HomecareRequest.findById(requestId).lean<RequestRecord>();
  if (!request) throw badUserInput('input.requestId', 'the id of an existing homecare request', input.requestId);
  if (!canRecordVisit(request.status)) {
    throw conflict(
      `Request ${input.requestId} is ${request.status}: visits are recorded on open, scheduled or visited requests; record a new request instead.`,
      'input.requestId',
    );
  }
  const hours = responseHours(request.receivedAt, visitedAt);

  let visit: VisitRecord;
  try {
    const created = await models.Visit.create({
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
    });
    visit = created.toObject() as VisitRecord;
  } catch (error) {
    // Two deliveries of the same call raced: the other one wrote first, so this one answers with its visit.
    if (!isDuplicateKey(error)) throw error;
    const winner = await models.Visit.findOne({ idempotencyKey }).lean<VisitRecord>();
    if (!winner) throw error;
    return replayVisit(models, winner, requestId);
  }

  let moved: boolean;
  try {
    moved = await markVisited(models, requestId);
  } catch (error) {
    await models.Visit.deleteOne({ _id: visit._id });
    throw error;
  }
  if (!moved) {
    // The request was closed or referred between the check and the write: the visit is withdrawn.
    await models.Visit.deleteOne({ _id: visit._id });
    throw conflict(`Request ${input.requestId} was closed or referred while the visit was being recorded.`, 'input.requestId');
  }
  return visit;
}

function requirePatientInput(patient: PatientInput): Omit<PatientRecord, '_id' | 'nik' | 'residentId' | 'registeredAt'> {
  const kelurahanCode = requireKelurahanCode(patient.kelurahanCode, 'input.patient.kelurahanCode');
  const unit = NEIGHBOURHOODS.find((n) => n.kelurahanCode === kelurahanCode && n.rt === patient.rt);
  if (!unit) throw badUserInput('input.patient.rt', `an RT number of kelurahan ${kelurahanCode}`, patient.rt);
  if (unit.rw !== patient.rw) throw badUserInput('input.patient.rw', `RW ${unit.rw}, the RW of RT ${patient.rt}`, patient.rw);
  const conditions = [...new Set(patient.conditions)];
  if (conditions.length === 0) throw badUserInput('input.patient.conditions', `at least one of ${CONDITIONS.join(', ')}`, patient.conditions);
  return {
    name: requireText(patient.name, 'input.patient.name', 2, 100, 'a name'),
    sex: patient.sex,
    birthDate: requireBirthDate(patient.birthDate, 'input.patient.birthDate'),
    kelurahanCode,
    rw: unit.rw,
    rt: unit.rt,
    conditions,
    povertyRegistry: patient.povertyRegistry,
    bpjs: patient.bpjs,
  };
}

function replayRequest(existing: RequestRecord, patientResidentId: string): RequestRecord {
  if (existing.patientResidentId !== patientResidentId) {
    throw conflict('The idempotencyKey was already used for a request of another patient: use a new key for a new request.', 'input.idempotencyKey');
  }
  return existing;
}

export async function receiveHomecareRequest(
  models: HealthModels,
  identity: Identity,
  secrets: { residentIdSecret: string },
  input: ReceiveRequestInput,
): Promise<RequestRecord> {
  requireOwningAgency(identity, AGENCY, 'Recording a homecare request');
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const nik = requireNik(input.nik, 'input.nik');
  const receivedAt = requirePastInstant(input.receivedAt, 'input.receivedAt');
  if (receivedAt < SERVICE_START) {
    throw badUserInput('input.receivedAt', `a time after the service started (${SERVICE_START.toISOString().slice(0, 10)})`, input.receivedAt);
  }
  const complaint = requireText(input.complaint, 'input.complaint', 3, 1000, 'a complaint');
  const id = residentId(nik, secrets.residentIdSecret);

  const earlier = await models.HomecareRequest.findOne({ idempotencyKey }).lean<RequestRecord>();
  if (earlier) return replayRequest(earlier, id);

  let patient = await models.Patient.findOne({ residentId: id }).lean<PatientRecord>();
  const details = patient ? undefined : input.patient ? requirePatientInput(input.patient) : undefined;
  if (!patient && !details) {
    throw badUserInput('input.patient', "the patient's details, because this NIK is not registered with Homecare yet", null);
  }

  let createdPatientId: Types.ObjectId | undefined;
  if (!patient) {
    try {
      const created = await models.Patient.create({ ...details, nik, residentId: id, registeredAt: receivedAt });
      patient = created.toObject() as PatientRecord;
      createdPatientId = patient._id;
    } catch (error) {
      // Registered by a concurrent request in the meantime: use that record.
      if (!isDuplicateKey(error)) throw error;
      patient = await models.Patient.findOne({ residentId: id }).lean<PatientRecord>();
      if (!patient) throw error;
    }
  }

  try {
    const created = await models.HomecareRequest.create({
      patientResidentId: id,
      kelurahanCode: patient.kelurahanCode,
      channel: input.channel,
      receivedAt,
      priority: input.priority,
      complaint,
      status: 'open',
      idempotencyKey,
    });
    return created.toObject() as RequestRecord;
  } catch (error) {
    // A concurrent delivery of the same call that wrote first owns the result, and may use the patient
    // registered here; any other failure undoes the registration so that nothing is left half-done.
    const winner = isDuplicateKey(error)
      ? await models.HomecareRequest.findOne({ idempotencyKey }).lean<RequestRecord>()
      : null;
    if (winner?.patientResidentId === id) return winner;
    if (createdPatientId) await models.Patient.deleteOne({ _id: createdPatientId });
    if (winner) return replayRequest(winner, id);
    throw error;
  }
}
