import { createHmac } from 'node:crypto';
import { isResidentId } from '../../platform/audit';
import { badUserInput } from '../../platform/errors';
import { createRandom } from './random';
import { KELURAHAN } from './reference/kelurahan';
import { NEIGHBOURHOODS, type Neighbourhood } from './reference/neighbourhoods';

/**
 * Residents across agencies. Agencies keep the NIK; the graph links one resident's records by a
 * pseudonymous id, a keyed HMAC of the NIK under a city secret, so the raw NIK never crosses the gateway
 * and the id cannot be reversed without the secret.
 */

/** A 16-digit NIK registered in Kota Kediri (region 35.71, kecamatan 01–03). */
const KEDIRI_NIK = /^35710[1-3]\d{10}$/;

export function requireNik(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{16}$/.test(value)) {
    throw badUserInput(field, 'a 16-digit NIK', typeof value === 'string' ? `${value.length} characters` : value);
  }
  if (!KEDIRI_NIK.test(value)) {
    throw badUserInput(field, 'a NIK registered in Kota Kediri (beginning 357101, 357102 or 357103)', `${value.slice(0, 6)}…`);
  }
  return value;
}

export function residentId(nik: string, secret: string): string {
  return `R${createHmac('sha256', secret).update(nik).digest('hex').slice(0, 32)}`;
}

export { isResidentId };

export function requireResidentId(value: unknown, field: string): string {
  if (!isResidentId(value)) throw badUserInput(field, 'a resident id ("R" and 32 hex digits)', value);
  return value;
}

/** One synthetic resident of the sample data. Every agency's seed draws from the same population. */
export interface SampleResident extends Neighbourhood {
  index: number;
  nik: string;
  name: string;
  sex: 'F' | 'M';
  birthDate: Date;
}

export const SAMPLE_POPULATION_SIZE = 40_000;

const FEMALE = ['Siti', 'Sri', 'Dewi', 'Nur', 'Endang', 'Wahyuni', 'Lestari', 'Rina', 'Yuli', 'Puji', 'Ani', 'Tutik', 'Kartini', 'Ratna', 'Indah', 'Fitri', 'Rahma', 'Ayu', 'Eka', 'Novi'];
const MALE = ['Agus', 'Budi', 'Joko', 'Slamet', 'Bambang', 'Eko', 'Heru', 'Sugeng', 'Hadi', 'Wahyu', 'Rudi', 'Imam', 'Ahmad', 'Muhammad', 'Yusuf', 'Dimas', 'Fajar', 'Rizki', 'Anton', 'Teguh'];
const FAMILY = ['Santoso', 'Susanto', 'Prasetyo', 'Wibowo', 'Setiawan', 'Hidayat', 'Purnomo', 'Kurniawan', 'Saputra', 'Rahayu', 'Wulandari', 'Handayani', 'Utomo', 'Nugroho', 'Suharto', 'Haryanto', 'Firmansyah', 'Maulana', 'Pratiwi', 'Sulistyo'];

/** Census 2020 populations, so residents spread over the kecamatan as people do. */
const KECAMATAN_WEIGHT: Record<string, number> = { '35.71.01': 114_553, '35.71.02': 84_291, '35.71.03': 87_952 };

function buildPopulation(): SampleResident[] {
  const random = createRandom('kediri-population');
  const byKelurahan = new Map<string, Neighbourhood[]>();
  for (const unit of NEIGHBOURHOODS) {
    const list = byKelurahan.get(unit.kelurahanCode) ?? [];
    list.push(unit);
    byKelurahan.set(unit.kelurahanCode, list);
  }
  const kelurahanWeights = KELURAHAN.map((k) => {
    const inKecamatan = KELURAHAN.filter((other) => other.kecamatan.code === k.kecamatan.code).length;
    return [k.code, KECAMATAN_WEIGHT[k.kecamatan.code] / inKecamatan] as const;
  });
  const taken = new Set<string>();
  const people: SampleResident[] = [];
  for (let index = 0; index < SAMPLE_POPULATION_SIZE; index += 1) {
    const kelurahanCode = random.weighted(kelurahanWeights);
    const unit = random.pick(byKelurahan.get(kelurahanCode)!);
    const sex = random.chance(0.5) ? 'F' : 'M';
    const birthDate = new Date(Date.UTC(random.int(1940, 2018), random.int(0, 11), random.int(1, 28)));
    const day = birthDate.getUTCDate() + (sex === 'F' ? 40 : 0);
    const region = `3571${kelurahanCode.slice(6, 8)}`;
    const born = `${String(day).padStart(2, '0')}${String(birthDate.getUTCMonth() + 1).padStart(2, '0')}${String(birthDate.getUTCFullYear() % 100).padStart(2, '0')}`;
    let serial = (index % 9999) + 1;
    let nik = `${region}${born}${String(serial).padStart(4, '0')}`;
    while (taken.has(nik)) {
      serial = (serial % 9999) + 1;
      nik = `${region}${born}${String(serial).padStart(4, '0')}`;
    }
    taken.add(nik);
    const first = random.pick(sex === 'F' ? FEMALE : MALE);
    people.push({ index, nik, name: `${first} ${random.pick(FAMILY)}`, sex, birthDate, ...unit });
  }
  return people;
}

let population: SampleResident[] | undefined;

/** The sample population, built on first use and then shared. */
export function samplePopulation(): readonly SampleResident[] {
  population ??= buildPopulation();
  return population;
}

export function ageOn(birthDate: Date, day: Date): number {
  let age = day.getUTCFullYear() - birthDate.getUTCFullYear();
  const before =
    day.getUTCMonth() < birthDate.getUTCMonth() ||
    (day.getUTCMonth() === birthDate.getUTCMonth() && day.getUTCDate() < birthDate.getUTCDate());
  if (before) age -= 1;
  return age;
}
