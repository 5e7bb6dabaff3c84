import DataLoader from 'dataloader';
import type { GraphQLFieldResolver } from 'graphql';
import { peopleCount } from './access';
import type { Identity } from '../../platform/identity';
import { KELURAHAN, isKelurahanCode } from './reference/kelurahan';
import { CITY, figuresKey, type ReadModelModels, type StoredFigures } from './readModel';
import { FIRST_YEAR } from './validate';
import { todayInKediri } from './calendar';

/**
 * One Smart City pillar of an agency: the figures it contributes to the city's scorecard, per kelurahan and
 * year and for the whole city. `definePillar` gives every agency the same shape:
 * - the agency writes `aggregate`, the figures of one year computed from its raw records: the source of
 *   truth, used to build the read model, to keep it exact after each write, and to check it;
 * - the kit keeps those figures materialised in the agency's database (`scorecard_figures`), refreshes the
 *   kelurahan-years a write touched (and their city-years) inside the write's own transaction, and reads
 *   a whole scorecard of 46 kelurahan with one indexed query;
 * - the kit resolves the pillar's fields on `CityScorecard` and `KelurahanScorecard`, with one rule of
 *   small-count suppression for public callers, one city key and one rounding.
 */
/**
 * The scorecard field an agency fills: one of the six national pillars (governance, living, environment,
 * society, economy, branding) or, for an agency added later, a field of its own named after it.
 */
export type PillarField = string;

/** The kelurahan whose figures are wanted, or null for the whole city. */
export type Places = readonly string[] | null;

/** How one GraphQL field of the pillar's type is read from the figures. */
export interface FieldRule<F> {
  /** The stored figure it shows (by default the figure of the field's own name), or how it derives from them. */
  from?: keyof F | ((figures: F) => number | null);
  /**
   * Counts of people among the figures that make this field personal at kelurahan level: when any is below
   * the small-count threshold, public callers get null and SUPPRESSED_SMALL_COUNT instead. Fields without
   * it (counts of facilities, budgets) are never withheld.
   */
  gatedBy?: keyof F | readonly (keyof F)[];
}

export interface PillarDefinition<Models, F extends object> {
  /** The scorecard field the agency fills, e.g. `governance`. */
  field: PillarField;
  /** The GraphQL type of its figures, e.g. `GovernanceIndicators`. */
  typeName: string;
  /**
   * Raise it whenever `aggregate` or the figures change meaning: at start, figures stored by another
   * version are rebuilt from the raw records.
   */
  version: number;
  /** What each people count counts, in plural, for the message of a withheld figure, e.g. `{ activeTaxpayers: 'taxpayers' }`. */
  people: Partial<Record<keyof F, string>>;
  /** The figures of a place-year without any record. */
  empty(): F;
  /**
   * The figures of one year, computed from raw records: for each kelurahan of `places` (a kelurahan without
   * records may be left out) or, with `places` null, for the whole city under the key `CITY`. It runs inside
   * write transactions too, where MongoDB forbids parallel operations: await each query in turn.
   */
  aggregate(models: Models, year: number, places: Places): Promise<Map<string, F>>;
  /**
   * True when every figure is a count or a sum over records that each belong to one kelurahan, so that the
   * city's figures are its kelurahan's added up. A write then refreshes the city-year by adding up the stored
   * figures of the year's kelurahan (46 small documents) instead of aggregating every record of the year. The
   * rebuild and the check still aggregate the city from the raw records, so a pillar that claims this wrongly
   * fails its consistency test. Leave it out when a city figure counts something distinct (a taxpayer with
   * objects in two kelurahan is one active taxpayer of the city), and give those in distinctCityFigures.
   */
  cityIsSumOfKelurahan?: boolean;
  /**
   * For a pillar whose city figures are its kelurahan's added up but for a few that count something distinct (a
   * taxpayer with objects in two kelurahan is one active taxpayer of the city): those few, for the whole city
   * and one year, from the raw records. A write then refreshes the city-year as cityIsSumOfKelurahan does, with
   * these in place of their sums: one narrow aggregation instead of every one of the year. The other figures
   * must add up as cityIsSumOfKelurahan says (a rate does not: store the counts it divides and derive it in its
   * field rule), and the check catches a pillar that gets this wrong.
   */
  distinctCityFigures?(models: Models, year: number): Promise<Partial<F>>;
  /** Every field of `typeName`. */
  fields: Record<string, FieldRule<F>>;
}

/** The parent object of the pillar's type: the figures of one place-year. */
export interface PillarFigures<F> {
  /** A kelurahan code, or CITY. */
  place: string;
  year: number;
  figures: F;
}

/** Where scorecard figures come from: the read model, or (for checks and benchmarks) raw re-aggregation. */
export type FiguresSource = 'read-model' | 'raw';

/** A difference between the read model and a full re-aggregation. */
export interface FiguresDifference {
  year: number;
  place: string;
  figure: string;
  stored: unknown;
  aggregated: unknown;
}

interface PillarContext {
  identity: Identity;
  figures: DataLoader<string, any>;
}

type FieldResolvers = Record<string, GraphQLFieldResolver<any, any>>;

/** Which kelurahan-years a write changed, by year. */
export type TouchedPlaces = Map<number, Set<string>>;

export interface Pillar<Models, F extends object> {
  definition: PillarDefinition<Models, F>;
  /** Figures per `figuresKey(year, place)`: one query for all the keys of a tick, whatever their number. */
  loader(models: Models & ReadModelModels, source: FiguresSource): DataLoader<string, F>;
  /** Resolvers of the pillar's field on both scorecards, and of every field of its type. */
  resolvers(): Record<string, FieldResolvers>;
  /**
   * The field resolvers alone, for another type that shows the same figures (e.g. `KelurahanTaxSummary`),
   * by the pillar's own field rules or by the rules given for that type.
   */
  fieldResolvers(fields?: Record<string, FieldRule<F>>): FieldResolvers;
  /** The parent object of the pillar's type for one place-year. */
  figuresOf(context: PillarContext, place: string, year: number): Promise<PillarFigures<F>>;
  /** Recomputes the touched kelurahan-years and their city-years into the read model (inside a write's transaction). */
  refresh(models: Models & ReadModelModels, touched: TouchedPlaces): Promise<void>;
  /** Recomputes every place-year from the raw records; returns how many figure documents it wrote. */
  rebuild(models: Models & ReadModelModels, years?: readonly number[]): Promise<number>;
  /** Compares the read model with a full re-aggregation, figure by figure; empty when they agree. */
  check(models: Models & ReadModelModels, years?: readonly number[]): Promise<FiguresDifference[]>;
}

/**
 * Figures per place as an aggregation's rows fill them: `at(id)` gives the figures of a kelurahan, or of
 * the city for a row grouped by null, starting from `empty()` the first time a place is met.
 */
export function figuresByPlace<F>(empty: () => F): { at(id: string | null | undefined): F; figures: Map<string, F> } {
  const figures = new Map<string, F>();
  return {
    figures,
    at(id) {
      const key = id ?? CITY;
      let entry = figures.get(key);
      if (!entry) figures.set(key, (entry = empty()));
      return entry;
    },
  };
}

/** A rate in [0, 1] rounded to four decimals, the one rounding of every pillar's rates; 0 when there is nothing to divide. */
export function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

/** The years a rebuild or a check covers: from the programme's first year to next year. */
export function reportedYears(now: Date = new Date()): number[] {
  const last = todayInKediri(now).getUTCFullYear() + 1;
  return Array.from({ length: last - FIRST_YEAR + 1 }, (_, index) => FIRST_YEAR + index);
}

const ALL_CODES = KELURAHAN.map((kelurahan) => kelurahan.code);

/** The years whose figures are built, per figures collection (one per agency database and process). */
const BUILT_YEARS = new WeakMap<object, Set<number>>();

function builtYearsOf(models: ReadModelModels): Set<number> {
  let years = BUILT_YEARS.get(models.Figures);
  if (!years) BUILT_YEARS.set(models.Figures, (years = new Set()));
  return years;
}

function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as T];
}

export function definePillar<Models, F extends object>(definition: PillarDefinition<Models, F>): Pillar<Models, F> {
  const { field, typeName } = definition;

  /** The figures of a year's places and city, from raw records, in the order the transaction allows. */
  async function aggregateYear(models: Models, year: number, codes: readonly string[], city: boolean): Promise<Map<string, F>> {
    const figures = new Map<string, F>();
    if (codes.length > 0) {
      const byPlace = await definition.aggregate(models, year, codes);
      for (const code of codes) figures.set(code, byPlace.get(code) ?? definition.empty());
    }
    if (city) figures.set(CITY, (await definition.aggregate(models, year, null)).get(CITY) ?? definition.empty());
    return figures;
  }

  /** The city's figures of a year as the sum of its kelurahan's stored figures (see cityIsSumOfKelurahan and distinctCityFigures). */
  async function sumOfKelurahan(models: ReadModelModels, year: number): Promise<F> {
    const total = definition.empty() as Record<string, number>;
    const docs = await models.Figures.find({ year, place: { $ne: CITY } }, { figures: 1 }).lean<{ figures: Record<string, number> }[]>();
    for (const { figures } of docs) for (const figure of Object.keys(total)) total[figure] += figures[figure] ?? 0;
    return total as F;
  }

  async function store(models: ReadModelModels, year: number, figures: Map<string, F>): Promise<void> {
    const refreshedAt = new Date();
    for (const [place, values] of figures) {
      const _id = figuresKey(year, place);
      await models.Figures.replaceOne({ _id }, { _id, year, place, figures: values, refreshedAt }, { upsert: true });
    }
  }

  function groupByYear(keys: readonly string[]): Map<number, { codes: string[]; city: boolean }> {
    const byYear = new Map<number, { codes: string[]; city: boolean }>();
    for (const key of keys) {
      const [yearText, place] = key.split('|');
      const year = Number(yearText);
      const entry = byYear.get(year) ?? { codes: [], city: false };
      if (place === CITY) entry.city = true;
      else entry.codes.push(place);
      byYear.set(year, entry);
    }
    return byYear;
  }

  function fieldResolvers(fields: Record<string, FieldRule<F>> = definition.fields): FieldResolvers {
    return Object.fromEntries(
      Object.entries(fields).map(([name, rule]) => {
        const from = rule.from ?? (name as keyof F);
        const read = typeof from === 'function' ? from : (figures: F) => figures[from] as number | null;
        const gates = list(rule.gatedBy);
        const resolve = (parent: PillarFigures<F>, _args: unknown, context: PillarContext) => {
          if (parent.place !== CITY) {
            for (const gate of gates) {
              const where = `of kelurahan ${parent.place} in ${parent.year}`;
              const what =
                gate === from
                  ? `The ${name} ${where}`
                  : `The ${name} ${where}, which comes from fewer than 5 ${definition.people[gate] ?? String(gate)},`;
              peopleCount(context.identity, Number(parent.figures[gate] ?? 0), what);
            }
          }
          return read(parent.figures);
        };
        return [name, resolve];
      }),
    );
  }

  /**
   * Builds one year whole: every kelurahan and the city, replacing what was stored. A place-year without
   * records reads as empty figures anyway, so only the others are stored, but the city's document is always
   * written: it marks the year as built. Runs inside the caller's transaction.
   */
  async function buildYear(models: Models & ReadModelModels, year: number): Promise<number> {
    const empty = JSON.stringify(definition.empty());
    const figures = await aggregateYear(models, year, ALL_CODES, true);
    const kept = new Map([...figures].filter(([place, values]) => place === CITY || JSON.stringify(values) !== empty));
    await models.Figures.deleteMany({ year });
    await store(models, year, kept);
    return kept.size;
  }

  async function isBuilt(models: Models & ReadModelModels, year: number): Promise<boolean> {
    if (builtYearsOf(models).has(year)) return true;
    const built = (await models.Figures.exists({ _id: figuresKey(year, CITY) })) !== null;
    if (built) builtYearsOf(models).add(year);
    return built;
  }

  /**
   * Before a read: builds any year asked for that was never built, such as the new "next year" the graph
   * starts reporting on 1 January, whose figures may carry over from earlier years. Which years are built is
   * remembered per connection, so this costs a query only the first time a year is read.
   */
  async function ensureYearsBuilt(models: Models & ReadModelModels, years: readonly number[]): Promise<void> {
    for (const year of years) {
      if (await isBuilt(models, year)) continue;
      await models.Figures.db.transaction(async () => {
        if (!(await isBuilt(models, year))) await buildYear(models, year);
      });
      // Remembered only once committed: a transaction run again must not find the year marked built.
      builtYearsOf(models).add(year);
    }
  }

  const pillar: Pillar<Models, F> = {
    definition,

    loader(models, source) {
      return new DataLoader<string, F>(async (keys) => {
        if (source === 'read-model') {
          await ensureYearsBuilt(models, [...groupByYear(keys).keys()]);
          const docs = await models.Figures.find({ _id: { $in: [...keys] } }).lean<StoredFigures<F>[]>();
          const byKey = new Map(docs.map((doc) => [doc._id, doc.figures]));
          return keys.map((key) => byKey.get(key) ?? definition.empty());
        }
        const found = new Map<string, F>();
        for (const [year, { codes, city }] of groupByYear(keys)) {
          for (const [place, figures] of await aggregateYear(models, year, codes, city)) found.set(figuresKey(year, place), figures);
        }
        return keys.map((key) => found.get(key) ?? definition.empty());
      });
    },

    async figuresOf(context, place, year) {
      return { place, year, figures: await context.figures.load(figuresKey(year, place)) };
    },

    resolvers() {
      return {
        CityScorecard: {
          [field]: (scorecard: { year: number }, _args: unknown, context: PillarContext) =>
            pillar.figuresOf(context, CITY, scorecard.year),
        },
        KelurahanScorecard: {
          [field]: (scorecard: { kelurahanCode: string; year: number }, _args: unknown, context: PillarContext) =>
            pillar.figuresOf(context, scorecard.kelurahanCode, scorecard.year),
        },
        [typeName]: fieldResolvers(),
      };
    },

    fieldResolvers,

    async refresh(models, touched) {
      for (const [year, codes] of touched) {
        // A year never built yet (the first write of a new year) is built whole, or its other kelurahan
        // would read as empty while figures carried over from earlier years (loans still owed) say otherwise.
        const kelurahan = [...codes].filter(isKelurahanCode);
        if (!(await isBuilt(models, year))) await buildYear(models, year);
        else if (!definition.cityIsSumOfKelurahan && !definition.distinctCityFigures) {
          await store(models, year, await aggregateYear(models, year, kelurahan, true));
        } else {
          await store(models, year, await aggregateYear(models, year, kelurahan, false));
          const city = await sumOfKelurahan(models, year);
          if (definition.distinctCityFigures) Object.assign(city, await definition.distinctCityFigures(models, year));
          await store(models, year, new Map([[CITY, city]]));
        }
      }
    },

    async rebuild(models, years = reportedYears()) {
      let written = 0;
      for (const year of years) {
        written += await models.Figures.db.transaction(() => buildYear(models, year));
        builtYearsOf(models).add(year);
      }
      return written;
    },

    async check(models, years = reportedYears()) {
      // Compared as a reader sees it: a year never read yet is built as the first read would build it.
      await ensureYearsBuilt(models, years);
      const differences: FiguresDifference[] = [];
      for (const year of years) {
        const aggregated = await aggregateYear(models, year, ALL_CODES, true);
        const docs = await models.Figures.find({ year }).lean<StoredFigures<F>[]>();
        const stored = new Map(docs.map((doc) => [doc.place, doc.figures]));
        for (const [place, figures] of aggregated) {
          const kept = (stored.get(place) ?? definition.empty()) as Record<string, unknown>;
          for (const [figure, value] of Object.entries(figures)) {
            if (!sameValue(kept[figure], value)) differences.push({ year, place, figure, stored: kept[figure], aggregated: value });
          }
        }
      }
      return differences;
    },
  };
  return pillar;
}

/** Figures compare as numbers; null and undefined are one "no value". */
function sameValue(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return a === b;
}
