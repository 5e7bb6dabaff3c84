import { readFileSync } from 'node:fs';
import { badUserInput } from '../../../platform/errors';
import { projectPath } from '../../../platform/paths';

/**
 * The 46 kelurahan of Kota Kediri with their Kemendagri codes: the shared key of every agency's data
 * (Satu Data Indonesia). Read once from the CSV beside this file, which is public reference data.
 */
export interface Kecamatan {
  code: string;
  name: string;
}

export interface Kelurahan {
  /** Kemendagri code, e.g. 35.71.01.1005. */
  code: string;
  name: string;
  kecamatan: Kecamatan;
  bpsCode: string;
  postalCode: string;
}

/** Found from the project root, so that a compiled bundle reads the same file as the source does. */
const CSV_PATH = projectPath('subgraphs', 'kit', 'reference', 'kelurahan.csv');

/** Other spellings met in agency records; the key is compared after normalization. */
const EXTRA_ALIASES: Record<string, string> = {
  banjarmlati: '35.71.01.1003',
  setonopande: '35.71.02.1006',
  kampungdalem: '35.71.02.1005',
  setonogedong: '35.71.02.1009',
};

function parseCsv(text: string): Kelurahan[] {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const expected = 'kode_kemendagri,kelurahan,kecamatan,kode_bps_mfd,kode_pos';
  if (header !== expected) {
    throw new Error(`kelurahan.csv: expected header "${expected}", found "${header}".`);
  }
  return rows.map((row, index) => {
    const [code, name, kecamatanName, bpsCode, postalCode] = row.split(',');
    if (!/^35\.71\.0[1-3]\.10\d\d$/.test(code ?? '')) {
      throw new Error(`kelurahan.csv line ${index + 2}: "${code}" is not a Kota Kediri Kemendagri code.`);
    }
    return {
      code,
      name,
      kecamatan: { code: code.slice(0, 8), name: kecamatanName },
      bpsCode,
      postalCode,
    };
  });
}

export const KELURAHAN: readonly Kelurahan[] = Object.freeze(
  parseCsv(readFileSync(CSV_PATH, 'utf8')).sort((a, b) => a.code.localeCompare(b.code)),
);

export const KECAMATAN: readonly Kecamatan[] = Object.freeze(
  [...new Map(KELURAHAN.map((k) => [k.kecamatan.code, k.kecamatan])).values()],
);

const BY_CODE = new Map(KELURAHAN.map((k) => [k.code, k]));

/** Spelling-insensitive key: "Banjar Mlati", "banjarmlati" and "BANJAR-MLATI" are one name. */
function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

const BY_NAME = new Map<string, Kelurahan>([
  ...KELURAHAN.map((k) => [normalizeName(k.name), k] as const),
  ...Object.entries(EXTRA_ALIASES).map(([alias, code]) => [alias, BY_CODE.get(code)!] as const),
]);

export function kelurahanByCode(code: string): Kelurahan | undefined {
  return BY_CODE.get(code);
}

/** Accepts any known spelling of a name; answers with the canonical record. */
export function kelurahanByName(name: string): Kelurahan | undefined {
  return BY_NAME.get(normalizeName(name));
}

export function isKelurahanCode(code: unknown): code is string {
  return typeof code === 'string' && BY_CODE.has(code);
}

/** Validates a kelurahan code from a caller, naming the field at fault. */
export function requireKelurahanCode(code: unknown, field: string): string {
  if (!isKelurahanCode(code)) {
    throw badUserInput(field, 'a Kota Kediri kelurahan code such as "35.71.01.1005"', code);
  }
  return code;
}

export function kecamatanByCode(code: string): Kecamatan | undefined {
  return KECAMATAN.find((k) => k.code === code);
}
