import { Types } from 'mongoose';
import { createRandom, type Random } from '../kit/random';
import { kelurahanByCode } from '../kit/reference/kelurahan';
import { ageOn, residentId, samplePopulation, type SampleResident } from '../kit/residents';
import type { EconomyModels } from './models';
import {
  LICENCE_THRESHOLD,
  loanAtDisbursal,
  type ApplicationStatus,
  type BusinessSector,
  type KurniaTier,
} from './rules';
import { insertSeed } from '../kit/seeding';

/**
 * Deterministic sample data for Program Kurnia, 2021–2024, that tells the program's published story: the
 * first year (2021) lends to exactly 121 borrowers for exactly Rp2,000,000,000; later years grow
 * moderately. Most loans are individual, a few go to cooperatives; most borrowers repay monthly on time, some
 * irregularly, and about one in fourteen stops paying, which gives a non-performing rate of a few percent.
 * Some applications are rejected and a few are still in progress at the end of 2024.
 */
export const LOANS_PER_YEAR: Record<number, number> = { 2021: 121, 2022: 165, 2023: 198, 2024: 232 };
export const REJECTED_PER_YEAR: Record<number, number> = { 2021: 17, 2022: 22, 2023: 26, 2024: 31 };
/** The first year's published total. */
export const FIRST_YEAR_AMOUNT = 2_000_000_000;
/** Repayments are seeded up to the end of this day. */
export const SEED_AS_OF = new Date(Date.UTC(2024, 11, 31, 23, 59, 59));

const DAY_MS = 86_400_000;
const STEP = 500_000;

const SECTOR_WEIGHTS: readonly (readonly [BusinessSector, number])[] = [
  ['culinary', 35],
  ['retail', 25],
  ['services', 12],
  ['fashion', 10],
  ['crafts', 8],
  ['agriculture', 5],
  ['manufacturing', 5],
];
const BUSINESS_PREFIX: Record<BusinessSector, string[]> = {
  culinary: ['Warung', 'Depot', 'Kedai', 'Catering', 'Pecel'],
  retail: ['Toko', 'Kios', 'Toko Kelontong'],
  services: ['Bengkel', 'Laundry', 'Salon', 'Servis Elektronik'],
  fashion: ['Konveksi', 'Batik', 'Penjahit'],
  crafts: ['Kerajinan', 'Anyaman'],
  agriculture: ['Budidaya Lele', 'Ternak Ayam', 'Tani Hidroponik'],
  manufacturing: ['Produksi Tahu Takwa', 'Getuk Pisang', 'Keripik'],
};
const COOPERATIVE_KINDS = ['Koperasi Serba Usaha', 'Koperasi Wanita', 'Koperasi Pedagang Pasar', 'Koperasi Produsen Tahu'];
const REJECTION_REASONS = [
  'Incomplete documents: the family card (KK) was not provided.',
  'The business was not found operating at the stated address during the field survey.',
  'The applicant has arrears on another loan.',
  'The business licence (NIB) does not match the business applied for.',
  'The business is outside Kota Kediri.',
];

/** Ids carry the record's own time, so `_id` order (the order of every list) follows the program's history. */
function objectIdAt(date: Date, tag: number, serial: number): Types.ObjectId {
  const seconds = Math.floor(date.getTime() / 1000).toString(16).padStart(8, '0');
  return new Types.ObjectId(`${seconds}${tag.toString(16).padStart(4, '0')}${serial.toString(16).padStart(12, '0')}`);
}

function at(year: number, month: number, day: number, hour = 2): Date {
  return new Date(Date.UTC(year, month, day, hour));
}

function plusDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

function randomDate(random: Random, from: Date, to: Date): Date {
  const days = Math.floor((to.getTime() - from.getTime()) / DAY_MS);
  return plusDays(from, random.int(0, days));
}

function pickTier(random: Random): KurniaTier {
  if (random.chance(0.025)) return 'cooperative';
  return random.chance(0.45) ? 'micro_small_under_10m' : 'micro_small_10_25m';
}

function pickAmount(random: Random, tier: KurniaTier): number {
  if (tier === 'cooperative') return random.int(6, 20) * 5_000_000;
  if (tier === 'micro_small_under_10m') return random.int(4, 19) * STEP;
  return random.int(20, 50) * STEP;
}

/** The band an amount may move in when the first year is adjusted to its published total. */
function adjustable(tier: KurniaTier, amount: number): boolean {
  if (tier === 'micro_small_under_10m') return amount >= 2_000_000 && amount <= 9_500_000;
  if (tier === 'micro_small_10_25m') return amount >= 10_000_000 && amount <= 25_000_000;
  return false;
}

/** Moves individual amounts in Rp500,000 steps, round-robin, until the total is exactly the target. */
function adjustToTotal(random: Random, loans: { tier: KurniaTier; amount: number }[], target: number): void {
  let diff = target - loans.reduce((sum, loan) => sum + loan.amount, 0);
  const order = random.shuffle(loans.map((_, index) => index));
  for (let guard = 0; diff !== 0 && guard < 100_000; guard += 1) {
    const loan = loans[order[guard % order.length]];
    const step = diff > 0 ? STEP : -STEP;
    if (adjustable(loan.tier, loan.amount + step)) {
      loan.amount += step;
      diff -= step;
    }
  }
  if (diff !== 0) throw new Error(`Could not bring the first year's loans to Rp${target}: Rp${diff} left over.`);
}

export interface KurniaSample {
  applicants: Record<string, unknown>[];
  applications: Record<string, unknown>[];
  loans: Record<string, unknown>[];
  repayments: Record<string, unknown>[];
}

/** Builds the whole sample in memory (no database), so its figures can be checked on their own. */
export function buildKurniaSample(residentIdSecret: string): KurniaSample {
  const random = createRandom('kediri-economy-kurnia');
  const people = random.shuffle(samplePopulation());
  let nextPerson = 0;
  const sample: KurniaSample = { applicants: [], applications: [], loans: [], repayments: [] };
  let serial = 0;

  /** The next resident, never used before, aged 21–60 on the application day. */
  function borrowerFor(day: Date): SampleResident {
    for (;;) {
      const person = people[nextPerson % people.length];
      nextPerson += 1;
      const age = ageOn(person.birthDate, day);
      if (age >= 21 && age <= 60) return person;
    }
  }

  function addApplicant(person: SampleResident, tier: KurniaTier, amount: number, submittedAt: Date) {
    const sector = tier === 'cooperative' && random.chance(0.5) ? 'manufacturing' : random.weighted(SECTOR_WEIGHTS);
    const kelurahanName = kelurahanByCode(person.kelurahanCode)!.name;
    const businessName =
      tier === 'cooperative'
        ? `${random.pick(COOPERATIVE_KINDS)} ${kelurahanName}`
        : `${random.pick(BUSINESS_PREFIX[sector])} ${person.name.split(' ')[0]}`;
    const applicant = {
      _id: objectIdAt(submittedAt, 1, (serial += 1)),
      nik: person.nik,
      residentId: residentId(person.nik, residentIdSecret),
      name: person.name,
      birthDate: person.birthDate,
      kelurahanCode: person.kelurahanCode,
      businessName,
      businessSector: sector,
      hasBusinessLicence: amount >= LICENCE_THRESHOLD || random.chance(0.3),
    };
    sample.applicants.push(applicant);
    return applicant;
  }

  function addApplication(
    applicant: ReturnType<typeof addApplicant>,
    tier: KurniaTier,
    amount: number,
    status: ApplicationStatus,
    dates: { submittedAt: Date; verifiedAt?: Date; decidedAt?: Date },
    extra: { approvedAmount?: number; rejectionReason?: string } = {},
  ) {
    const application = {
      _id: objectIdAt(dates.submittedAt, 2, (serial += 1)),
      applicantId: applicant._id,
      residentId: applicant.residentId,
      kelurahanCode: applicant.kelurahanCode,
      tier,
      amountRequested: amount,
      approvedAmount: extra.approvedAmount ?? null,
      status,
      submittedAt: dates.submittedAt,
      verifiedAt: dates.verifiedAt ?? null,
      decidedAt: dates.decidedAt ?? null,
      rejectionReason: extra.rejectionReason ?? null,
      idempotencyKey: `seed-application-${serial}`,
    };
    sample.applications.push(application);
    return application;
  }

  for (const year of Object.keys(LOANS_PER_YEAR).map(Number)) {
    const first = year === 2021;
    const windowStart = first ? at(2021, 2, 1) : at(year, 0, 10);
    const planned = Array.from({ length: LOANS_PER_YEAR[year] }, () => {
      const tier = pickTier(random);
      return { tier, amount: pickAmount(random, tier), disbursedAt: randomDate(random, windowStart, at(year, 11, 15)) };
    });
    if (first) adjustToTotal(random, planned, FIRST_YEAR_AMOUNT);
    planned.sort((a, b) => a.disbursedAt.getTime() - b.disbursedAt.getTime());

    for (const plan of planned) {
      const decidedAt = plusDays(plan.disbursedAt, -random.int(2, 14));
      const verifiedAt = plusDays(decidedAt, -random.int(2, 10));
      const submittedAt = plusDays(verifiedAt, -random.int(2, 12));
      const person = borrowerFor(submittedAt);
      const applicant = addApplicant(person, plan.tier, plan.amount, submittedAt);
      // Most are approved for what they asked; some for a little less within the same tier.
      const requested = plan.tier !== 'cooperative' && random.chance(0.15) && adjustable(plan.tier, plan.amount + STEP)
        ? plan.amount + STEP
        : plan.amount;
      const application = addApplication(
        applicant,
        plan.tier,
        requested,
        'disbursed',
        { submittedAt, verifiedAt, decidedAt },
        { approvedAmount: plan.amount },
      );
      addLoan(application, plan.amount, plan.disbursedAt);
    }

    for (let n = 0; n < REJECTED_PER_YEAR[year]; n += 1) {
      const submittedAt = randomDate(random, first ? at(2021, 0, 20) : at(year, 0, 2), at(year, 11, 10));
      const tier = pickTier(random);
      const amount = pickAmount(random, tier);
      const applicant = addApplicant(borrowerFor(submittedAt), tier, amount, submittedAt);
      const verified = random.chance(0.5);
      const verifiedAt = verified ? plusDays(submittedAt, random.int(2, 10)) : undefined;
      const decidedAt = plusDays(verifiedAt ?? submittedAt, random.int(2, 12));
      addApplication(applicant, tier, amount, 'rejected', { submittedAt, verifiedAt, decidedAt }, {
        rejectionReason: random.pick(REJECTION_REASONS),
      });
    }
  }

  // Applications still in progress on the last day of 2024.
  const inProgress: ApplicationStatus[] = ['submitted', 'submitted', 'submitted', 'submitted', 'submitted', 'verified', 'verified', 'verified', 'verified', 'approved', 'approved', 'approved'];
  for (const status of inProgress) {
    const submittedAt = randomDate(random, at(2024, 11, 1), at(2024, 11, 20));
    const tier = pickTier(random);
    const amount = pickAmount(random, tier);
    const applicant = addApplicant(borrowerFor(submittedAt), tier, amount, submittedAt);
    const verifiedAt = status === 'submitted' ? undefined : plusDays(submittedAt, random.int(2, 5));
    const decidedAt = status === 'approved' ? plusDays(verifiedAt!, random.int(1, 5)) : undefined;
    addApplication(applicant, tier, amount, status, { submittedAt, verifiedAt, decidedAt }, {
      approvedAmount: status === 'approved' ? amount : undefined,
    });
  }

  function addLoan(application: ReturnType<typeof addApplication>, principal: number, disbursedAt: Date) {
    const loan = { _id: objectIdAt(disbursedAt, 3, (serial += 1)), ...loanAtDisbursal(application, principal, disbursedAt) };
    sample.loans.push(loan);
    loan.amountRepaid = addRepayments(loan._id, application.residentId, application.kelurahanCode, loan.instalments);
  }

  /**
   * Repayment habits: most pay each instalment around its due day; about one in sixteen pays irregularly,
   * weeks late but in the end; about one in fourteen stops paying within its first twenty instalments.
   * Returns what the repayments add up to, the loan's repaid total.
   */
  function addRepayments(
    loanId: Types.ObjectId,
    resident: string,
    kelurahanCode: string,
    instalments: { number: number; dueDate: Date; amount: number }[],
  ): number {
    const habit = random.next();
    const stopsAfter = habit < 0.07 ? random.int(1, 20) : Infinity;
    const irregular = habit >= 0.07 && habit < 0.13;
    let previous = 0;
    let repaid = 0;
    for (const instalment of instalments) {
      if (instalment.number > stopsAfter) break;
      const delay = irregular ? random.int(5, 75) : random.chance(0.1) ? random.int(3, 20) : random.int(-5, 0);
      const paidAt = new Date(Math.max(previous + DAY_MS, instalment.dueDate.getTime() + delay * DAY_MS + 3 * 3_600_000));
      if (paidAt > SEED_AS_OF) break;
      previous = paidAt.getTime();
      repaid += instalment.amount;
      sample.repayments.push({
        _id: objectIdAt(paidAt, 4, (serial += 1)),
        loanId,
        residentId: resident,
        kelurahanCode,
        amount: instalment.amount,
        paidAt,
        reference: `KRN-${loanId.toHexString().slice(-8)}-${String(instalment.number).padStart(2, '0')}`,
      });
    }
    return repaid;
  }

  return sample;
}


/** Writes the sample; parents before children, so an interrupted seed never leaves a loan without its application. */
export async function seedEconomy(models: EconomyModels, secrets: { residentIdSecret: string }): Promise<Record<string, number>> {
  const sample = buildKurniaSample(secrets.residentIdSecret);
  await insertSeed(models.Applicant, sample.applicants);
  await insertSeed(models.Application, sample.applications);
  await insertSeed(models.Loan, sample.loans);
  await insertSeed(models.Repayment, sample.repayments);
  return {
    applicants: sample.applicants.length,
    applications: sample.applications.length,
    loans: sample.loans.length,
    repayments: sample.repayments.length,
  };
}
