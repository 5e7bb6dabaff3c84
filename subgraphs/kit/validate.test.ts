import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { requireIdempotencyKey, requireInteger, requireKelurahanCode, requireObjectId, requireOneOf, requireText, requireWholeRupiah } from './validate';

/** What a validator refused with: the code, the field and the message, as the caller sees them. */
function refusal(run: () => unknown) {
  try {
    run();
  } catch (error) {
    const e = error as GraphQLError;
    return { code: e.extensions.code, field: e.extensions.field, message: e.message };
  }
  throw new Error('expected a refusal');
}

describe('one validator per rule, the same answer everywhere', () => {
  it('refuses with BAD_USER_INPUT naming the field, what was expected and what came', () => {
    expect(refusal(() => requireText('  ', 'name', { min: 2, max: 120 }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'name',
      message: 'Invalid name: expected text of 2 to 120 characters, received "  ".',
    });
    expect(refusal(() => requireWholeRupiah(10.5, 'amount', { max: 1_000 })).message).toBe(
      'Invalid amount: expected a whole number of rupiah from 0 to 1,000, received 10.5.',
    );
  });

  it('keeps text trimmed and refuses text with nothing visible', () => {
    expect(requireText('  Warung Bu Sri ', 'name', { min: 2, max: 120 })).toBe('Warung Bu Sri');
    expect(refusal(() => requireText('\u200b\u200b\u200b', 'name', { max: 50 })).field).toBe('name');
  });

  it('takes idempotency keys of 8 to 100 printable characters without spaces', () => {
    expect(requireIdempotencyKey('6f1c2e4a-retry')).toBe('6f1c2e4a-retry');
    for (const bad of ['short', 'has a space in it', 'x'.repeat(101), 42]) expect(refusal(() => requireIdempotencyKey(bad)).field).toBe('idempotencyKey');
  });

  it('reads object ids in any case, as one id', () => {
    expect(requireObjectId('0123456789ABCDEF01234567', 'id').toHexString()).toBe('0123456789abcdef01234567');
    expect(refusal(() => requireObjectId('0123', 'id')).message).toMatch(/24 hexadecimal digits/);
  });

  it('knows the 46 kelurahan codes, integers in a range and fixed lists', () => {
    expect(requireKelurahanCode('35.71.01.1005', 'kelurahanCode')).toBe('35.71.01.1005');
    expect(refusal(() => requireKelurahanCode('35.71.04.1001', 'kelurahanCode')).field).toBe('kelurahanCode');
    expect(refusal(() => requireInteger(0, 'rt', { min: 1, max: 60 })).message).toBe('Invalid rt: expected a whole number from 1 to 60, received 0.');
    expect(refusal(() => requireOneOf('cash', 'channel', ['qris', 'teller'])).message).toBe('Invalid channel: expected one of qris, teller, received "cash".');
  });
});
