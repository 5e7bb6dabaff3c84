import { describe, expect, it } from 'vitest';
import { peopleCount, requireOwningAgency, SMALL_COUNT_THRESHOLD } from './access';
import { IdentityError, signIdentity, verifyIdentity } from '../../platform/identity';
import { decodeCursor, encodeCursor, pageSize, MAX_PAGE_SIZE } from './pagination';
import { createRandom } from './random';
import { KECAMATAN, KELURAHAN, kelurahanByName, requireKelurahanCode } from './reference/kelurahan';
import { NEIGHBOURHOODS, TOTAL_RT, TOTAL_RW } from './reference/neighbourhoods';
import { requireNik, residentId, samplePopulation } from './residents';
import { yearRange } from './calendar';
import { requireYear } from './validate';

const SECRET = 'kit-test-secret-0123456789abcdef0123';

describe('reference data', () => {
  it('holds the 46 kelurahan in code order under the 3 kecamatan', () => {
    expect(KELURAHAN).toHaveLength(46);
    expect(KELURAHAN.map((k) => k.code)).toEqual([...KELURAHAN.map((k) => k.code)].sort());
    expect(KECAMATAN).toEqual([
      { code: '35.71.01', name: 'Mojoroto' },
      { code: '35.71.02', name: 'Kota' },
      { code: '35.71.03', name: 'Pesantren' },
    ]);
  });

  it('accepts other spellings of a name and answers with the canonical one', () => {
    expect(kelurahanByName('Banjar Mlati')?.name).toBe('Banjarmlati');
    expect(kelurahanByName('setono pande')?.name).toBe('Setonopande');
    expect(kelurahanByName('SUKORAME')?.code).toBe('35.71.01.1005');
    expect(kelurahanByName('Atlantis')).toBeUndefined();
  });

  it('refuses an unknown kelurahan code naming the field', () => {
    expect(() => requireKelurahanCode('35.71.04.1001', 'input.kelurahanCode')).toThrow(/Invalid input.kelurahanCode/);
  });

  it('spreads exactly 1,478 RT over 330 RW, every kelurahan with some', () => {
    expect(NEIGHBOURHOODS).toHaveLength(TOTAL_RT);
    expect(new Set(NEIGHBOURHOODS.map((n) => `${n.kelurahanCode}/${n.rw}`)).size).toBe(TOTAL_RW);
    expect(new Set(NEIGHBOURHOODS.map((n) => n.kelurahanCode)).size).toBe(46);
  });
});

describe('residents', () => {
  it('builds the same population on every run, with unique Kota Kediri NIKs', () => {
    const people = samplePopulation();
    expect(people).toHaveLength(40_000);
    expect(new Set(people.map((p) => p.nik)).size).toBe(people.length);
    for (const person of people.slice(0, 500)) expect(requireNik(person.nik, 'nik')).toBe(person.nik);
    expect(people[0].nik).toBe('3571022211630001');
  });

  it('links a NIK to a pseudonymous id that depends on the secret', () => {
    const id = residentId('3571022211630001', SECRET);
    expect(id).toMatch(/^R[0-9a-f]{32}$/);
    expect(residentId('3571022211630001', SECRET)).toBe(id);
    expect(residentId('3571022211630001', `${SECRET}x`)).not.toBe(id);
  });

  it('refuses a NIK that is malformed or registered outside the city', () => {
    expect(() => requireNik('12345', 'input.nik')).toThrow(/16-digit NIK/);
    expect(() => requireNik('3578011201900001', 'input.nik')).toThrow(/registered in Kota Kediri/);
  });
});

describe('the signed identity between gateway and subgraphs', () => {
  const identity = { subject: 'api-key-2:agency:tax', role: 'agency:tax' } as const;
  const body = '{"query":"{ taxpayers { totalCount } }"}';
  const target = { audience: 'tax', body };

  it('round-trips a signed identity for its body and subgraph, with a grant when there is one', () => {
    expect(verifyIdentity(signIdentity(identity, SECRET, target), SECRET, target)).toEqual({ identity });
    const grant = { reads: [{ residentId: 'R0123456789abcdef0123456789abcdef', purpose: 'Case 7: home visit', auditId: 'a1' }] };
    expect(verifyIdentity(signIdentity(identity, SECRET, { ...target, grant }), SECRET, target)).toEqual({ identity, grant });
  });

  it('refuses a missing, tampered, foreign or stale header', () => {
    const signed = signIdentity(identity, SECRET, target);
    const [payload, signature] = signed.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'x', role: 'caseworker', iat: Date.now() })).toString('base64url');
    expect(() => verifyIdentity(undefined, SECRET, target)).toThrow(IdentityError);
    expect(() => verifyIdentity(`${forgedPayload}.${signature}`, SECRET, target)).toThrow(/invalid/);
    expect(() => verifyIdentity(signIdentity(identity, `${SECRET}-other`, target), SECRET, target)).toThrow(/invalid/);
    expect(() => verifyIdentity(signIdentity(identity, SECRET, target, Date.now() - 60_000), SECRET, target)).toThrow(/expired/);
    expect(() => verifyIdentity(`${payload}`, SECRET, target)).toThrow(/malformed/);
  });

  it('refuses a header replayed with another body or at another subgraph', () => {
    const signed = signIdentity(identity, SECRET, target);
    expect(() => verifyIdentity(signed, SECRET, { audience: 'tax', body: '{"query":"{ taxReports { totalCount } }"}' })).toThrow(
      /another request body/,
    );
    expect(() => verifyIdentity(signed, SECRET, { audience: 'health', body })).toThrow(/signed for subgraph "tax", not for "health"/);
  });

  it('refuses an empty subject and a malformed grant', () => {
    expect(() => verifyIdentity(signIdentity({ subject: '', role: 'dashboard' }, SECRET, target), SECRET, target)).toThrow(/subject/);
    const bad = signIdentity(identity, SECRET, { ...target, grant: { reads: 'all' } as never });
    expect(() => verifyIdentity(bad, SECRET, target)).toThrow(/grant/);
  });
});

describe('access rules', () => {
  it('withholds small kelurahan counts of people from the public only', () => {
    const below = SMALL_COUNT_THRESHOLD - 1;
    expect(() => peopleCount({ subject: 'anonymous', role: 'public' }, below, 'Members')).toThrow(/withheld/);
    expect(peopleCount({ subject: 'anonymous', role: 'public' }, SMALL_COUNT_THRESHOLD, 'Members')).toBe(5);
    expect(peopleCount({ subject: 'd', role: 'dashboard' }, 1, 'Members')).toBe(1);
  });

  it('lets only the owning agency read its personal data', () => {
    expect(() => requireOwningAgency({ subject: 'x', role: 'agency:tax' }, 'tax', 'A taxpayer')).not.toThrow();
    expect(() => requireOwningAgency({ subject: 'x', role: 'agency:health' }, 'tax', 'A taxpayer')).toThrow(/agency:tax/);
  });
});

describe('pagination and arguments', () => {
  it('round-trips cursors and refuses a foreign one', () => {
    expect(decodeCursor(encodeCursor('P.2.0000001'))).toBe('P.2.0000001');
    expect(() => decodeCursor('bm9wZQ')).toThrow(/cursor/);
  });

  it('bounds the page size', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(MAX_PAGE_SIZE)).toBe(MAX_PAGE_SIZE);
    expect(() => pageSize(MAX_PAGE_SIZE + 1)).toThrow(/Invalid first/);
    expect(() => pageSize(0)).toThrow(/Invalid first/);
  });

  it("draws a year's bounds on Kediri's clock (UTC+7)", () => {
    expect(yearRange(2023)).toEqual({
      start: new Date('2022-12-31T17:00:00.000Z'),
      end: new Date('2023-12-31T17:00:00.000Z'),
    });
  });

  it('refuses a year outside the programmes', () => {
    expect(requireYear(2023, 'year')).toBe(2023);
    expect(() => requireYear(1999, 'year')).toThrow(/Invalid year/);
    expect(() => requireYear(2023.5, 'year')).toThrow(/Invalid year/);
  });

  it('draws the same numbers from the same seed', () => {
    const a = createRandom('seed');
    const b = createRandom('seed');
    expect(Array.from({ length: 5 }, () => a.int(1, 1000))).toEqual(Array.from({ length: 5 }, () => b.int(1, 1000)));
  });
});
