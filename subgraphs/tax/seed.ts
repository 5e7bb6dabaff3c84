import { Types } from 'mongoose';
import { createRandom, type Random } from '../kit/random';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';
import { ageOn, residentId, samplePopulation } from '../kit/residents';
import type { TaxModels } from './models';
import {
  amountOwed,
  filingDeadline,
  formatNpwpd,
  formatPeriod,
  paymentDeadline,
  periodEnd,
  rateFor,
  taxDue,
  type PaymentChannel,
  type Period,
  type ReportStatus,
  type TaxSubtype,
  type TaxType,
  type TaxpayerType,
} from './rules';
import { insertSeed } from '../kit/seeding';

/**
 * Sample data for e-SPTPD at the volume docs/domain.md gives: about 2,000 self-assessing taxpayers (mostly
 * businesses, some residents from the shared sample population), about 2,600 tax objects, monthly reports
 * for 2021-01 to 2024-12 for every month an object traded (about 24,000 a year) and the payments of the
 * paid ones. The data is drawn as the city's records would stand on SEED_AS_OF: older periods paid,
 * a share filed or paid late, recent periods still submitted, verified or in draft.
 */
export const SEED_AS_OF = new Date('2025-01-08T05:00:00Z');
export const FIRST_PERIOD: Period = { year: 2021, month: 1 };
export const LAST_PERIOD: Period = { year: 2024, month: 12 };

const TAXPAYER_COUNT = 2_000;
const INDIVIDUAL_SHARE = 0.15;

/** What each kind of object is, how common, and the range of its monthly gross revenue in rupiah. */
const OBJECT_KINDS: readonly { taxType: TaxType; subtype: TaxSubtype; weight: number; revenue: [number, number]; names: string[] }[] = [
  { taxType: 'pbjt', subtype: 'food_beverage', weight: 46, revenue: [4_000_000, 150_000_000], names: ['Warung', 'Depot', 'Rumah Makan', 'Kedai', 'Cafe', 'Bakso', 'Soto', 'Pecel', 'Nasi Goreng'] },
  { taxType: 'pbjt', subtype: 'hotel', weight: 8, revenue: [15_000_000, 600_000_000], names: ['Hotel', 'Wisma', 'Guest House', 'Penginapan'] },
  { taxType: 'pbjt', subtype: 'parking', weight: 8, revenue: [3_000_000, 60_000_000], names: ['Parkir'] },
  { taxType: 'pbjt', subtype: 'arts_entertainment', weight: 3, revenue: [10_000_000, 200_000_000], names: ['Bioskop', 'Gelanggang', 'Kolam Renang', 'Futsal'] },
  { taxType: 'pbjt', subtype: 'special_entertainment', weight: 2, revenue: [30_000_000, 400_000_000], names: ['Karaoke', 'Spa', 'Bar'] },
  { taxType: 'pbjt', subtype: 'electricity', weight: 0.3, revenue: [800_000_000, 3_000_000_000], names: ['Penjualan Listrik'] },
  { taxType: 'pbjt', subtype: 'electricity_own_generation', weight: 1, revenue: [5_000_000, 80_000_000], names: ['Genset'] },
  { taxType: 'advertising', subtype: 'standard', weight: 24, revenue: [750_000, 25_000_000], names: ['Reklame Billboard', 'Reklame Neon Box', 'Reklame Videotron', 'Reklame Baliho'] },
  { taxType: 'groundwater', subtype: 'standard', weight: 7, revenue: [1_000_000, 20_000_000], names: ['Sumur Bor'] },
];

const WORDS = ['Sumber Rejeki', 'Makmur', 'Sentosa', 'Barokah', 'Sari Rasa', 'Joyoboyo', 'Brantas', 'Kilisuci', 'Dhoho', 'Klotok', 'Panjalu', 'Kelud', 'Sekartaji', 'Mulia', 'Jaya Abadi', 'Lestari', 'Gumul', 'Tahu Takwa', 'Pelangi', 'Mitra'];
const STREETS = ['Jl. Dhoho', 'Jl. Brawijaya', 'Jl. Hayam Wuruk', 'Jl. Pattimura', 'Jl. Joyoboyo', 'Jl. Mayor Bismo', 'Jl. Semeru', 'Jl. PK Bangsa', 'Jl. Kilisuci', 'Jl. Ahmad Yani', 'Jl. Veteran', 'Jl. Sudanco Supriadi', 'Jl. Imam Bonjol', 'Jl. Diponegoro', 'Jl. Letjen Suprapto'];
const LEGAL_FORMS = ['CV', 'PT', 'UD', 'Koperasi'];

/** Filing on time grew as e-SPTPD took hold (the story the Smart Governance pillar tells). */
const ON_TIME_SHARE: Record<number, number> = { 2021: 0.74, 2022: 0.81, 2023: 0.87, 2024: 0.91 };
/** Trade recovered after the pandemic: revenue relative to a normal year. */
const TRADE_LEVEL: Record<number, number> = { 2021: 0.78, 2022: 0.9, 2023: 1.0, 2024: 1.06 };
/** Months of higher trade: Ramadan and Lebaran moved through April–May in these years, and December holidays. */
const SEASON = [1, 0.95, 1, 1.08, 1.12, 1, 1.02, 1, 0.97, 1, 1, 1.15];
/** Payment channels drift towards QRIS and virtual accounts year by year. */
const CHANNELS: Record<number, readonly (readonly [PaymentChannel, number])[]> = {
  2021: [['bank_jatim', 45], ['teller', 25], ['virtual_account', 20], ['qris', 10]],
  2022: [['bank_jatim', 40], ['teller', 18], ['virtual_account', 24], ['qris', 18]],
  2023: [['bank_jatim', 36], ['teller', 12], ['virtual_account', 26], ['qris', 26]],
  2024: [['bank_jatim', 32], ['teller', 8], ['virtual_account', 27], ['qris', 33]],
  2025: [['bank_jatim', 32], ['teller', 8], ['virtual_account', 27], ['qris', 33]],
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Ids that are the same on every run and sort by the time the record was made, as MongoDB's own do: the
 * record's time in seconds, a tag for the collection and a counter. Lists paged by `_id` then come out in
 * registration or filing order.
 */
function idAt(time: Date, tag: number, counter: number): Types.ObjectId {
  // Every byte is written below, so a pooled buffer is safe and spares the collector 180,000 allocations.
  const bytes = Buffer.allocUnsafe(12);
  bytes.writeUInt32BE(Math.max(0, Math.floor(time.getTime() / 1000)), 0);
  bytes.writeUInt16BE(tag, 4);
  bytes.writeUIntBE(counter, 6, 6);
  return new Types.ObjectId(bytes);
}

function periodIndex(period: Period): number {
  return period.year * 12 + (period.month - 1);
}

function periodAt(index: number): Period {
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** A time between 07:00 and 21:00 in Kediri on the WIB day that begins at `dayStart`. */
function during(dayStart: Date, random: Random): Date {
  return new Date(dayStart.getTime() + random.int(7, 20) * HOUR_MS + random.int(0, 3599) * 1000);
}

/** Where businesses are: the old town centre (kecamatan Kota) most, a few outlying kelurahan hardly at all. */
function businessWeights(random: Random): Map<string, number> {
  const weights = new Map<string, number>();
  for (const kelurahan of KELURAHAN) {
    const centre = kelurahan.kecamatan.code === '35.71.02' ? 1.6 : 1;
    weights.set(kelurahan.code, centre * (0.5 + random.next()));
  }
  // Two outlying, mostly residential and agricultural kelurahan with almost no taxable trade: their public
  // figures fall under the small-count rule, as such places do in the real data.
  for (const quiet of ['35.71.01.1001', '35.71.03.1001']) weights.set(quiet, 0.03);
  return weights;
}

interface Plan {
  taxpayers: Record<string, unknown>[];
  taxObjects: Record<string, unknown>[];
  taxReports: Record<string, unknown>[];
  taxPayments: Record<string, unknown>[];
}

/** Draws the whole data set in memory; `seedTax` then writes it. Pure and deterministic. */
export function planTaxSeed(secrets: { residentIdSecret: string }): Plan {
  const random = createRandom('kediri-tax-seed');
  const weights = businessWeights(random);
  const weightList = [...weights.entries()] as [string, number][];
  const maxWeight = Math.max(...weights.values());
  const rtByKelurahan = new Map<string, { rw: number; rt: number }[]>();
  for (const unit of NEIGHBOURHOODS) {
    const list = rtByKelurahan.get(unit.kelurahanCode) ?? [];
    list.push(unit);
    rtByKelurahan.set(unit.kelurahanCode, list);
  }
  const address = (kelurahanCode: string) => {
    const unit = random.pick(rtByKelurahan.get(kelurahanCode)!);
    return `${random.pick(STREETS)} No. ${random.int(1, 250)}, RT ${String(unit.rt).padStart(3, '0')}/RW ${String(unit.rw).padStart(3, '0')}`;
  };

  // Individual taxpayers are residents of the shared population who own a taxable trade. Trade clusters
  // where businesses are, so residents are accepted in proportion to their kelurahan's business weight.
  const population = samplePopulation();
  const individualCount = Math.round(TAXPAYER_COUNT * INDIVIDUAL_SHARE);
  const owners: (typeof population)[number][] = [];
  const chosen = new Set<number>();
  while (owners.length < individualCount) {
    const person = population[random.int(0, population.length - 1)];
    if (chosen.has(person.index) || ageOn(person.birthDate, new Date('2021-01-01')) < 21) continue;
    if (!random.chance(weights.get(person.kelurahanCode)! / maxWeight)) continue;
    chosen.add(person.index);
    owners.push(person);
  }

  const firstIndex = periodIndex(FIRST_PERIOD);
  const lastIndex = periodIndex(LAST_PERIOD);

  interface PlannedTaxpayer { doc: Record<string, unknown>; type: TaxpayerType; kelurahanCode: string; diligence: number; firstActive: number }
  const plannedTaxpayers: PlannedTaxpayer[] = [];
  const taxObjects: Record<string, unknown>[] = [];
  const objectPlans: { id: Types.ObjectId; taxpayer: PlannedTaxpayer; kind: (typeof OBJECT_KINDS)[number]; kelurahanCode: string; from: number; until: number; revenue: number }[] = [];

  for (let n = 0; n < TAXPAYER_COUNT; n += 1) {
    const type: TaxpayerType = n < individualCount ? 'individual' : 'business';
    const owner = type === 'individual' ? owners[n] : undefined;
    const kelurahanCode = owner?.kelurahanCode ?? random.weighted(weightList);
    // Most taxpayers traded before the sample starts; the rest opened during it.
    const firstActive = random.chance(0.7) ? random.int(firstIndex - 96, firstIndex - 1) : random.int(firstIndex, lastIndex - 1);
    const planned: PlannedTaxpayer = {
      type,
      kelurahanCode,
      // Most taxpayers file on time as a habit; a few are habitually late whatever the year.
      diligence: random.chance(0.06) ? 0.35 : 1,
      firstActive,
      doc: {
        type,
        name: owner ? owner.name : `${random.pick(LEGAL_FORMS)} ${random.pick(WORDS)} ${random.pick(WORDS)}`,
        ...(owner
          ? { nik: owner.nik, residentId: residentId(owner.nik, secrets.residentIdSecret) }
          : { businessId: `9120${String(n).padStart(9, '0')}` }),
        kelurahanCode,
        address: address(kelurahanCode),
      },
    };
    plannedTaxpayers.push(planned);
    const objectCount = type === 'business' && random.chance(0.3) ? 2 : 1;
    for (let k = 0; k < objectCount; k += 1) {
      const kind = random.weighted(OBJECT_KINDS.map((candidate) => [candidate, candidate.weight] as const));
      const objectKelurahan = random.chance(0.8) ? kelurahanCode : random.weighted(weightList);
      const from = k === 0 ? firstActive : random.int(firstActive, lastIndex);
      const until = random.chance(0.12) ? random.int(Math.max(from, firstIndex), lastIndex) : lastIndex + 1_000;
      const [low, high] = kind.revenue;
      // Revenue of a normal month: skewed towards the small end, as most trades are small.
      const revenue = low + (high - low) * random.next() ** 2.5;
      const id = idAt(new Date(periodEnd(periodAt(from)).getTime() - 5 * DAY_MS), 2, objectPlans.length + 1);
      objectPlans.push({ id, taxpayer: planned, kind, kelurahanCode: objectKelurahan, from, until, revenue });
    }
  }

  // NPWPD serials follow registration order, and ids follow registration time.
  plannedTaxpayers.sort((a, b) => a.firstActive - b.firstActive);
  const taxpayers = plannedTaxpayers.map((planned, index) => {
    const opened = periodAt(planned.firstActive);
    const registeredAt = during(new Date(periodEnd(opened).getTime() - random.int(10, 40) * DAY_MS), random);
    const id = idAt(registeredAt, 1, index + 1);
    Object.assign(planned.doc, { _id: id, npwpd: formatNpwpd(planned.type, index + 1, planned.kelurahanCode), registeredAt });
    return planned.doc;
  });

  const taxReports: Record<string, unknown>[] = [];
  const taxPayments: Record<string, unknown>[] = [];
  let billingSerial = 0;
  for (const plan of objectPlans) {
    const opened = periodAt(plan.from);
    taxObjects.push({
      _id: plan.id,
      taxpayerId: plan.taxpayer.doc._id,
      taxType: plan.kind.taxType,
      subtype: plan.kind.subtype,
      name: `${random.pick(plan.kind.names)} ${random.pick(WORDS)}`,
      address: address(plan.kelurahanCode),
      kelurahanCode: plan.kelurahanCode,
      activeFrom: formatPeriod(opened),
      ...(plan.until <= lastIndex ? { activeUntil: formatPeriod(periodAt(plan.until)) } : {}),
    });

    const basisPoints = rateFor(plan.kind.taxType, plan.kind.subtype)!.basisPoints;
    for (let at = Math.max(plan.from, firstIndex); at <= Math.min(plan.until, lastIndex); at += 1) {
      const period = periodAt(at);
      // About 1% of monthly obligations are never filed at all: non-filers the agency chases.
      if (random.chance(0.01)) continue;
      const grossRevenue = Math.round((plan.revenue * TRADE_LEVEL[period.year] * SEASON[period.month - 1] * (0.85 + 0.3 * random.next())) / 100) * 100;
      const due = taxDue(grossRevenue, basisPoints);
      const onTime = random.chance(ON_TIME_SHARE[period.year] * plan.taxpayer.diligence);
      const deadline = filingDeadline(period);
      const submittedAt = onTime
        ? during(new Date(periodEnd(period).getTime() + random.int(0, 9) * DAY_MS), random)
        : during(new Date(deadline.getTime() + random.int(0, 50) * DAY_MS), random);
      const createdAt = new Date(Math.max(periodEnd(period).getTime(), submittedAt.getTime() - random.int(0, 3) * DAY_MS - HOUR_MS));
      const reportId = idAt(createdAt, 3, taxReports.length + 1);
      // One object per report, filled in as the report moves along: copying it per status would cost
      // seconds over ninety thousand reports.
      const report: Record<string, unknown> = {
        _id: reportId,
        taxObjectId: plan.id,
        taxpayerId: plan.taxpayer.doc._id,
        taxType: plan.kind.taxType,
        subtype: plan.kind.subtype,
        kelurahanCode: plan.kelurahanCode,
        period: formatPeriod(period),
        grossRevenue,
        rateBasisPoints: basisPoints,
        taxDue: due,
        status: 'draft' satisfies ReportStatus,
        createdAt,
      };
      if (submittedAt > SEED_AS_OF) {
        // Not yet sent on the day the data stands: half have a draft open in the app, half nothing yet.
        if (createdAt <= SEED_AS_OF && random.chance(0.5)) taxReports.push(report);
        continue;
      }
      taxReports.push(report);
      report.submittedAt = submittedAt;
      report.filedOnTime = submittedAt < deadline;
      report.status = 'submitted' satisfies ReportStatus;
      const verifiedAt = during(new Date(submittedAt.getTime() + random.int(1, 6) * DAY_MS - 12 * HOUR_MS), random);
      if (verifiedAt > SEED_AS_OF) continue;
      report.verifiedAt = verifiedAt;
      report.status = 'verified' satisfies ReportStatus;
      // Most pay before the payment deadline; some pay months late with interest; a few have not paid.
      const payDeadline = paymentDeadline(period);
      const roll = random.next();
      const paidAt =
        roll < 0.015
          ? undefined
          : roll < 0.07
            ? new Date(Math.max(payDeadline.getTime(), verifiedAt.getTime()) + random.int(1, 180) * DAY_MS + random.int(1, 15) * HOUR_MS)
            : new Date(verifiedAt.getTime() + random.next() * Math.max(HOUR_MS, payDeadline.getTime() - verifiedAt.getTime() - HOUR_MS));
      if (!paidAt || paidAt > SEED_AS_OF) continue;
      report.paidAt = paidAt;
      report.status = 'paid' satisfies ReportStatus;
      const owed = amountOwed(period, due, paidAt);
      billingSerial += 1;
      const paidYear = new Date(paidAt.getTime() + 7 * HOUR_MS).getUTCFullYear();
      taxPayments.push({
        _id: idAt(paidAt, 4, billingSerial),
        reportId,
        billingCode: `3571${String(paidYear % 100).padStart(2, '0')}${String(billingSerial).padStart(12, '0')}`,
        channel: random.weighted(CHANNELS[paidYear] ?? CHANNELS[2024]),
        amount: owed.total,
        taxDue: owed.taxDue,
        lateInterest: owed.lateInterest,
        paidAt,
        taxpayerId: plan.taxpayer.doc._id,
        taxType: plan.kind.taxType,
        kelurahanCode: plan.kelurahanCode,
      });
    }
  }

  return { taxpayers, taxObjects, taxReports, taxPayments };
}


/** Writes the sample data; returns how many documents each collection received. */
export async function seedTax(models: TaxModels, secrets: { residentIdSecret: string }): Promise<Record<string, number>> {
  const plan = planTaxSeed(secrets);
  return {
    taxpayers: await insertSeed(models.Taxpayer, plan.taxpayers),
    taxObjects: await insertSeed(models.TaxObject, plan.taxObjects),
    taxReports: await insertSeed(models.TaxReport, plan.taxReports),
    taxPayments: await insertSeed(models.TaxPayment, plan.taxPayments),
  };
}
