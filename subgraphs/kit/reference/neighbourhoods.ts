import { createRandom } from '../random';
import { badUserInput } from '../../../platform/errors';
import { KELURAHAN } from './kelurahan';

/**
 * The neighbourhood units (RW and RT) of each kelurahan. The city publishes only totals (about 330 RW and
 * 1,478 RT in 2022), not each kelurahan's list, so this spreads exactly those totals over the 46 kelurahan,
 * deterministically. Prodamas Plus budgets one RT each; every agency's sample residents live in one RT.
 */
export const TOTAL_RW = 330;
export const TOTAL_RT = 1478;

export interface Neighbourhood {
  kelurahanCode: string;
  /** RW number within the kelurahan, from 1. */
  rw: number;
  /** RT number within the kelurahan, from 1 (numbered across its RWs, as Kediri does). */
  rt: number;
}

/** Splits `total` into `parts` positive integers that vary a little around the mean. */
function spread(total: number, parts: number, seed: string): number[] {
  const random = createRandom(seed);
  const base = Math.floor(total / parts);
  const shares = Array.from({ length: parts }, () => base);
  let rest = total - base * parts;
  // Move units between parts for variety, never letting a part fall below 1.
  for (let i = 0; i < parts; i += 1) {
    const j = random.int(0, parts - 1);
    const move = random.int(0, Math.max(0, Math.min(shares[i] - 1, Math.floor(base / 3))));
    shares[i] -= move;
    shares[j] += move;
  }
  while (rest > 0) {
    shares[random.int(0, parts - 1)] += 1;
    rest -= 1;
  }
  return shares;
}

function build(): Neighbourhood[] {
  const rwPerKelurahan = spread(TOTAL_RW, KELURAHAN.length, 'rw');
  const units: Neighbourhood[] = [];
  let rtLeft = TOTAL_RT;
  let rwLeft = TOTAL_RW;
  KELURAHAN.forEach((kelurahan, index) => {
    const rwCount = rwPerKelurahan[index];
    // RTs follow RWs in proportion, so the city total comes out exact.
    const rtCount = index === KELURAHAN.length - 1 ? rtLeft : Math.max(rwCount, Math.round((rtLeft * rwCount) / rwLeft));
    const rtPerRw = spread(rtCount, rwCount, `rt:${kelurahan.code}`);
    let rt = 1;
    rtPerRw.forEach((count, rwIndex) => {
      for (let n = 0; n < count; n += 1) units.push({ kelurahanCode: kelurahan.code, rw: rwIndex + 1, rt: rt++ });
    });
    rtLeft -= rtCount;
    rwLeft -= rwCount;
  });
  return units;
}

export const NEIGHBOURHOODS: readonly Neighbourhood[] = Object.freeze(build());

const RT_COUNT = new Map<string, number>();
for (const unit of NEIGHBOURHOODS) RT_COUNT.set(unit.kelurahanCode, Math.max(RT_COUNT.get(unit.kelurahanCode) ?? 0, unit.rt));

/** How many RT a kelurahan has (0 for a code that is not one). */
export function rtCount(kelurahanCode: string): number {
  return RT_COUNT.get(kelurahanCode) ?? 0;
}

/** An RT number of the given kelurahan, from 1 to its number of RT. */
export function requireRt(value: unknown, kelurahanCode: string, field = 'rt'): number {
  const count = rtCount(kelurahanCode);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > count) {
    throw badUserInput(field, `an RT number of kelurahan ${kelurahanCode}, from 1 to ${count}`, value);
  }
  return value;
}
