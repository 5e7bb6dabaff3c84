import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDay, todayInKediri } from '../kit/calendar';
import { createRandom } from '../kit/random';
import { CITY } from '../kit/readModel';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { residentId, samplePopulation } from '../kit/residents';
import { groupByKelurahan, startTestSubgraph, TEST_SECRETS, type GraphQLResult, type TestSubgraph } from '../kit/testing';
import { environment } from './index';
import type { DepositDoc, EnvironmentModels, MemberDoc, WasteBankDoc, WasteCategoryDoc, WithdrawalDoc } from './models';
import { environmentPillar } from './pillar';
import { randomWrites } from './sampleWrites';

/**
 * The environment subgraph over real HTTP against the embedded store, seeded once. Figures are checked
 * against sums computed here in plain JavaScript from the raw seeded documents, not by the same aggregation.
 * Describe blocks run in order: the figures are checked first, against the seed as read in beforeAll; the
 * blocks that write come after, ending with the read model's consistency under 60 random writes; the checks
 * of the seed itself, which make no request, close the file.
 */

let sg: TestSubgraph<EnvironmentModels>;
let banks: WasteBankDoc[];
let members: MemberDoc[];
let deposits: DepositDoc[];
let withdrawals: WithdrawalDoc[];
let categories: WasteCategoryDoc[];

beforeAll(async () => {
  sg = await startTestSubgraph(environment, { seed: true });
  [banks, members, deposits, withdrawals, categories] = await Promise.all([
    sg.models.WasteBank.find().lean<WasteBankDoc[]>(),
    // The NIK is left out of reads by default; the schema check below needs it.
    sg.models.Member.find().select('+nik').lean<MemberDoc[]>(),
    sg.models.Deposit.find().lean<DepositDoc[]>(),
    sg.models.Withdrawal.find().lean<WithdrawalDoc[]>(),
    sg.models.WasteCategory.find().lean<WasteCategoryDoc[]>(),
  ]);
}, 240_000);

afterAll(async () => {
  await sg?.stop();
});

// ---------------------------------------------------------------------------------------------------------
// Independent figures, computed from the raw documents with plain loops.

// Waste banks' and memberships' days are calendar days (00:00 UTC of the day): a year is its calendar days.
const end = (year: number) => Date.UTC(year + 1, 0, 1);
const start = (year: number) => Date.UTC(year, 0, 1);
// Weigh-ins are instants, counted in Kediri's year (WIB, UTC+7): written out by hand, not taken from the code under test.
const wibEnd = (year: number) => Date.UTC(year, 11, 31, 17);
const wibStart = (year: number) => Date.UTC(year - 1, 11, 31, 17);

/** The raw documents of each kelurahan, grouped once (per list of documents). */
const byKelurahan = new WeakMap<object[], Map<string, { kelurahanCode: string }[]>>();

function expectedFigures(year: number, kelurahanCode?: string) {
  const here = <T extends { kelurahanCode: string }>(items: T[]): T[] => {
    if (!kelurahanCode) return items;
    let groups = byKelurahan.get(items);
    if (!groups) byKelurahan.set(items, (groups = groupByKelurahan(items)));
    return (groups.get(kelurahanCode) ?? []) as T[];
  };
  const existing = here(banks).filter((b) => b.establishedAt.getTime() < end(year));
  const active = existing.filter((b) =>
    b.activePeriods.some((p) => p.from.getTime() < end(year) && (!p.until || p.until.getTime() >= end(year))),
  );
  const people = new Set(
    here(members)
      .filter((m) => m.joinedAt.getTime() < end(year) && (!m.leftAt || m.leftAt.getTime() >= start(year)))
      .map((m) => m.residentId),
  );
  let grams = 0;
  let value = 0;
  let count = 0;
  for (const d of here(deposits)) {
    const t = d.depositedAt.getTime();
    if (t < wibStart(year) || t >= wibEnd(year)) continue;
    count += 1;
    for (const line of d.lines) {
      grams += Math.round(line.kg * 1000);
      value += line.value;
    }
  }
  return {
    wasteBanks: existing.length,
    activeWasteBanks: active.length,
    inactiveWasteBanks: existing.length - active.length,
    members: people.size,
    tonnesRecovered: Math.round(grams / 1000) / 1000,
    deposits: count,
    depositValue: value,
  };
}

/** Seeded savings per member: deposits minus withdrawals, summed once over the raw documents. */
let seededBalances: Map<string, number> | undefined;

function balanceOf(memberId: string): number {
  if (!seededBalances) {
    seededBalances = new Map();
    for (const d of deposits) seededBalances.set(String(d.memberId), (seededBalances.get(String(d.memberId)) ?? 0) + d.totalValue);
    for (const w of withdrawals) seededBalances.set(String(w.memberId), (seededBalances.get(String(w.memberId)) ?? 0) - w.amount);
  }
  return seededBalances.get(memberId) ?? 0;
}

// ---------------------------------------------------------------------------------------------------------
// Query helpers.

const PILLAR = 'wasteBanks activeWasteBanks inactiveWasteBanks members tonnesRecovered deposits depositValue';

const CITY_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ ... on CityScorecard { year environment { ${PILLAR} } } } }`;
const KELURAHAN_SCORECARD_QUERY = `query($r:[_Any!]!){ _entities(representations:$r){ ... on KelurahanScorecard { kelurahanCode year environment { ${PILLAR} } } } }`;

const kelurahanScorecards = (year: number, codes = KELURAHAN.map((k) => k.code)) =>
  codes.map((code) => ({ __typename: 'KelurahanScorecard', kelurahanCode: code, year }));

function errorOf(result: GraphQLResult, path?: string) {
  const errors = result.errors ?? [];
  return path ? errors.find((e) => (e.path ?? []).join('.') === path) : errors[0];
}

function expectError(result: GraphQLResult, code: string, field?: string) {
  const error = errorOf(result);
  expect(error, `expected a ${code} error, got ${JSON.stringify(result)}`).toBeDefined();
  expect(error!.extensions?.code).toBe(code);
  if (field) expect(error!.extensions?.field).toBe(field);
  return error!;
}

async function commandsDuring(run: () => Promise<unknown>): Promise<number> {
  const total = (c: Record<string, number>) => (c.query ?? 0) + (c.command ?? 0) + (c.getmore ?? 0);
  const before = total(await sg.opcounters());
  await run();
  // The second serverStatus that reads the counters is itself one command.
  return total(await sg.opcounters()) - before - 1;
}

const AGENCY = 'agency:environment' as const;

const MEMBER_QUERY = `query($id: ID!){ wasteBankMember(id: $id){ id name balance joinedOn leftOn resident { id } wasteBank { code status } deposits(year: 2023) { id totalKg totalValue lines { category kg pricePerKg value } } withdrawals { amount kind } } }`;

const DEPOSIT_MUTATION = `mutation($input: RecordWasteDepositInput!){ recordWasteDeposit(input: $input){ id wasteBankCode depositedAt totalKg totalValue lines { category kg pricePerKg value } member { id balance } } }`;
const WITHDRAWAL_MUTATION = `mutation($input: RecordWithdrawalInput!){ recordWithdrawal(input: $input){ id amount kind member { id balance } } }`;

/** The agency's data version, which the gateway's cache of public and dashboard answers follows. */
async function dataVersion(): Promise<number> {
  return (await sg.models.DataVersion.findById('environment').lean())?.version ?? 0;
}

async function balanceNow(memberId: string): Promise<number> {
  const result = await sg.query(`query($id: ID!){ wasteBankMember(id: $id){ balance } }`, { id: memberId }, AGENCY);
  return result.data.wasteBankMember.balance;
}

/** A saver of a bank open today who joined before `joinedBefore` and has not left. */
function currentSaver(joinedBefore: string, skip = 0): MemberDoc {
  const open = new Set(banks.filter((b) => b.status === 'active' && b.activePeriods.length === 1).map((b) => b.code));
  const found = members.filter(
    (m) => !m.leftAt && open.has(m.wasteBankCode) && m.joinedAt.getTime() < Date.parse(joinedBefore),
  )[skip];
  if (!found) throw new Error('the sample has no such saver');
  return found;
}

// ---------------------------------------------------------------------------------------------------------

describe('the published 2023 figures', () => {
  it('has 134 waste banks, 63 active and 71 inactive, about 200 tonnes and 5,000–8,000 members', async () => {
    const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 2023 }] }, 'dashboard');
    const pillar = result.data._entities[0].environment;
    expect(pillar).toMatchObject({ wasteBanks: 134, activeWasteBanks: 63, inactiveWasteBanks: 71 });
    expect(pillar.members).toBeGreaterThanOrEqual(5_000);
    expect(pillar.members).toBeLessThanOrEqual(8_000);
    expect(pillar.tonnesRecovered).toBeGreaterThan(180);
    expect(pillar.tonnesRecovered).toBeLessThan(220);
  });

  it('leaves exactly 22 kelurahan without a waste bank', async () => {
    const result = await sg.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code wasteBanks { code establishedOn } } } }`,
      { r: KELURAHAN.map((k) => ({ __typename: 'Kelurahan', code: k.code })) },
    );
    const lists = result.data._entities as { code: string; wasteBanks: { establishedOn: string }[] }[];
    const in2023 = lists.filter((k) => k.wasteBanks.some((b) => b.establishedOn < '2024-01-01'));
    expect(lists).toHaveLength(46);
    expect(in2023).toHaveLength(24);
    expect(lists.filter((k) => k.wasteBanks.length === 0)).toHaveLength(22);
  });

  it('records about 50,000 deposit lines in 2023', () => {
    const lines = deposits
      .filter((d) => d.depositedAt.getUTCFullYear() === 2023)
      .reduce((sum, d) => sum + d.lines.length, 0);
    expect(lines).toBeGreaterThan(40_000);
    expect(lines).toBeLessThan(60_000);
  });
});

describe('scorecard figures equal those computed from the raw records', () => {
  it.each([2021, 2022, 2023, 2024])('city, %i', async (year) => {
    const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year }] }, 'dashboard');
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toEqual({ year, environment: expectedFigures(year) });
  });

  it('every kelurahan in 2023 and 2022, in one request', async () => {
    const result = await sg.query(
      KELURAHAN_SCORECARD_QUERY,
      { r: [...kelurahanScorecards(2023), ...kelurahanScorecards(2022)] },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    const expected = [2023, 2022].flatMap((year) =>
      KELURAHAN.map((k) => ({ kelurahanCode: k.code, year, environment: expectedFigures(year, k.code) })),
    );
    expect(result.data._entities).toEqual(expected);
  });

  it('counts older waste banks and memberships, but no deposits, before the deposit records begin', async () => {
    const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 2019 }] }, 'dashboard');
    expect(result.data._entities[0].environment).toEqual(expectedFigures(2019));
    expect(result.data._entities[0].environment).toMatchObject({ tonnesRecovered: 0, deposits: 0, depositValue: 0 });
  });

  it('resolves the scorecard of a year the graph does not report on to null, without an error', async () => {
    const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 1990 }] }, 'dashboard');
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([null]);
  });
});

describe('small counts of people are suppressed for the public at kelurahan level', () => {
  const withoutBank = () => KELURAHAN.map((k) => k.code).find((code) => !banks.some((b) => b.kelurahanCode === code))!;
  const busiest = () => {
    const counts = new Map<string, number>();
    for (const m of members) counts.set(m.kelurahanCode, (counts.get(m.kelurahanCode) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0][0];
  };

  it('withholds members and what derives from them, never the facility counts', async () => {
    const code = withoutBank();
    const result = await sg.query(KELURAHAN_SCORECARD_QUERY, { r: kelurahanScorecards(2023, [code]) });
    expect(result.data._entities[0].environment).toEqual({
      wasteBanks: 0,
      activeWasteBanks: 0,
      inactiveWasteBanks: 0,
      members: null,
      tonnesRecovered: null,
      deposits: null,
      depositValue: null,
    });
    for (const field of ['members', 'tonnesRecovered', 'deposits', 'depositValue']) {
      expect(errorOf(result, `_entities.0.environment.${field}`)?.extensions?.code).toBe('SUPPRESSED_SMALL_COUNT');
    }
  });

  it('shows larger counts to the public, and every count to the dashboard', async () => {
    const busy = busiest();
    const quiet = withoutBank();
    const publicView = await sg.query(KELURAHAN_SCORECARD_QUERY, { r: kelurahanScorecards(2023, [busy]) });
    expect(publicView.errors).toBeUndefined();
    expect(publicView.data._entities[0].environment).toEqual(expectedFigures(2023, busy));
    const dashboard = await sg.query(KELURAHAN_SCORECARD_QUERY, { r: kelurahanScorecards(2023, [quiet]) }, 'dashboard');
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data._entities[0].environment.members).toBe(0);
  });

  it('never suppresses city-level figures', async () => {
    const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: 2023 }] });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].environment.members).toBe(expectedFigures(2023).members);
  });
});

describe('batching: no query per key', () => {
  it('resolves 46 kelurahan scorecards with one indexed read of the read model', async () => {
    const commands = await commandsDuring(async () => {
      const result = await sg.query(KELURAHAN_SCORECARD_QUERY, { r: kelurahanScorecards(2022) }, 'dashboard');
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toHaveLength(46);
    });
    expect(commands).toBeLessThanOrEqual(2);
  });

  it('resolves the waste banks of 46 kelurahan with one find', async () => {
    const commands = await commandsDuring(() =>
      sg.query(`query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { wasteBanks { code } } } }`, {
        r: KELURAHAN.map((k) => ({ __typename: 'Kelurahan', code: k.code })),
      }),
    );
    // One find; its 138 waste banks come back in the first batch of 101 and one getMore.
    expect(commands).toBeLessThanOrEqual(2);
  });

  it('resolves 30 residents with their savings and balances in a constant number of commands', async () => {
    const ids = [...new Set(members.slice(0, 30).map((m) => m.residentId))];
    const commands = await commandsDuring(() =>
      sg.queryWithGrant(
        `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { wasteBankSavings { id balance wasteBank { code } } } } }`,
        { r: ids.map((id) => ({ __typename: 'Resident', id })) },
        'caseworker',
      ),
    );
    // Memberships, then their banks; the balances are kept on the members.
    expect(commands).toBeLessThanOrEqual(2);
  });
});

describe('public waste bank and price queries', () => {
  it('pages through every waste bank without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result: GraphQLResult = await sg.query(
        `query($after: String){ wasteBanks(first: 50, after: $after){ totalCount nodes { code } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(result.data.wasteBanks.totalCount).toBe(banks.length);
      seen.push(...result.data.wasteBanks.nodes.map((n: { code: string }) => n.code));
      if (!result.data.wasteBanks.pageInfo.hasNextPage) break;
      after = result.data.wasteBanks.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(banks.length);
    expect(new Set(seen)).toEqual(new Set(banks.map((b) => b.code)));
  });

  it('filters by kelurahan and current status', async () => {
    const code = banks[0].kelurahanCode;
    const result = await sg.query(
      `query($k: String){ wasteBanks(kelurahanCode: $k, status: INACTIVE, first: 100){ totalCount nodes { code status kelurahanCode kelurahan { code } } } }`,
      { k: code },
    );
    const expected = banks.filter((b) => b.kelurahanCode === code && b.status === 'inactive').map((b) => b.code);
    expect(result.data.wasteBanks.totalCount).toBe(expected.length);
    expect(result.data.wasteBanks.nodes.map((n: { code: string }) => n.code).sort()).toEqual(expected.sort());
    for (const node of result.data.wasteBanks.nodes) {
      expect(node).toMatchObject({ status: 'INACTIVE', kelurahanCode: code, kelurahan: { code } });
    }
  });

  it('refuses a bad kelurahan code or page size naming the argument', async () => {
    expectError(await sg.query(`{ wasteBanks(kelurahanCode: "35.71.09.9999"){ totalCount } }`), 'BAD_USER_INPUT', 'kelurahanCode');
    expectError(await sg.query(`{ wasteBanks(first: 101){ totalCount } }`), 'BAD_USER_INPUT', 'first');
  });

  it('answers one waste bank by code and as an entity, with its history', async () => {
    const reopened = banks.find((b) => b.activePeriods.length === 2)!;
    const byQuery = await sg.query(`query($c: String!){ wasteBank(code: $c){ code status activePeriods { from until } } }`, { c: reopened.code });
    expect(byQuery.data.wasteBank).toEqual({
      code: reopened.code,
      status: 'ACTIVE',
      activePeriods: reopened.activePeriods.map((p) => ({
        from: p.from.toISOString().slice(0, 10),
        until: p.until ? p.until.toISOString().slice(0, 10) : null,
      })),
    });
    const byEntity = await sg.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on WasteBank { code name } } }`,
      { r: [{ __typename: 'WasteBank', code: reopened.code }, { __typename: 'WasteBank', code: 'BS-9999-999' }] },
    );
    expect(byEntity.data._entities).toEqual([{ code: reopened.code, name: reopened.name }, null]);
  });

  it('lists categories with their dated prices and the price valid today', async () => {
    const result = await sg.query(`{ wasteCategories { code currentPricePerKg prices { validFrom pricePerKg } } }`);
    expect(result.data.wasteCategories).toHaveLength(categories.length);
    const pet = result.data.wasteCategories.find((c: { code: string }) => c.code === 'pet_bottle');
    expect(pet.prices[0]).toEqual({ validFrom: '2021-01-01', pricePerKg: 3500 });
    const latest = pet.prices[pet.prices.length - 1];
    expect(pet.currentPricePerKg).toBe(latest.pricePerKg);
    // Within the national range for PET bottles.
    for (const price of pet.prices) expect(price.pricePerKg).toBeGreaterThanOrEqual(3500);
    for (const price of pet.prices) expect(price.pricePerKg).toBeLessThanOrEqual(5000);
  });
});

describe('member data is for the agency, and for caseworkers through Resident', () => {
  it('refuses public and dashboard callers the member queries', async () => {
    const id = String(members[0]._id);
    for (const role of ['public', 'dashboard', 'agency:tax'] as const) {
      expectError(await sg.query(MEMBER_QUERY, { id }, role), 'FORBIDDEN');
      expectError(await sg.query(`{ wasteBankMembers(wasteBankCode: "${members[0].wasteBankCode}"){ totalCount } }`, {}, role), 'FORBIDDEN');
    }
  });

  it('shows the agency a member with a balance equal to the records', async () => {
    const member = currentSaver('2022-01-01');
    const id = String(member._id);
    const result = await sg.query(MEMBER_QUERY, { id }, AGENCY);
    expect(result.errors).toBeUndefined();
    const view = result.data.wasteBankMember;
    expect(view).toMatchObject({ id, name: member.name, resident: { id: member.residentId }, leftOn: null });
    expect(view.balance).toBe(balanceOf(id));
    const in2023 = deposits.filter((d) => String(d.memberId) === id && d.depositedAt.getUTCFullYear() === 2023);
    expect(view.deposits.map((d: { id: string }) => d.id)).toEqual(in2023.map((d) => String(d._id)));
    expect(JSON.stringify(result)).not.toContain('nik');
  });

  it('pages the members of one waste bank', async () => {
    const code = members[0].wasteBankCode;
    const result = await sg.query(`query($c: String!){ wasteBankMembers(wasteBankCode: $c, first: 100){ totalCount nodes { id } } }`, { c: code }, AGENCY);
    const expected = members.filter((m) => m.wasteBankCode === code).map((m) => String(m._id));
    expect(result.data.wasteBankMembers.totalCount).toBe(expected.length);
    expect(result.data.wasteBankMembers.nodes.map((n: { id: string }) => n.id).sort()).toEqual(expected.sort());
    expectError(await sg.query(`{ wasteBankMembers(wasteBankCode: "BS-9999-999"){ totalCount } }`, {}, AGENCY), 'NOT_FOUND');
    expectError(await sg.query(`{ wasteBankMembers(wasteBankCode: "bank one"){ totalCount } }`, {}, AGENCY), 'BAD_USER_INPUT', 'wasteBankCode');
    expectError(await sg.query(`{ wasteBankMember(id: "not-an-id"){ id } }`, {}, AGENCY), 'BAD_USER_INPUT', 'id');
  });

  const SAVINGS = `query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { id wasteBankSavings { id balance wasteBank { code } } } } }`;

  it('gives caseworkers and the agency a resident’s savings, and an unknown resident none', async () => {
    const member = members[5];
    const unknown = residentId('3571019999999999', TEST_SECRETS.residentIdSecret);
    for (const role of ['caseworker', AGENCY] as const) {
      const result = await sg.queryWithGrant(
        SAVINGS,
        { r: [{ __typename: 'Resident', id: member.residentId }, { __typename: 'Resident', id: unknown }] },
        role,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toEqual([
        {
          id: member.residentId,
          wasteBankSavings: [{ id: String(member._id), balance: balanceOf(String(member._id)), wasteBank: { code: member.wasteBankCode } }],
        },
        { id: unknown, wasteBankSavings: [] },
      ]);
    }
  });

  it('refuses the savings field to every other role', async () => {
    for (const role of ['public', 'dashboard', 'auditor', 'agency:tax'] as const) {
      const result = await sg.queryWithGrant(SAVINGS, { r: [{ __typename: 'Resident', id: members[5].residentId }] }, role);
      expect(result.data._entities[0].wasteBankSavings).toBeNull();
      expectError(result, 'FORBIDDEN');
    }
  });
});

describe('recordWasteDeposit', () => {
  const today = () => new Date(Date.now() - 3_600_000).toISOString();

  it('values each line at today’s price, adds the total to the balance, and counts a retry once', async () => {
    const member = currentSaver('2024-01-01', 1);
    const id = String(member._id);
    const before = await balanceNow(id);
    const version = await dataVersion();
    const input = {
      memberId: id,
      wasteBankCode: member.wasteBankCode,
      depositedAt: today(),
      lines: [
        { category: 'pet_bottle', kg: 2.345 },
        { category: 'cardboard', kg: 10.1 },
      ],
      idempotencyKey: `test-deposit-${id}`,
    };
    const first = await sg.query(DEPOSIT_MUTATION, { input }, AGENCY);
    expect(first.errors).toBeUndefined();
    // 2024 prices: PET Rp4,700 (2.345 kg = Rp11,021.5 → 11,022), cardboard Rp1,600 (10.1 kg = Rp16,160).
    expect(first.data.recordWasteDeposit).toMatchObject({
      wasteBankCode: member.wasteBankCode,
      totalKg: 12.445,
      totalValue: 27_182,
      lines: [
        { category: 'pet_bottle', kg: 2.345, pricePerKg: 4700, value: 11_022 },
        { category: 'cardboard', kg: 10.1, pricePerKg: 1600, value: 16_160 },
      ],
      member: { id, balance: before + 27_182 },
    });
    const retry = await sg.query(DEPOSIT_MUTATION, { input }, AGENCY);
    expect(retry.data.recordWasteDeposit.id).toBe(first.data.recordWasteDeposit.id);
    expect(await sg.models.Deposit.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await balanceNow(id)).toBe(before + 27_182);
    // The weigh-in changed public figures: the agency's data version moved on (the retry's unit raises it
    // again, as every unit that could have written does).
    expect(await dataVersion()).toBeGreaterThan(version);
  });

  it('uses the price valid on the deposit date', async () => {
    const member = currentSaver('2023-01-01', 2);
    const result = await sg.query(
      DEPOSIT_MUTATION,
      { input: { memberId: String(member._id), depositedAt: '2023-06-30T09:00:00+07:00', lines: [{ category: 'cardboard', kg: 3 }], idempotencyKey: `test-dated-${member._id}` } },
      AGENCY,
    );
    expect(result.errors).toBeUndefined();
    // Cardboard cost Rp1,400 until 30 June 2023 and Rp1,500 from 1 July.
    expect(result.data.recordWasteDeposit.lines[0]).toEqual({ category: 'cardboard', kg: 3, pricePerKg: 1400, value: 4200 });
    expect(result.data.recordWasteDeposit.depositedAt).toBe('2023-06-30T02:00:00.000Z');
  });

  it('refuses a key reused for another member', async () => {
    const other = currentSaver('2024-01-01', 3);
    const reused = `test-deposit-${String(currentSaver('2024-01-01', 1)._id)}`;
    const result = await sg.query(
      DEPOSIT_MUTATION,
      { input: { memberId: String(other._id), depositedAt: today(), lines: [{ category: 'paper', kg: 1 }], idempotencyKey: reused } },
      AGENCY,
    );
    expectError(result, 'CONFLICT', 'idempotencyKey');
  });

  it('refuses each bad field by name and writes nothing', async () => {
    const member = currentSaver('2020-12-01', 4);
    const closedBankSaver = members.find((m) => m.leftAt && m.leftAt.getTime() < Date.UTC(2024, 0, 1))!;
    const otherBank = banks.find((b) => b.code !== member.wasteBankCode)!.code;
    const good = { memberId: String(member._id), depositedAt: today(), lines: [{ category: 'pet_bottle', kg: 1 }] };
    const cases: [string, Record<string, unknown>][] = [
      ['memberId', { memberId: 'abc' }],
      ['wasteBankCode', { wasteBankCode: otherBank }],
      ['depositedAt', { depositedAt: '2099-01-01T08:00:00+07:00' }],
      ['depositedAt', { depositedAt: '2024-03-05T08:00:00' }],
      // A weigh-in is an instant with its offset; a bare day is not one.
      ['depositedAt', { depositedAt: '2024-03-05' }],
      ['depositedAt', { depositedAt: '2016-01-01T09:00:00+07:00' }],
      ['depositedAt', { memberId: String(closedBankSaver._id), depositedAt: today() }],
      ['lines', { lines: [] }],
      ['lines[1].category', { lines: [{ category: 'pet_bottle', kg: 1 }, { category: 'tyres', kg: 2 }] }],
      ['lines[0].kg', { lines: [{ category: 'pet_bottle', kg: 1.2345 }] }],
      ['lines[0].kg', { lines: [{ category: 'pet_bottle', kg: 0 }] }],
      // The price lists begin on 1 January 2021; this saver and bank were already active before.
      ['lines[0].category', { depositedAt: '2020-12-15T09:00:00+07:00' }],
      ['idempotencyKey', { idempotencyKey: 'short' }],
    ];
    const before = await sg.models.Deposit.estimatedDocumentCount();
    const balance = await balanceNow(String(member._id));
    for (const [field, change] of cases) {
      const input = { ...good, idempotencyKey: `test-bad-${field}-${Math.random()}`, ...change };
      const result = await sg.query(DEPOSIT_MUTATION, { input }, AGENCY);
      expectError(result, 'BAD_USER_INPUT', field);
    }
    const missing = expectError(
      await sg.query(DEPOSIT_MUTATION, { input: { ...good, memberId: '0123456789abcdef01234567', idempotencyKey: 'test-missing-member' } }, AGENCY),
      'NOT_FOUND',
    );
    expect(missing.message).toContain('0123456789abcdef01234567');
    expect(await sg.models.Deposit.estimatedDocumentCount()).toBe(before);
    expect(await balanceNow(String(member._id))).toBe(balance);
  });

  it('is refused to every role but the agency’s, writing nothing', async () => {
    const member = currentSaver('2024-01-01', 5);
    const input = { memberId: String(member._id), depositedAt: today(), lines: [{ category: 'paper', kg: 1 }], idempotencyKey: 'test-forbidden-deposit' };
    for (const role of ['public', 'dashboard', 'caseworker', 'agency:tax'] as const) {
      expectError(await sg.query(DEPOSIT_MUTATION, { input }, role), 'FORBIDDEN');
    }
    expect(await sg.models.Deposit.countDocuments({ idempotencyKey: 'test-forbidden-deposit' })).toBe(0);
  });
});

describe('recordWithdrawal', () => {
  /** A saver with at least Rp50,000 of savings. */
  function saverWithSavings(skip: number): string {
    const rich = members.filter((m) => !m.leftAt && balanceOf(String(m._id)) >= 50_000);
    return String(rich[skip]._id);
  }

  it('pays out within the balance and counts a retry once, leaving the public data version as it is', async () => {
    const id = saverWithSavings(0);
    const before = await balanceNow(id);
    const version = await dataVersion();
    const input = { memberId: id, amount: 10_000, kind: 'LEBARAN', idempotencyKey: `test-withdrawal-${id}` };
    const first = await sg.query(WITHDRAWAL_MUTATION, { input }, AGENCY);
    expect(first.errors).toBeUndefined();
    expect(first.data.recordWithdrawal).toMatchObject({ amount: 10_000, kind: 'LEBARAN', member: { id, balance: before - 10_000 } });
    const retry = await sg.query(WITHDRAWAL_MUTATION, { input }, AGENCY);
    expect(retry.data.recordWithdrawal.id).toBe(first.data.recordWithdrawal.id);
    expect(await sg.models.Withdrawal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await balanceNow(id)).toBe(before - 10_000);
    // Savings are no public or dashboard data: the gateway's cache of those answers stays valid.
    expect(await dataVersion()).toBe(version);
    expectError(
      await sg.query(WITHDRAWAL_MUTATION, { input: { ...input, amount: 20_000 } }, AGENCY),
      'CONFLICT',
      'idempotencyKey',
    );
  });

  it('refuses more than the balance with CONFLICT, stating it, and writes nothing', async () => {
    const id = saverWithSavings(1);
    const balance = await balanceNow(id);
    const before = await sg.models.Withdrawal.estimatedDocumentCount();
    const result = await sg.query(
      WITHDRAWAL_MUTATION,
      { input: { memberId: id, amount: balance + 1, kind: 'CASH', idempotencyKey: `test-over-${id}` } },
      AGENCY,
    );
    const error = expectError(result, 'CONFLICT', 'amount');
    expect(error.message).toContain(`Rp${balance}`);
    expect(await sg.models.Withdrawal.estimatedDocumentCount()).toBe(before);
    expect(await balanceNow(id)).toBe(balance);
  });

  it('lets only one of two concurrent payouts through when both together exceed the balance', async () => {
    const id = saverWithSavings(2);
    const balance = await balanceNow(id);
    const amount = Math.floor(balance * 0.6);
    const results = await Promise.all(
      ['a', 'b'].map((suffix) =>
        sg.query(WITHDRAWAL_MUTATION, { input: { memberId: id, amount, kind: 'CASH', idempotencyKey: `test-race-${suffix}-${id}` } }, AGENCY),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.field === 'amount');
    expect(refused).toHaveLength(1);
    expect(refused[0].errors![0].extensions?.code).toBe('CONFLICT');
    expect(await balanceNow(id)).toBe(balance - amount);
    expect(await sg.models.Withdrawal.countDocuments({ memberId: id })).toBe(withdrawals.filter((w) => String(w.memberId) === id).length + 1);
  });

  it('answers two concurrent calls with one key with one withdrawal', async () => {
    const id = saverWithSavings(3);
    const input = { memberId: id, amount: 5_000, kind: 'GROCERIES', idempotencyKey: `test-twice-${id}` };
    const [a, b] = await Promise.all([0, 1].map(() => sg.query(WITHDRAWAL_MUTATION, { input }, AGENCY)));
    expect(a.data.recordWithdrawal.id).toBe(b.data.recordWithdrawal.id);
    expect(await sg.models.Withdrawal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
  });

  it('refuses bad amounts, members and keys by name, and other roles', async () => {
    const id = saverWithSavings(4);
    const base = { memberId: id, amount: 1_000, kind: 'CASH', idempotencyKey: `test-badw-${id}` };
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: { ...base, amount: 10.5 } }, AGENCY), 'BAD_USER_INPUT', 'amount');
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: { ...base, amount: 0 } }, AGENCY), 'BAD_USER_INPUT', 'amount');
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: { ...base, memberId: 'nobody' } }, AGENCY), 'BAD_USER_INPUT', 'memberId');
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: { ...base, memberId: '0123456789abcdef01234567' } }, AGENCY), 'NOT_FOUND');
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: { ...base, idempotencyKey: 'x' } }, AGENCY), 'BAD_USER_INPUT', 'idempotencyKey');
    expectError(await sg.query(WITHDRAWAL_MUTATION, { input: base }, 'caseworker'), 'FORBIDDEN');
    expect(await sg.models.Withdrawal.countDocuments({ memberId: id, idempotencyKey: base.idempotencyKey })).toBe(0);
  });
});

describe('registerWasteBankMember', () => {
  const REGISTER = `mutation($input: RegisterWasteBankMemberInput!){ registerWasteBankMember(input: $input){ id name joinedOn resident { id } wasteBank { code } balance } }`;

  it('registers a resident by NIK, shows only the pseudonymous id, and finds the same member on retry', async () => {
    const bank = banks.find((b) => b.status === 'active')!;
    const taken = new Set(members.map((m) => m.residentId));
    const person = samplePopulation().find(
      (p) => p.kelurahanCode === bank.kelurahanCode && !taken.has(residentId(p.nik, TEST_SECRETS.residentIdSecret)),
    )!;
    const input = { nik: person.nik, name: person.name, wasteBankCode: bank.code, joinedOn: '2024-06-01' };
    const first = await sg.query(REGISTER, { input }, AGENCY);
    expect(first.errors).toBeUndefined();
    expect(first.data.registerWasteBankMember).toMatchObject({
      name: person.name,
      joinedOn: '2024-06-01',
      resident: { id: residentId(person.nik, TEST_SECRETS.residentIdSecret) },
      wasteBank: { code: bank.code },
      balance: 0,
    });
    expect(JSON.stringify(first)).not.toContain(person.nik);
    const retry = await sg.query(REGISTER, { input }, AGENCY);
    expect(retry.data.registerWasteBankMember.id).toBe(first.data.registerWasteBankMember.id);
    expect(await sg.models.Member.countDocuments({ wasteBankCode: bank.code, residentId: residentId(person.nik, TEST_SECRETS.residentIdSecret) })).toBe(1);

    // The same person at the same waste bank from another day is a second membership: refused.
    const again = expectError(await sg.query(REGISTER, { input: { ...input, joinedOn: '2024-07-01' } }, AGENCY), 'CONFLICT', 'nik');
    expect(again.message).toContain(first.data.registerWasteBankMember.id);
    expect(again.message).not.toContain(person.nik);
    expect(await sg.models.Member.countDocuments({ wasteBankCode: bank.code, residentId: residentId(person.nik, TEST_SECRETS.residentIdSecret) })).toBe(1);
  });

  it('refuses each bad field by name', async () => {
    const bank = banks.find((b) => b.status === 'active')!;
    const closed = banks.find((b) => b.status === 'inactive' && b.activePeriods.length === 1)!;
    const good = { nik: '3571010101900001', name: 'Siti Rahayu', wasteBankCode: bank.code, joinedOn: '2024-06-01' };
    const cases: [string, Record<string, unknown>][] = [
      ['nik', { nik: '12345' }],
      ['nik', { nik: '3578010101900001' }],
      ['name', { name: ' ' }],
      ['wasteBankCode', { wasteBankCode: 'bank one' }],
      ['joinedOn', { joinedOn: '2099-01-01' }],
      ['joinedOn', { joinedOn: '2024-06-01T08:00:00Z' }],
      ['joinedOn', { wasteBankCode: closed.code, joinedOn: '2025-01-06' }],
    ];
    const before = await sg.models.Member.estimatedDocumentCount();
    for (const [field, change] of cases) {
      expectError(await sg.query(REGISTER, { input: { ...good, ...change } }, AGENCY), 'BAD_USER_INPUT', field);
    }
    const missing = expectError(await sg.query(REGISTER, { input: { ...good, wasteBankCode: 'BS-9999-999' } }, AGENCY), 'NOT_FOUND');
    expect(missing.message).toContain('BS-9999-999');
    expect(await sg.models.Member.estimatedDocumentCount()).toBe(before);
    expectError(await sg.query(REGISTER, { input: good }, 'dashboard'), 'FORBIDDEN');
  });
});

describe('entity references and grants', () => {
  it('resolves a kelurahan reference with an unknown code to null, without an error', async () => {
    const result = await sg.query(
      `query($r:[_Any!]!){ _entities(representations:$r){ ... on Kelurahan { code wasteBanks { code } } ... on KelurahanScorecard { kelurahanCode environment { wasteBanks } } } }`,
      {
        r: [
          { __typename: 'Kelurahan', code: '35.71.09.9999' },
          { __typename: 'KelurahanScorecard', kelurahanCode: '35.71.09.9999', year: 2023 },
          { __typename: 'Kelurahan', code: banks[0].kelurahanCode },
        ],
      },
      'dashboard',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0]).toBeNull();
    expect(result.data._entities[1]).toBeNull();
    expect(result.data._entities[2].code).toBe(banks[0].kelurahanCode);
    expect(result.data._entities[2].wasteBanks.map((b: { code: string }) => b.code).sort()).toEqual(
      banks.filter((b) => b.kelurahanCode === banks[0].kelurahanCode).map((b) => b.code).sort(),
    );
  });

  it("refuses a resident lookup that carries no grant from the gateway, whatever the caller's role", async () => {
    for (const role of ['caseworker', AGENCY] as const) {
      const result = await sg.query(`query($r:[_Any!]!){ _entities(representations:$r){ ... on Resident { wasteBankSavings { balance } } } }`, {
        r: [{ __typename: 'Resident', id: members[5].residentId }],
      }, role);
      expect(result.status).toBe(403);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });
});

// Twenty units racing for one record conflict and are run again until one has committed and the others
// find it: a few seconds on a busy two-core machine, hence the longer timeouts.
describe('retries and races: twenty identical calls at once give the first result, written once', () => {
  const twenty = <T>(run: () => Promise<T>) => Promise.all(Array.from({ length: 20 }, run));
  const sameAnswer = (results: GraphQLResult[], field: string) => {
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data[field]))).size).toBe(1);
    return results[0].data[field];
  };

  it('registerWasteBankMember, keyed by the person and the waste bank', async () => {
    const bank = banks.filter((b) => b.status === 'active' && b.activePeriods.length === 1)[3];
    let person;
    for (const candidate of samplePopulation().filter((p) => p.kelurahanCode === bank.kelurahanCode)) {
      if (!(await sg.models.Member.exists({ wasteBankCode: bank.code, nik: candidate.nik }))) {
        person = candidate;
        break;
      }
    }
    const input = { nik: person!.nik, name: person!.name, wasteBankCode: bank.code, joinedOn: isoDay(todayInKediri()) };
    const results = await twenty(() =>
      sg.query(`mutation($input: RegisterWasteBankMemberInput!){ registerWasteBankMember(input: $input){ id name joinedOn balance wasteBank { code } } }`, { input }, AGENCY),
    );
    const member = sameAnswer(results, 'registerWasteBankMember');
    expect(member).toMatchObject({ name: person!.name, joinedOn: input.joinedOn, balance: 0, wasteBank: { code: bank.code } });
    expect(await sg.models.Member.countDocuments({ wasteBankCode: bank.code, nik: person!.nik })).toBe(1);
   }, 60_000);

  it('recordWasteDeposit, keyed by its idempotency key, credited once', async () => {
    const member = currentSaver('2024-01-01', 6);
    const id = String(member._id);
    const before = await balanceNow(id);
    const input = {
      memberId: id,
      depositedAt: new Date(Date.now() - 3_600_000).toISOString(),
      lines: [{ category: 'hdpe', kg: 3.5 }, { category: 'glass', kg: 4 }],
      idempotencyKey: `test-storm-deposit-${id}`,
    };
    const results = await twenty(() =>
      sg.query(`mutation($input: RecordWasteDepositInput!){ recordWasteDeposit(input: $input){ id depositedAt totalKg totalValue } }`, { input }, AGENCY),
    );
    const deposit = sameAnswer(results, 'recordWasteDeposit');
    // 2024 prices, still valid: HDPE Rp5,500 × 3.5 kg = 19,250; glass Rp450 × 4 kg = 1,800.
    expect(deposit).toMatchObject({ totalKg: 7.5, totalValue: 21_050 });
    expect(await sg.models.Deposit.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await balanceNow(id)).toBe(before + 21_050);
   }, 60_000);

  it('recordWithdrawal, keyed by its idempotency key, paid once', async () => {
    const saver = (await sg.models.Member.find({ leftAt: null, balance: { $gte: 50_000 } }).sort({ _id: 1 }).skip(40).limit(1).lean<MemberDoc[]>())[0];
    const id = String(saver._id);
    const input = { memberId: id, amount: 12_500, kind: 'CASH', idempotencyKey: `test-storm-withdrawal-${id}` };
    const results = await twenty(() =>
      sg.query(`mutation($input: RecordWithdrawalInput!){ recordWithdrawal(input: $input){ id amount kind withdrawnAt } }`, { input }, AGENCY),
    );
    const withdrawal = sameAnswer(results, 'recordWithdrawal');
    expect(withdrawal).toMatchObject({ amount: 12_500, kind: 'CASH' });
    expect(await sg.models.Withdrawal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(1);
    expect(await balanceNow(id)).toBe(saver.balance - 12_500);
   }, 60_000);
});

describe('a write is all or nothing', () => {
  it('leaves neither the withdrawal nor the debit when the payout turns out larger than the balance', async () => {
    // The payout is written, then debited from the balance; the balance below zero refuses it at the last
    // step, and the transaction takes back both writes.
    const saver = (await sg.models.Member.find({ leftAt: null, balance: { $gte: 10_000 } }).sort({ _id: 1 }).skip(41).limit(1).lean<MemberDoc[]>())[0];
    const id = String(saver._id);
    const counts = async () => ({
      withdrawals: await sg.models.Withdrawal.estimatedDocumentCount(),
      ofMember: await sg.models.Withdrawal.countDocuments({ memberId: saver._id }),
      balance: (await sg.models.Member.findById(saver._id).lean<MemberDoc>())!.balance,
    });
    const before = await counts();
    const input = { memberId: id, amount: saver.balance + 1, kind: 'GROCERIES', idempotencyKey: `test-atomic-${id}` };
    const error = expectError(await sg.query(WITHDRAWAL_MUTATION, { input }, AGENCY), 'CONFLICT', 'amount');
    expect(error.message).toContain(`Rp${saver.balance}`);
    expect(await counts()).toEqual(before);
    expect(await sg.models.Withdrawal.countDocuments({ idempotencyKey: input.idempotencyKey })).toBe(0);
  });
});

describe('the read model stays exact under writes', () => {
  it('equals a full re-aggregation, figure by figure, after 60 random valid writes', async () => {
    const random = createRandom('environment-read-model');
    const staff = { query: (q: string, v?: Record<string, unknown>) => sg.query(q, v, AGENCY), models: sg.models };
    const done: string[] = [];
    for (let i = 0; i < 60; i += 1) done.push(await randomWrites(random, staff));
    for (const kind of ['registered', 'deposited', 'withdrew']) expect(done.some((label) => label.startsWith(kind)), kind).toBe(true);
    expect(await environmentPillar.check(sg.models)).toEqual([]);
  }, 180_000);

  it('answers the scorecard from the read model with the same figures a raw aggregation gives', async () => {
    const year = todayInKediri().getUTCFullYear();
    for (const asked of [2023, year]) {
      const raw = (await environmentPillar.definition.aggregate(sg.models, asked, null)).get(CITY)!;
      const result = await sg.query(CITY_QUERY, { r: [{ __typename: 'CityScorecard', year: asked }] });
      expect(result.errors).toBeUndefined();
      expect(result.data._entities[0].environment).toEqual({
        wasteBanks: raw.wasteBanks,
        activeWasteBanks: raw.activeWasteBanks,
        inactiveWasteBanks: raw.wasteBanks - raw.activeWasteBanks,
        members: raw.members,
        tonnesRecovered: Math.round(raw.gramsRecovered / 1000) / 1000,
        deposits: raw.deposits,
        depositValue: raw.depositValue,
      });
    }
  });

  it("keeps every member's balance equal to their deposits minus their withdrawals", async () => {
    const sums = new Map<string, number>();
    for (const d of await sg.models.Deposit.find({}, { memberId: 1, totalValue: 1 }).lean<DepositDoc[]>()) {
      sums.set(String(d.memberId), (sums.get(String(d.memberId)) ?? 0) + d.totalValue);
    }
    for (const w of await sg.models.Withdrawal.find({}, { memberId: 1, amount: 1 }).lean<WithdrawalDoc[]>()) {
      sums.set(String(w.memberId), (sums.get(String(w.memberId)) ?? 0) - w.amount);
    }
    const stored = await sg.models.Member.find({}, { balance: 1 }).lean<MemberDoc[]>();
    expect(stored.length).toBeGreaterThan(members.length);
    const drifted = stored.filter((m) => m.balance !== (sums.get(String(m._id)) ?? 0));
    expect(drifted).toEqual([]);
    expect(stored.every((m) => m.balance >= 0)).toBe(true);
  });
});

// Last: these checks read the seed as loaded in beforeAll and make no request. They run long loops over the
// raw documents, which would hold up the test process's event loop between two requests anywhere else.
describe('the sample data obeys the rules', () => {
  it('passes the schemas’ validation', () => {
    const sample = <T>(items: T[]) => items.filter((_, i) => i % 97 === 0);
    for (const doc of sample(members)) expect(new sg.models.Member(doc).validateSync()).toBeUndefined();
    for (const doc of sample(deposits)) expect(new sg.models.Deposit(doc).validateSync()).toBeUndefined();
    for (const doc of sample(withdrawals)) expect(new sg.models.Withdrawal(doc).validateSync()).toBeUndefined();
  });

  it('prices every seeded line at the price valid on its date', () => {
    const lists = new Map(categories.map((c) => [c.code, c.prices]));
    // Every departure from the price list, collected so that a failure names them all.
    const mispriced: string[] = [];
    for (const d of deposits.filter((_, i) => i % 13 === 0)) {
      let total = 0;
      for (const line of d.lines) {
        const valid = lists.get(line.category)!.filter((p) => p.validFrom <= d.depositedAt);
        const price = valid.reduce((a, b) => (b.validFrom > a.validFrom ? b : a)).pricePerKg;
        const value = Math.round((Math.round(line.kg * 1000) * price) / 1000);
        if (line.pricePerKg !== price) mispriced.push(`deposit ${d._id} ${line.category}: ${line.pricePerKg} per kg, expected ${price}`);
        if (line.value !== value) mispriced.push(`deposit ${d._id} ${line.category}: value ${line.value}, expected ${value}`);
        total += line.value;
      }
      if (d.totalValue !== total) mispriced.push(`deposit ${d._id}: total ${d.totalValue}, expected ${total}`);
    }
    expect(mispriced).toEqual([]);
  });

  it('keeps on each member the savings their seeded deposits and withdrawals leave', () => {
    expect(members.filter((member) => member.balance !== balanceOf(String(member._id)))).toEqual([]);
    expect(members.some((member) => member.balance > 0)).toBe(true);
  });

  it('never pays a saver more than their savings at that moment', () => {
    const events = new Map<string, { at: number; delta: number }[]>();
    for (const d of deposits) {
      const list = events.get(String(d.memberId)) ?? [];
      list.push({ at: d.depositedAt.getTime(), delta: d.totalValue });
      events.set(String(d.memberId), list);
    }
    for (const w of withdrawals) {
      const list = events.get(String(w.memberId)) ?? [];
      list.push({ at: w.withdrawnAt.getTime(), delta: -w.amount });
      events.set(String(w.memberId), list);
    }
    let lowest = 0;
    for (const list of events.values()) {
      let balance = 0;
      for (const e of list.sort((a, b) => a.at - b.at || b.delta - a.delta)) {
        balance += e.delta;
        lowest = Math.min(lowest, balance);
      }
    }
    expect(lowest).toBe(0);
  });

  it('keeps every deposit inside its member’s membership and an active period of the bank', () => {
    const memberById = new Map(members.map((m) => [String(m._id), m]));
    const bankByCode = new Map(banks.map((b) => [b.code, b]));
    const outside: string[] = [];
    for (const d of deposits) {
      const m = memberById.get(String(d.memberId))!;
      const t = d.depositedAt.getTime();
      if (t < m.joinedAt.getTime() || (m.leftAt && t >= m.leftAt.getTime())) outside.push(`deposit ${d._id}: outside the membership of member ${m._id}`);
      const bank = bankByCode.get(d.wasteBankCode)!;
      if (!bank.activePeriods.some((p) => p.from.getTime() <= t && (!p.until || p.until.getTime() > t))) {
        outside.push(`deposit ${d._id}: outside every active period of waste bank ${d.wasteBankCode}`);
      }
    }
    expect(deposits.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });
});
