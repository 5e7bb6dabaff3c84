import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { residentId } from '../../kit/residents';
import { earlierResult } from '../../kit/writes';
import { requireIdempotencyKey, requireKelurahanCode, requireNik, requireOneOf, requirePastInstant, requireText } from '../../kit/validate';
import type { TaxContext } from '../loaders';
import type { TaxObjectRecord, TaxpayerRecord } from '../models';
import {
  BUSINESS_ID_PATTERN,
  formatNpwpd,
  NPWPD_PATTERN,
  parsePeriod,
  rateFor,
  subtypesOf,
  TAX_SUBTYPES,
  TAX_TYPES,
  TAXPAYER_TYPES,
  type TaxpayerType,
} from '../rules';

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

export async function registerTaxpayer(input: RegisterTaxpayerInput, ctx: TaxContext): Promise<TaxpayerRecord> {
  requireStaff(ctx, 'Registering a taxpayer');
  const type = requireOneOf(input.type, 'type', TAXPAYER_TYPES);
  const name = requireText(input.name, 'name', { min: 2, max: 120 });
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const address = requireText(input.address, 'address', { min: 5, max: 200 });
  const registeredAt = input.registeredAt == null ? new Date() : requirePastInstant(input.registeredAt, 'registeredAt');
  let key: { residentId: string } | { businessId: string };
  let nik: string | undefined;
  if (type === 'individual') {
    if (input.businessId != null) throw badUserInput('businessId', 'no NIB for an individual taxpayer', input.businessId);
    nik = requireNik(input.nik, 'nik');
    key = { residentId: residentId(nik, ctx.secrets.residentIdSecret) };
  } else {
    if (input.nik != null) throw badUserInput('nik', 'no NIK for a business taxpayer (give its NIB as businessId)', 'a NIK');
    if (typeof input.businessId !== 'string' || !BUSINESS_ID_PATTERN.test(input.businessId)) {
      throw badUserInput('businessId', 'the business identification number (NIB) of 13 digits', input.businessId);
    }
    key = { businessId: input.businessId };
  }
  const keyField = type === 'individual' ? 'nik' : 'businessId';
  const { Taxpayer } = ctx.models;

  return ctx.transaction(async () => {
    const existing = await Taxpayer.findOne(key).lean<TaxpayerRecord>();
    if (existing) {
      // The same person or business registered before: a retry when the details agree, a conflict otherwise.
      if (existing.name !== name || existing.kelurahanCode !== kelurahanCode) {
        throw conflict(
          `This ${keyField === 'nik' ? 'NIK' : 'NIB'} is already registered as NPWPD ${existing.npwpd}, under another name or kelurahan.`,
          keyField,
        );
      }
      return existing;
    }
    // Serials are issued in registration order; two registrations racing for one serial conflict in the
    // unique NPWPD index, and the loser's unit runs again and takes the next one.
    const serial = (await Taxpayer.countDocuments()) + 1;
    const [created] = await Taxpayer.create([
      { npwpd: formatNpwpd(type, serial, kelurahanCode), type, name, ...(nik ? { nik } : {}), ...key, kelurahanCode, address, registeredAt },
    ]);
    return created.toObject() as TaxpayerRecord;
  });
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

export async function registerTaxObject(input: RegisterTaxObjectInput, ctx: TaxContext): Promise<TaxObjectRecord> {
  requireStaff(ctx, 'Registering a tax object');
  if (typeof input.npwpd !== 'string' || !NPWPD_PATTERN.test(input.npwpd)) {
    throw badUserInput('npwpd', 'an NPWPD such as "P.2.0000123.02.08"', input.npwpd);
  }
  const taxType = requireOneOf(input.taxType, 'taxType', TAX_TYPES);
  const subtype = requireOneOf(input.subtype, 'subtype', TAX_SUBTYPES);
  if (!rateFor(taxType, subtype)) {
    const allowed = subtypesOf(taxType).map((s) => s.toUpperCase()).join(', ');
    throw badUserInput('subtype', `a subtype of ${taxType.toUpperCase()}: ${allowed}`, subtype.toUpperCase());
  }
  const name = requireText(input.name, 'name', { min: 2, max: 120 });
  const address = requireText(input.address, 'address', { min: 5, max: 200 });
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const activeFrom = parsePeriod(input.activeFrom);
  if (!activeFrom || activeFrom.year < 2000) throw badUserInput('activeFrom', 'a month as "YYYY-MM", 2000 or later', input.activeFrom);
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);
  const { TaxObject, Taxpayer } = ctx.models;

  return ctx.transaction(async () => {
    const owner = await Taxpayer.findOne({ npwpd: input.npwpd }).lean<TaxpayerRecord>();
    if (!owner) throw notFound('taxpayer', `NPWPD ${input.npwpd}`);
    const earlier = await earlierResult<TaxObjectRecord>(
      TaxObject,
      idempotencyKey,
      (existing) =>
        String(existing.taxpayerId) === String(owner._id) &&
        existing.taxType === taxType &&
        existing.subtype === subtype &&
        existing.name === name &&
        existing.kelurahanCode === kelurahanCode,
    );
    if (earlier) return earlier;
    const [created] = await TaxObject.create([
      { taxpayerId: owner._id, taxType, subtype, name, address, kelurahanCode, activeFrom: input.activeFrom, idempotencyKey },
    ]);
    return created.toObject() as TaxObjectRecord;
  });
}
