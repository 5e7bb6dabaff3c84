import type { Unit } from './figures';
import type { PillarName } from './pillars';

/**
 * The figures Kota Kediri has published about its Smart City programs (from docs/domain.md, marked [S]
 * there), kept as data with their source, each with the graph figure it is compared with. They are the
 * yardstick for the yearly evaluation report: the graph's figures themselves are never typed in anywhere,
 * only read from the gateway and put beside these.
 */
export type Comparison =
  /** The graph's figure must equal the published one. */
  | { kind: 'exact' }
  /** The publication gives a round figure ("about 200 tonnes"): the graph's may be off by this share of it. */
  | { kind: 'about'; tolerance: number }
  /** The publication gives a ceiling ("up to Rp100 million"). */
  | { kind: 'atMost' }
  /** The publication gives a range ("41–42 tutors"). */
  | { kind: 'between'; low: number; high: number };

export type Measure =
  /** A figure of the city's scorecard. */
  | { kind: 'city'; pillar: PillarName; field: string }
  /** How many kelurahan have a figure equal to `equals` (e.g. no waste bank). */
  | { kind: 'kelurahanWith'; pillar: PillarName; field: string; equals: number }
  /** The largest RT ceiling of the year's Prodamas budgets. */
  | { kind: 'largestRtCeiling' }
  /** How many kelurahan the graph lists, in the city or in one kecamatan (by name). */
  | { kind: 'kelurahanCount'; kecamatan?: string }
  /** Nothing in the graph measures it; `reason` says why. */
  | { kind: 'notInGraph'; reason: string };

export interface PublishedFigure {
  id: string;
  /** The pillar it belongs to, or 'city' for the city's reference data and overall index. */
  section: PillarName | 'city';
  /** What was published, as a sentence without the number. */
  statement: string;
  /** The year the publication speaks of; 'each year' for a rule of the program, compared in the report's year. */
  year: number | 'each year';
  /** How the publication dates it when it is not one exact year, e.g. "around 2017", "up to 2020". */
  yearNote?: string;
  /** The figure as the publication wrote it, e.g. "about 200 tonnes", "41–42". */
  asPublished: string;
  /** The number compared with the graph's (for a range, its lower end; `comparison` holds both). */
  value: number;
  unit: Unit;
  comparison: Comparison;
  measure: Measure;
  /** Where it was published, from the domain brief. */
  source: string;
}

const WASTE_BANKS_2023 = 'Bank Sampah, 2023 [S] (docs/domain.md, Smart Environment)';
const KURNIA = 'Program Kurnia, Perwali 49/2020 [S] (docs/domain.md, Smart Economy)';
const EMAS = 'English Massive, around 2017 [S] (docs/domain.md, Smart Society); the sample data gives the program this size in 2023';
const REFERENCE = 'Kemendagri region codes [S] (docs/domain.md, Reference data)';

export const PUBLISHED_FIGURES: readonly PublishedFigure[] = [
  { id: 'kelurahan', section: 'city', statement: 'Kelurahan in Kota Kediri', year: 'each year', asPublished: '46', value: 46, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'kelurahanCount' }, source: REFERENCE },
  { id: 'kelurahan-mojoroto', section: 'city', statement: 'Kelurahan in kecamatan Mojoroto (35.71.01)', year: 'each year', asPublished: '14', value: 14, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'kelurahanCount', kecamatan: 'Mojoroto' }, source: REFERENCE },
  { id: 'kelurahan-kota', section: 'city', statement: 'Kelurahan in kecamatan Kota (35.71.02)', year: 'each year', asPublished: '17', value: 17, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'kelurahanCount', kecamatan: 'Kota' }, source: REFERENCE },
  { id: 'kelurahan-pesantren', section: 'city', statement: 'Kelurahan in kecamatan Pesantren (35.71.03)', year: 'each year', asPublished: '15', value: 15, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'kelurahanCount', kecamatan: 'Pesantren' }, source: REFERENCE },
  {
    id: 'smart-city-index',
    section: 'city',
    statement: "Kota Kediri's Smart City index in the national evaluation",
    year: 2021,
    asPublished: '3.06', value: 3.06,
    unit: 'count',
    comparison: { kind: 'exact' },
    measure: { kind: 'notInGraph', reason: "the national evaluators score the index from the city's whole submission; no agency's records hold it, so the graph has no such figure" },
    source: 'Gerakan Menuju 100 Smart City evaluation, 2021 [S] (docs/domain.md, Cross-agency reporting)',
  },
  {
    id: 'homecare-patients-to-2020',
    section: 'living',
    statement: 'Homecare patients served since the service began in May 2016',
    year: 2020,
    yearNote: 'up to 2020',
    asPublished: '212 patients', value: 212,
    unit: 'count',
    comparison: { kind: 'exact' },
    measure: {
      kind: 'notInGraph',
      reason: 'the graph counts the distinct patients visited in each year; a patient visited in several years counts in each, so the years cannot be added up into patients served since 2016',
    },
    source: 'Homecare, Dinas Kesehatan with RSUD Gambiran, up to 2020 [S] (docs/domain.md, Smart Living)',
  },
  { id: 'waste-banks-2023', section: 'environment', statement: 'Waste bank units', year: 2023, asPublished: '134 units', value: 134, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'environment', field: 'wasteBanks' }, source: WASTE_BANKS_2023 },
  { id: 'active-waste-banks-2023', section: 'environment', statement: 'Active waste banks', year: 2023, asPublished: '63', value: 63, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'environment', field: 'activeWasteBanks' }, source: WASTE_BANKS_2023 },
  { id: 'inactive-waste-banks-2023', section: 'environment', statement: 'Inactive waste banks', year: 2023, asPublished: '71', value: 71, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'environment', field: 'inactiveWasteBanks' }, source: WASTE_BANKS_2023 },
  {
    id: 'kelurahan-without-waste-bank-2023',
    section: 'environment',
    statement: 'Kelurahan without a waste bank',
    year: 2023,
    asPublished: '22 kelurahan', value: 22,
    unit: 'count',
    comparison: { kind: 'exact' },
    measure: { kind: 'kelurahanWith', pillar: 'environment', field: 'wasteBanks', equals: 0 },
    source: WASTE_BANKS_2023,
  },
  {
    id: 'tonnes-recovered-2023',
    section: 'environment',
    statement: 'Tonnes of waste recovered in the year',
    year: 2023,
    asPublished: 'about 200 tonnes', value: 200,
    unit: 'tonnes',
    comparison: { kind: 'about', tolerance: 0.05 },
    measure: { kind: 'city', pillar: 'environment', field: 'tonnesRecovered' },
    source: WASTE_BANKS_2023,
  },
  {
    id: 'landfill-tonnes-per-day-2023',
    section: 'environment',
    statement: 'Tonnes a day the city sends to the landfill',
    year: 2023,
    asPublished: 'about 180 tonnes a day', value: 180,
    unit: 'tonnes',
    comparison: { kind: 'about', tolerance: 0.05 },
    measure: { kind: 'notInGraph', reason: "the waste banks' records hold what residents deposit, not what the landfill receives" },
    source: WASTE_BANKS_2023,
  },
  { id: 'emas-spots', section: 'society', statement: 'EMAS spots', year: 2023, yearNote: 'around 2017 (compared in 2023)', asPublished: '108 spots', value: 108, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'society', field: 'emasSpots' }, source: EMAS },
  { id: 'emas-participants', section: 'society', statement: 'EMAS participants', year: 2023, yearNote: 'around 2017 (compared in 2023)', asPublished: '2,313 participants', value: 2313, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'society', field: 'participants' }, source: EMAS },
  {
    id: 'emas-tutors',
    section: 'society',
    statement: 'EMAS tutors',
    year: 2023,
    yearNote: 'around 2017 (compared in 2023)',
    asPublished: '41–42 tutors', value: 41,
    unit: 'count',
    comparison: { kind: 'between', low: 41, high: 42 },
    measure: { kind: 'city', pillar: 'society', field: 'tutors' },
    source: EMAS,
  },
  { id: 'kurnia-rate', section: 'economy', statement: 'Kurnia interest rate, percent a year', year: 'each year', asPublished: '2% a year', value: 2, unit: 'percent', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'economy', field: 'interestRatePercent' }, source: KURNIA },
  { id: 'kurnia-borrowers-2021', section: 'economy', statement: 'Kurnia borrowers in its first year (one loan each)', year: 2021, asPublished: '121 borrowers', value: 121, unit: 'count', comparison: { kind: 'exact' }, measure: { kind: 'city', pillar: 'economy', field: 'loansDisbursed' }, source: KURNIA },
  {
    id: 'kurnia-amount-2021',
    section: 'economy',
    statement: 'Kurnia loans disbursed in its first year',
    year: 2021,
    asPublished: 'Rp2 billion', value: 2_000_000_000,
    unit: 'rupiah',
    comparison: { kind: 'about', tolerance: 0.05 },
    measure: { kind: 'city', pillar: 'economy', field: 'amountDisbursed' },
    source: KURNIA,
  },
  {
    id: 'prodamas-ceiling',
    section: 'branding',
    statement: "An RT's Prodamas budget, at most, per year",
    year: 'each year',
    asPublished: 'up to Rp100 million', value: 100_000_000,
    unit: 'rupiah',
    comparison: { kind: 'atMost' },
    measure: { kind: 'largestRtCeiling' },
    source: 'Prodamas Plus, up to Rp100 million per RT per year (originally Rp50 million; 2024 caps in Perwali 28/2023) [S] (docs/domain.md, Smart Branding)',
  },
  {
    id: 'rt-count-2022',
    section: 'branding',
    statement: 'RT (neighbourhood units), each with a Prodamas budget',
    year: 2022,
    asPublished: 'about 1,478 RT', value: 1478,
    unit: 'count',
    comparison: { kind: 'about', tolerance: 0.01 },
    measure: { kind: 'city', pillar: 'branding', field: 'rtBudgets' },
    source: 'Neighbourhood units, 2022 [S] (docs/domain.md, Reference data)',
  },
];

/** The year a published figure is compared in: its own, or the report's for a rule that holds each year. */
export function comparisonYear(figure: PublishedFigure, reportYear: number): number {
  return figure.year === 'each year' ? reportYear : figure.year;
}
