import { badUserInput } from '../../platform/errors';
export { isDuplicateKey, requireObjectId } from '../kit/inputs';
import { MAX_GROSS_REVENUE } from './rules';

/**
 * Checks of caller input that every tax mutation and query shares. Each names the field at fault and says
 * what it expected, so a caller can correct the request without reading the code.
 */

/** An amount of money as the SPTPD takes it: whole rupiah, never negative. */
export function requireWholeRupiah(value: unknown, field: string, max = MAX_GROSS_REVENUE): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw badUserInput(field, `a whole number of rupiah from 0 to ${max.toLocaleString('en-US')}`, value);
  }
  return value;
}

/** Clocks of the counters and banks may run a little ahead of ours; more than this is a mistake. */
const CLOCK_SKEW_MS = 5 * 60_000;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO-8601 date or date-time that has already happened. */
export function requirePastInstant(value: unknown, field: string, now = new Date()): Date {
  const instant = typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : undefined;
  if (!instant || Number.isNaN(instant.getTime())) {
    throw badUserInput(field, 'an ISO-8601 date-time such as "2024-04-08T10:15:00+07:00"', value);
  }
  if (instant.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw badUserInput(field, `a time not in the future (now is ${now.toISOString()})`, value);
  }
  return instant;
}

export function optionalKey(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 100) {
    throw badUserInput(field, 'a non-empty key of at most 100 characters', value);
  }
  return value;
}

