import { requireRole } from '../kit/access';
import { badUserInput } from '../../platform/errors';
import { requireKelurahanCode } from '../kit/reference/kelurahan';
import { requireNik, residentId } from '../kit/residents';
import { STAFF_ROLE, type TaxContext } from './context';
import { isDuplicateKey, optionalKey, requirePastInstant } from './inputs';
import type { TaxObjectRecord, TaxpayerRecord } from './models';
import {
  BUSINESS_ID_PATTERN,
  formatNpwpd,
  isTaxSubtype,
  isTaxType,
  NPWPD_PATTERN,
  parsePeriod,
  rateFor,
  subtypesOf,
  type TaxpayerType,
} from './rules';

/**
 * Registering taxpayers and their tax objects. A taxpayer's natural key is the person (NIK, kept as the
 * resident id) or the business (NIB), so registering the same one twice answers with the first
 * registration; a tax object has no natural key, so its registration carries an idempotency key.
 */

export interface RegisterTaxpayerInput {
  type: TaxpayerType;
  name: string;
  nik?: string | null;
  businessId?: string | null;
  kelurahanCode: string;
  address: string;
  registeredAt?: string | null;
}

function requireText(value: unknown, field: string, min: number, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length < min || text.length > max) throw badUserInput(field, `text of ${min} to ${max} characters`, value);
  return text;
}

export async function registerTaxpayer(input: RegisterTaxpayerInput, context: TaxContext): Promise<TaxpayerRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Registering a taxpayer');
  const { Taxpayer } = context.models;
  const name = requireText(input.name, 'name', 2, 120);
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const address = requireText(input.address, 'address', 5, 200);
  const registeredAt = input.registeredAt == null ? new Date() : requirePastInstant(input.registeredAt, 'registeredAt');
  let key: { residentId: string } | { businessId: string };
  let nik: string | undefined;
  if (input.type === 'individual') {
    if (input.businessId != null) throw badUserInput('businessId', 'no NIB for an individual taxpayer', input.businessId);
    nik = requireNik(input.nik, 'nik');
    key = { residentId: residentId(nik, context.secrets.residentIdSecret) };
  } else {
    if (input.nik != null) throw badUserInput('nik', 'no NIK for a business taxpayer (give its NIB as businessId)', 'a NIK');
    if (typeof input.businessId !== 'string' || !BUSINESS_ID_PATTERN.test(input.businessId)) {
      throw badUserInput('businessId', 'the business identification number (NIB) of 13 digits', input.businessId);
    }
    key = { businessId: input.businessId };
  }
  const keyField = input.type === 'individual' ? 'nik' : 'businessId';

  /** The same person or business registered before: a retry when the details agree, a mistake otherwise. */
  const answerExisting = (existing: TaxpayerRecord): TaxpayerRecord => {
    if (existing.name !== name || existing.kelurahanCode !== kelurahanCode) {
      throw badUserInput(
        keyField,
        `a ${keyField === 'nik' ? 'NIK' : 'NIB'} not registered yet: it is registered as NPWPD ${existing.npwpd} under another name or kelurahan`,
        keyField === 'nik' ? 'a registered NIK' : input.businessId,
      );
    }
    return existing;
  };

  const existing = await Taxpayer.findOne(key).lean<TaxpayerRecord>();
  if (existing) return answerExisting(existing);

  // Serials are issued in registration order. Two registrations at once may pick the same serial; the
  // unique NPWPD index refuses the second, which then takes the next one.
  let serial = (await Taxpayer.estimatedDocumentCount()) + 1;
  for (let attempt = 0; attempt < 20; attempt += 1, serial += 1) {
    try {
      const created = await Taxpayer.create({
        npwpd: formatNpwpd(input.type, serial, kelurahanCode),
        type: input.type,
        name,
        ...(nik ? { nik } : {}),
        ...key,
        kelurahanCode,
        address,
        registeredAt,
      });
      return created.toObject() as TaxpayerRecord;
    } catch (error) {
      if (isDuplicateKey(error, 'npwpd')) continue;
      if (isDuplicateKey(error)) {
        const winner = await Taxpayer.findOne(key).lean<TaxpayerRecord>();
        if (winner) return answerExisting(winner);
      }
      throw error;
    }
  }
  throw new Error('Could not issue a free NPWPD serial after 20 attempts; registrations are colliding heavily.');
}

export interface RegisterTaxObjectInput {
  npwpd: string;
  taxType: string;
  subtype: string;
  name: string;
  address: string;
  kelurahanCode: string;
  activeFrom: string;
  idempotencyKey: string;
}

export async function registerTaxObject(input: RegisterTaxObjectInput, context: TaxContext): Promise<TaxObjectRecord> {
  requireRole(context.identity, [STAFF_ROLE], 'Registering a tax object');
  const { TaxObject } = context.models;
  if (typeof input.npwpd !== 'string' || !NPWPD_PATTERN.test(input.npwpd)) {
    throw badUserInput('npwpd', 'an NPWPD such as "P.2.0000123.02.08"', input.npwpd);
  }
  if (!isTaxType(input.taxType)) throw badUserInput('taxType', 'a tax type of the rate table', input.taxType);
  if (!isTaxSubtype(input.subtype) || !rateFor(input.taxType, input.subtype)) {
    const allowed = subtypesOf(input.taxType).map((s) => s.toUpperCase()).join(', ');
    throw badUserInput('subtype', `a subtype of ${input.taxType.toUpperCase()}: ${allowed}`, String(input.subtype).toUpperCase());
  }
  const name = requireText(input.name, 'name', 2, 120);
  const address = requireText(input.address, 'address', 5, 200);
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const activeFrom = parsePeriod(input.activeFrom);
  if (!activeFrom || activeFrom.year < 2000) throw badUserInput('activeFrom', 'a month as "YYYY-MM", 2000 or later', input.activeFrom);
  const idempotencyKey = optionalKey(input.idempotencyKey, 'idempotencyKey')!;

  const owner = await context.models.Taxpayer.findOne({ npwpd: input.npwpd }).lean<TaxpayerRecord>();
  if (!owner) throw badUserInput('npwpd', 'the NPWPD of a registered taxpayer', input.npwpd);

  const document = {
    taxpayerId: owner._id,
    taxType: input.taxType,
    subtype: input.subtype,
    name,
    address,
    kelurahanCode,
    activeFrom: input.activeFrom,
    idempotencyKey,
  };
  /** The key was used before: the caller's own retry when it registered the same object. */
  const answerExisting = (existing: TaxObjectRecord): TaxObjectRecord => {
    const same =
      String(existing.taxpayerId) === String(owner._id) &&
      existing.taxType === input.taxType &&
      existing.subtype === input.subtype &&
      existing.name === name &&
      existing.kelurahanCode === kelurahanCode;
    if (!same) throw badUserInput('idempotencyKey', `a new key: this one registered tax object ${String(existing._id)}`, idempotencyKey);
    return existing;
  };
  const existing = await TaxObject.findOne({ idempotencyKey }).lean<TaxObjectRecord>();
  if (existing) return answerExisting(existing);
  try {
    return (await TaxObject.create(document)).toObject() as TaxObjectRecord;
  } catch (error) {
    if (!isDuplicateKey(error, 'idempotencyKey')) throw error;
    const winner = await TaxObject.findOne({ idempotencyKey }).lean<TaxObjectRecord>();
    if (!winner) throw error;
    return answerExisting(winner);
  }
}
