import { Types } from 'mongoose';
import { kediriDay } from '../kit/calendar';
import { createRandom, type Random } from '../kit/random';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { NEIGHBOURHOODS, type Neighbourhood } from '../kit/reference/neighbourhoods';
import { ageOn, residentId, samplePopulation, type SampleResident } from '../kit/residents';
import { insertSeed } from '../kit/seeding';
import type { EnvironmentModels } from './models';
import { isActiveOn, priceDeposit, requireDepositLines, statusFromPeriods, type ActivePeriod, type DatedPrice } from './rules';

/**
 * Deterministic sample data for the waste banks, 2021–2024, reproducing what the city published for 2023:
 * 134 waste banks in 24 kelurahan (22 kelurahan have none), 63 active and 71 inactive at the end of the year,
 * about 200 tonnes recovered. Members are drawn from the shared sample population living near their waste
 * bank; deposits come from weekly weigh-ins and are priced by the same rule as a staff member's entry.
 */

const FIRST_DAY = Date.UTC(2021, 0, 1);
const LAST_DAY = Date.UTC(2024, 11, 31);
const DAY_MS = 86_400_000;
const utc = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day));

/** Categories and prices per kg. Plastics and paper sit inside the national ranges; metal and glass are assumed. */
const CATEGORIES: { code: string; name: string; prices: [string, number][] }[] = [
  { code: 'pet_bottle', name: 'PET bottles', prices: [['2021-01-01', 3500], ['2022-01-01', 3900], ['2023-01-01', 4300], ['2024-01-01', 4700]] },
  { code: 'pp_cup', name: 'PP cups', prices: [['2021-01-01', 2000], ['2022-01-01', 2300], ['2023-01-01', 2600], ['2024-01-01', 2900]] },
  { code: 'hdpe', name: 'HDPE containers', prices: [['2021-01-01', 4000], ['2022-01-01', 4500], ['2023-01-01', 5000], ['2024-01-01', 5500]] },
  { code: 'cardboard', name: 'Cardboard', prices: [['2021-01-01', 1000], ['2022-01-01', 1200], ['2023-01-01', 1400], ['2023-07-01', 1500], ['2024-01-01', 1600]] },
  { code: 'paper', name: 'Paper (HVS, newspaper)', prices: [['2021-01-01', 1000], ['2022-01-01', 1150], ['2023-01-01', 1300], ['2024-01-01', 1500]] },
  { code: 'metal_can', name: 'Metal cans', prices: [['2021-01-01', 8000], ['2022-01-01', 8500], ['2023-01-01', 9000], ['2024-01-01', 9500]] },
  { code: 'glass', name: 'Glass bottles', prices: [['2021-01-01', 300], ['2022-01-01', 350], ['2023-01-01', 400], ['2024-01-01', 450]] },
];

/** How often a category is in a weigh-in, and its weight range in kg before the household factor. */
const CATEGORY_MIX: Record<string, { chance: number; kg: [number, number] }> = {
  pet_bottle: { chance: 0.85, kg: [0.8, 6] },
  pp_cup: { chance: 0.6, kg: [0.3, 3] },
  hdpe: { chance: 0.45, kg: [0.5, 4] },
  cardboard: { chance: 0.75, kg: [2, 12] },
  paper: { chance: 0.65, kg: [1, 8] },
  metal_can: { chance: 0.4, kg: [0.2, 2] },
  glass: { chance: 0.25, kg: [1, 8] },
};

/** Lebaran (Idul Fitri) days; savers draw their savings the week before. */
const LEBARAN = [utc(2021, 5, 13), utc(2022, 5, 2), utc(2023, 4, 22), utc(2024, 4, 10)];
/** The Monday of the week before each Lebaran week: the week savers draw their savings for the holiday. */
const LEBARAN_PAYOUT_WEEKS = new Set(
  LEBARAN.map((day) => {
    const mondayOfLebaranWeek = day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS;
    return mondayOfLebaranWeek - 7 * DAY_MS;
  }),
);

const BANK_NAMES = [
  'Berseri', 'Lestari', 'Sejahtera', 'Mandiri', 'Hijau Asri', 'Bersinar', 'Makmur', 'Melati', 'Mawar', 'Kenanga',
  'Sumber Rejeki', 'Barokah', 'Resik', 'Guyub Rukun', 'Sehati', 'Srikandi', 'Teratai', 'Anggrek', 'Cempaka', 'Seroja',
];

interface BankPlan {
  established: Date;
  periods: ActivePeriod[];
}

/** A day inside a year, away from its edges so that derived dates stay in the same year. */
function dayIn(random: Random, year: number, fromMonth = 1, toMonth = 12): Date {
  return utc(year, random.int(fromMonth, toMonth), random.int(1, 28));
}

/**
 * The life of each waste bank. For 2023 the plan gives exactly the published split: 120 banks older than
 * 2021 and 14 founded 2021–2023 make 134; 30 closed before 2021 and 15 + 14 + 12 in 2021–2023 make 71
 * inactive at the end of 2023; 4 more open in 2024, 3 close, and one closed in 2021 reopens.
 */
function planBanks(random: Random): BankPlan[] {
  const plans: BankPlan[] = [];
  const old = (closedIn?: number): BankPlan => {
    const established = dayIn(random, random.int(2012, 2020));
    if (closedIn === undefined) return { established, periods: [{ from: established, until: null }] };
    let until = dayIn(random, closedIn);
    if (until.getTime() < established.getTime() + 180 * DAY_MS) until = new Date(established.getTime() + 200 * DAY_MS);
    return { established, periods: [{ from: established, until }] };
  };
  for (let i = 0; i < 30; i += 1) plans.push(old(random.int(2019, 2020)));
  for (let i = 0; i < 15; i += 1) plans.push(old(2021));
  for (let i = 0; i < 14; i += 1) plans.push(old(2022));
  for (let i = 0; i < 12; i += 1) plans.push(old(2023));
  for (let i = 0; i < 3; i += 1) plans.push(old(2024));
  for (let i = 0; i < 46; i += 1) plans.push(old());
  // One of the banks closed in 2021 reopens in March 2024.
  plans[30].periods.push({ from: utc(2024, 3, 4), until: null });
  for (const [year, count] of [[2021, 5], [2022, 5], [2023, 4], [2024, 4]] as const) {
    for (let i = 0; i < count; i += 1) {
      const established = dayIn(random, year, 1, 10);
      plans.push({ established, periods: [{ from: established, until: null }] });
    }
  }
  return plans;
}

function objectId(at: Date | number, serial: number): Types.ObjectId {
  // Ids begin with the record's own time, so the `_id` order that pagination uses is the order of events,
  // and the counter keeps them deterministic from one seeding to the next.
  const seconds = Math.max(0, Math.floor(new Date(at).getTime() / 1000));
  return new Types.ObjectId(seconds.toString(16).padStart(8, '0') + serial.toString(16).padStart(16, '0'));
}

export interface EnvironmentSample {
  categories: Record<string, unknown>[];
  banks: Record<string, any>[];
  members: Record<string, any>[];
  deposits: Record<string, any>[];
  withdrawals: Record<string, any>[];
}

/** Builds every record in memory; `seedEnvironment` writes them. */
export function buildEnvironmentSample(residentIdSecret: string): EnvironmentSample {
  const random = createRandom('environment-bank-sampah');
  const categories = CATEGORIES.map((c) => ({
    _id: objectId(Date.parse(c.prices[0][0]), CATEGORIES.indexOf(c) + 1),
    code: c.code,
    name: c.name,
    prices: c.prices.map(([validFrom, pricePerKg]) => ({ validFrom: new Date(`${validFrom}T00:00:00Z`), pricePerKg })),
  }));
  const priceLists = new Map<string, DatedPrice[]>(categories.map((c) => [c.code, c.prices]));

  // Where the banks stand: 24 kelurahan, each with at least one bank that existed in 2023.
  const served = random.shuffle(KELURAHAN).slice(0, 24).map((k) => k.code).sort();
  const unitsOf = new Map<string, Neighbourhood[]>(served.map((code) => [code, NEIGHBOURHOODS.filter((u) => u.kelurahanCode === code)]));
  const plans = random.shuffle(planBanks(random));
  const firstOfEach = plans.filter((p) => p.established.getUTCFullYear() <= 2020).slice(0, served.length);
  const weights = served.map((code) => [code, 1 + random.next() * 2] as const);
  const placed = plans.map((plan) => {
    const first = firstOfEach.indexOf(plan);
    const kelurahanCode = first >= 0 ? served[first] : random.weighted(weights);
    return { plan, kelurahanCode, unit: random.pick(unitsOf.get(kelurahanCode)!) };
  });
  placed.sort((a, b) => a.kelurahanCode.localeCompare(b.kelurahanCode) || a.plan.established.getTime() - b.plan.established.getTime());
  const serials = new Map<string, number>();
  const banks = placed.map(({ plan, kelurahanCode, unit }, index) => {
    const serial = (serials.get(kelurahanCode) ?? 0) + 1;
    serials.set(kelurahanCode, serial);
    return {
      _id: objectId(plan.established, index + 1),
      code: `BS-${kelurahanCode.slice(6, 8)}${kelurahanCode.slice(11, 13)}-${String(serial).padStart(3, '0')}`,
      name: `Bank Sampah ${random.pick(BANK_NAMES)} RW ${String(unit.rw).padStart(2, '0')}`,
      kelurahanCode,
      rw: unit.rw,
      rt: unit.rt,
      establishedAt: plan.established,
      status: statusFromPeriods(plan.periods),
      activePeriods: plan.periods.map((p) => ({ from: p.from, until: p.until ?? null })),
      weighInDay: random.int(0, 6),
    };
  });

  // Savers: adults living in the bank's kelurahan, each resident in at most one bank.
  const candidates = new Map<string, SampleResident[]>(served.map((code) => [code, []]));
  for (const person of samplePopulation()) {
    if (candidates.has(person.kelurahanCode) && ageOn(person.birthDate, utc(2021, 1, 1)) >= 17) {
      candidates.get(person.kelurahanCode)!.push(person);
    }
  }
  for (const [code, list] of candidates) candidates.set(code, random.shuffle(list));

  const members: Record<string, any>[] = [];
  const deposits: Record<string, any>[] = [];
  const withdrawals: Record<string, any>[] = [];
  for (const bank of banks) {
    // Banks closed before 2021 have no savers in the sample: their records predate the data set.
    const periods = bank.activePeriods.filter((p) => !p.until || p.until.getTime() > FIRST_DAY);
    if (periods.length === 0) continue;
    const stillOpen = bank.status === 'active';
    const count = stillOpen ? random.int(75, 115) : random.int(30, 60);
    const pool = candidates.get(bank.kelurahanCode)!;
    for (let n = 0; n < count && pool.length > 0; n += 1) {
      const person = pool.pop()!;
      const period = random.pick(periods);
      // Most savers of an older bank joined before 2021; the rest join over the years the bank stays open.
      const openFrom = Math.max(period.from.getTime(), Date.UTC(2017, 0, 1));
      const closes = Math.min(period.until?.getTime() ?? LAST_DAY, LAST_DAY) - 30 * DAY_MS;
      const openUntil = openFrom < FIRST_DAY && random.chance(0.6) ? FIRST_DAY : closes;
      const joinedAt = new Date(Math.floor((openFrom + random.next() * Math.max(0, openUntil - openFrom)) / DAY_MS) * DAY_MS);
      const movedAway = !period.until && random.chance(0.03) ? new Date(joinedAt.getTime() + random.int(200, 900) * DAY_MS) : null;
      const leftAt = period.until ?? (movedAway && movedAway.getTime() <= LAST_DAY ? movedAway : null);
      const member = {
        _id: objectId(joinedAt, members.length + 1),
        nik: person.nik,
        residentId: residentId(person.nik, residentIdSecret),
        name: person.name,
        wasteBankCode: bank.code,
        kelurahanCode: bank.kelurahanCode,
        joinedAt,
        leftAt,
        balance: 0,
      };
      members.push(member);
      simulateSaver(random, member, bank, priceLists, deposits, withdrawals);
    }
  }

  for (const bank of banks) delete (bank as { weighInDay?: number }).weighInDay;
  return { categories, banks, members, deposits, withdrawals };
}

/**
 * One saver's 2021–2024: weigh-ins on the bank's weekly day at the saver's own rhythm, the yearly payout
 * before Lebaran, occasional cash or groceries, and the whole balance paid out on leaving. Payouts are
 * decided on the balance at that moment, so no withdrawal ever exceeds the savings; what is left at the end
 * is the member's balance.
 */
function simulateSaver(
  random: Random,
  member: { _id: Types.ObjectId; residentId: string; wasteBankCode: string; kelurahanCode: string; joinedAt: Date; leftAt: Date | null; balance: number },
  bank: { weighInDay: number; activePeriods: ActivePeriod[] },
  priceLists: ReadonlyMap<string, DatedPrice[]>,
  deposits: Record<string, any>[],
  withdrawals: Record<string, any>[],
): void {
  const rhythm = random.weighted([[[0.012, 0.03], 0.3], [[0.03, 0.062], 0.5], [[0.062, 0.14], 0.2]] as const);
  const weeklyChance = rhythm[0] + random.next() * (rhythm[1] - rhythm[0]);
  const household = 0.6 + random.next() * 0.9;
  const start = Math.max(member.joinedAt.getTime(), FIRST_DAY);
  const end = Math.min(member.leftAt?.getTime() ?? Infinity, LAST_DAY + DAY_MS);
  let balance = 0;
  const link = { memberId: member._id, residentId: member.residentId, wasteBankCode: member.wasteBankCode, kelurahanCode: member.kelurahanCode };
  const payOut = (at: Date, amount: number, kind: string) => {
    if (amount <= 0 || amount > balance) return;
    balance -= amount;
    withdrawals.push({
      _id: objectId(at, withdrawals.length + 1),
      ...link,
      amount,
      kind,
      withdrawnAt: at,
      idempotencyKey: `seed-withdrawal-${withdrawals.length + 1}`,
    });
  };

  // Week by week from the first Monday of 2021; the bank weighs on its own weekday.
  for (let monday = Date.UTC(2021, 0, 4); monday <= LAST_DAY; monday += 7 * DAY_MS) {
    const weighDay = monday + bank.weighInDay * DAY_MS;
    if (weighDay < start || weighDay >= end || !isActiveOn(bank.activePeriods, new Date(weighDay))) continue;
    if (random.chance(weeklyChance)) {
      const lines = Object.entries(CATEGORY_MIX)
        .filter(([, mix]) => random.chance(mix.chance))
        .map(([category, mix]) => ({
          category,
          kg: Math.max(0.1, Math.round((mix.kg[0] + random.next() * (mix.kg[1] - mix.kg[0])) * household * 10) / 10),
        }));
      if (lines.length === 0) lines.push({ category: 'pet_bottle', kg: Math.round((1 + random.next() * 3) * 10) / 10 });
      const depositedAt = new Date(weighDay + random.int(60, 240) * 60_000);
      const priced = priceDeposit(requireDepositLines(lines), priceLists, kediriDay(depositedAt));
      balance += priced.totalValue;
      deposits.push({
        _id: objectId(depositedAt, deposits.length + 1),
        ...link,
        depositedAt,
        ...priced,
        idempotencyKey: `seed-deposit-${deposits.length + 1}`,
      });
    }
    const payoutAt = new Date(weighDay + 5 * 3_600_000);
    const beforeLebaran = LEBARAN_PAYOUT_WEEKS.has(monday);
    if (beforeLebaran && balance >= 20_000 && random.chance(0.6)) {
      payOut(payoutAt, Math.floor((balance * 0.9) / 1000) * 1000, 'lebaran');
    } else if (balance >= 10_000 && random.chance(0.005)) {
      payOut(payoutAt, Math.floor((balance * (0.3 + random.next() * 0.5)) / 1000) * 1000, 'cash');
    } else if (balance >= 25_000 && random.chance(0.003)) {
      payOut(payoutAt, Math.floor(balance / 25_000) * 25_000, 'groceries');
    }
  }
  // A saver who leaves takes everything left.
  if (member.leftAt && member.leftAt.getTime() <= LAST_DAY) payOut(new Date(member.leftAt.getTime() + 3_600_000), balance, 'cash');
  // The member keeps the savings that are left, as every deposit and payout through the graph keeps them.
  member.balance = balance;
}

/** Writes the sample; returns how many records went into each collection. */
export async function seedEnvironment(
  models: EnvironmentModels,
  secrets: { residentIdSecret: string },
): Promise<Record<string, number>> {
  const sample = buildEnvironmentSample(secrets.residentIdSecret);
  // The waste banks and categories go through the schemas' validation, which catches a plan that breaks a
  // rule; the thousands of members, deposits and withdrawals are built by the same rules and written
  // directly for speed (the tests validate them against the schemas).
  for (const [model, docs] of [[models.WasteCategory, sample.categories], [models.WasteBank, sample.banks]] as const) {
    for (const doc of docs) {
      const error = new (model as any)(doc).validateSync();
      if (error) throw new Error(`Sample ${model.modelName} is invalid: ${error.message}`);
    }
  }
  await insertSeed(models.WasteCategory, sample.categories);
  await insertSeed(models.WasteBank, sample.banks);
  await insertSeed(models.Member, sample.members);
  await insertSeed(models.Deposit, sample.deposits);
  await insertSeed(models.Withdrawal, sample.withdrawals);
  return {
    wasteCategories: sample.categories.length,
    wasteBanks: sample.banks.length,
    members: sample.members.length,
    deposits: sample.deposits.length,
    withdrawals: sample.withdrawals.length,
  };
}
