import { badUserInput } from '../../platform/errors';
export { requireObjectId } from '../kit/inputs';
import { kelurahanByCode } from '../kit/reference/kelurahan';
import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';

/**
 * Checks of caller input that every branding operation shares. Each names the field at fault and says what
 * it expected, so a staff app can point at the right box.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function requireText(value: unknown, field: string, min: number, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length < min || text.length > max) {
    throw badUserInput(field, `text of ${min} to ${max} characters`, typeof value === 'string' ? `${text.length} characters` : value);
  }
  return text;
}

/** A calendar date `YYYY-MM-DD` that exists and is not in the future; returned as midnight UTC. */
export function requirePastDate(value: unknown, field: string, now = new Date()): Date {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!match || !date || date.toISOString().slice(0, 10) !== value) {
    throw badUserInput(field, 'an ISO-8601 date such as 2024-03-15', value);
  }
  if (date.getTime() > now.getTime()) throw badUserInput(field, 'a date that is not in the future', value);
  return date;
}

const RT_COUNT = new Map<string, number>();
for (const unit of NEIGHBOURHOODS) RT_COUNT.set(unit.kelurahanCode, Math.max(RT_COUNT.get(unit.kelurahanCode) ?? 0, unit.rt));

/** An RT number that exists in the kelurahan (RTs are numbered from 1 across the kelurahan's RWs). */
export function requireRt(value: unknown, kelurahanCode: string, field: string): number {
  const count = RT_COUNT.get(kelurahanCode) ?? 0;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > count) {
    const name = kelurahanByCode(kelurahanCode)?.name ?? kelurahanCode;
    throw badUserInput(field, `an RT number of kelurahan ${name}, from 1 to ${count}`, value);
  }
  return value as number;
}

export function isoDate(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  return (date instanceof Date ? date : new Date(date)).toISOString();
}
