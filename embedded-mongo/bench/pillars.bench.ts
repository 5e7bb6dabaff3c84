/**
 * Pillar benchmark: every agency's scorecard aggregation over its seeded sample data, through mongoose over the wire
 * protocol. What it times is the application's own function, the `aggregate` of the agency's pillar definition
 * (definePillar, subgraphs/kit/pillar.ts), called as the read model calls it: for the city (the city-year refreshed
 * inside every write's transaction), for one kelurahan (the kelurahan-year a write touched) and for all 46 kelurahan
 * at once (a year's rebuild). A change to an agency's aggregation therefore shows here without the benchmark changing.
 *
 *   npx tsx embedded-mongo/bench/pillars.bench.ts [--year 2024] [--data-dir DIR] [--only tax,health]
 *                                                 [--each-lever] [--baseline-store PATH] [--quick]
 *
 * The agencies measured are those that define a pillar (`--only` narrows them). It seeds each of them through the
 * application's own kit (seedDatabase), or reuses a data directory seeded by an earlier run (`--data-dir`, about three
 * times faster to start). Each aggregation is timed warm: two untimed runs, then at least five timed runs (three with
 * `--quick`), reporting the median wall time and the mean CPU time of the process (client and store share it; on a
 * busy machine the CPU time is the steadier figure). Every row is measured outside a transaction and inside one that
 * has first written a document to each of the agency's collections, so that every collection the aggregation reads
 * carries a write of the transaction, as after a write (whose read-model refresh runs inside its transaction).
 * Two finds and counts that the store's tests use to pick records are timed as well, over the tax reports.
 *
 * Columns: "general" is the store with every fast path switched off (engine/levers.ts), "fast" with all on. The
 * figures each column computes are compared with the first column's, place by place and figure by figure, exactly (as
 * the read model's own check compares them), and any difference is reported. `--each-lever` adds one column per fast
 * path switched off on its own (what that lever is worth). `--baseline-store PATH` also measures another build of the
 * store (an `index.ts` exporting startEmbeddedMongo, e.g. the last commit's, extracted with `git archive`). At the end
 * it times cloneDatabase on each agency's database.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import mongoose, { type Connection, type Model } from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index';
import { GENERAL_PATH, LEVER_NAMES, levers, setLevers, type Levers } from '../engine/levers';
import { DEFINITIONS, loadDefinition } from '../../subgraphs/definitions';
import { connectAgencyDatabase } from '../../subgraphs/kit/database';
import type { Pillar, Places } from '../../subgraphs/kit/pillar';
import { readModelModels } from '../../subgraphs/kit/readModel';
import { seedDatabase } from '../../subgraphs/kit/seeding';
import { KELURAHAN } from '../../subgraphs/kit/reference/kelurahan';

/** Where figures are wanted: the city, one kelurahan (the refresh after a write), or every kelurahan (a rebuild). */
type Scope = 'city' | 'kelurahan' | 'all kelurahan';
const SCOPES: Scope[] = ['city', 'kelurahan', 'all kelurahan'];
const ALL_CODES = KELURAHAN.map((kelurahan) => kelurahan.code);

interface Options {
  year: number;
  dataDir?: string;
  /** The agencies asked for, or null for every agency that defines a pillar. */
  only: Set<string> | null;
  eachLever: boolean;
  baselineStore?: string;
  quick: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = value('--only');
  return {
    year: Number(value('--year') ?? 2024),
    dataDir: value('--data-dir'),
    only: only ? new Set(only.split(',')) : null,
    eachLever: argv.includes('--each-lever'),
    baselineStore: value('--baseline-store'),
    quick: argv.includes('--quick'),
  };
}

/** The agencies to measure: those asked for, or every registered one that defines a pillar. */
async function pillarAgencies(only: Set<string> | null): Promise<string[]> {
  const names = only ? [...only] : Object.keys(DEFINITIONS);
  const agencies: string[] = [];
  for (const name of names) {
    const definition = await loadDefinition(name);
    if (definition.pillar) agencies.push(name);
    else if (only) throw new Error(`${name} defines no pillar: there is nothing of it to measure`);
  }
  return agencies;
}

/** One agency's models, as the application builds them: its own and the read model's. */
type Models = Record<string, Model<any>>;

/** The collection of one of the agency's models, found by name so that renaming a model does not break the benchmark. */
function byCollection(models: Models, name: string): Model<any> {
  const found = Object.values(models).find((model) => model.collection.collectionName === name);
  if (!found) throw new Error(`no model over the collection ${name}; the benchmark's picks need updating`);
  return found;
}

/** A measured row besides the pillars: what it runs, given the agency's models and the year. */
interface Pick {
  agency: string;
  label: string;
  run(models: Models, year: number): Promise<unknown>;
}

/** The finds and counts the store's tests use to pick records, over the largest collection. */
const PICKS: Pick[] = [
  {
    agency: 'tax',
    label: 'find {} {_id: 1} lean',
    run: (models) => byCollection(models, 'tax_reports').find({}, { _id: 1 }).lean(),
  },
  {
    agency: 'tax',
    label: 'countDocuments(period range)',
    run: (models, year) => byCollection(models, 'tax_reports').countDocuments({ period: { $gte: `${year}-01`, $lte: `${year}-12` } }),
  },
];

/** A timing: median wall milliseconds and mean CPU milliseconds of the process per run. */
interface Timing {
  wall: number;
  cpu: number;
}

/** Runs an operation twice untimed, then at least `minRuns` times and for at least `minMs`, at most 40 times. */
async function time(operation: () => Promise<unknown>, quick: boolean): Promise<Timing> {
  const minRuns = quick ? 3 : 5;
  const minMs = quick ? 100 : 300;
  await operation();
  await operation();
  const walls: number[] = [];
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  while (walls.length < minRuns || (performance.now() - started < minMs && walls.length < 40)) {
    const t = performance.now();
    await operation();
    walls.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpuStart);
  walls.sort((a, b) => a - b);
  return { wall: walls[walls.length >> 1], cpu: (cpu.user + cpu.system) / 1000 / walls.length };
}

class Abort extends Error {}

/**
 * Times an operation inside a transaction that has first written to one document of each of the agency's own
 * collections (a field nothing reads), as a write's refresh runs after its write; the transaction is then aborted.
 */
async function timeInTransaction(agency: Connected, operation: () => Promise<unknown>, quick: boolean): Promise<Timing> {
  const samples: { model: Model<any>; id: unknown }[] = [];
  for (const model of agency.written) {
    const sample = await model.findOne({}, { _id: 1 }).lean<{ _id: unknown }>();
    if (sample) samples.push({ model, id: sample._id });
  }
  let timing: Timing | undefined;
  try {
    await agency.connection.transaction(async (session) => {
      for (const { model, id } of samples) {
        await model.collection.updateOne({ _id: id as never }, { $set: { benchmarkTouchedAt: new Date() } }, { session });
      }
      timing = await time(operation, quick);
      throw new Abort();
    });
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
  }
  return timing as Timing;
}

const placesOf = (scope: Scope): Places => (scope === 'city' ? null : scope === 'kelurahan' ? [ALL_CODES[7]] : ALL_CODES);

/**
 * A result as lines to compare between columns: a figures map gives one line per place and figure, sorted by place;
 * any other result one line per row, sorted (the general path may return rows in another order).
 */
function resultLines(result: unknown): string[] {
  if (result instanceof Map) {
    return [...result.keys()]
      .sort()
      .flatMap((place) => Object.entries(result.get(place) as object).map(([figure, value]) => `${place} ${figure} ${JSON.stringify(value)}`));
  }
  return (Array.isArray(result) ? result : [result]).map((row) => JSON.stringify(row)).sort();
}

/** What differs between two results' lines, briefly: the first line of each side that the other lacks. */
function difference(expected: string[], actual: string[]): string | undefined {
  const [expectedSet, actualSet] = [new Set(expected), new Set(actual)];
  const missing = expected.filter((line) => !actualSet.has(line));
  const extra = actual.filter((line) => !expectedSet.has(line));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const more = missing.length + extra.length > 2 ? ` (${missing.length} lines only in the first, ${extra.length} only in this one)` : '';
  return `expected ${missing[0] ?? 'nothing more'}, got ${extra[0] ?? 'nothing'}${more}`;
}

interface Row {
  agency: string;
  label: string;
  scope: Scope | '';
  columns: Map<string, { outside: Timing; inside: Timing }>;
  mismatch?: string;
}

interface Connected {
  agency: string;
  pillar: Pillar<Models, object>;
  connection: Connection;
  /** The agency's models and the read model's, as the application passes them to its pillar. */
  models: Models;
  /** One model per collection of the agency's own, which a transaction writes to before a row runs inside it. */
  written: Model<any>[];
}

async function connectAll(uri: string, agencies: string[]): Promise<Connected[]> {
  const connected: Connected[] = [];
  for (const agency of agencies) {
    const definition = await loadDefinition(agency);
    if (!definition.pillar) throw new Error(`${agency} defines no pillar`);
    const connection = await connectAgencyDatabase(agency, uri);
    const own = definition.models(connection) as Models;
    const written = [...new Map(Object.values(own).map((model) => [model.collection.collectionName, model])).values()];
    connected.push({ agency, pillar: definition.pillar, connection, models: { ...own, ...readModelModels(connection) }, written });
  }
  return connected;
}

/** Starts a store (this build or another), seeded with every agency's sample data unless the data directory has it. */
async function startSeeded(start: typeof startEmbeddedMongo, options: Options, agencies: string[]): Promise<EmbeddedMongo> {
  const started = performance.now();
  const store = await start({ port: 0, dataDir: options.dataDir, log: () => {} });
  for (const agency of agencies) {
    // Any 32+ character secret will do: it only keys the pseudonymous resident ids of the sample data.
    await seedDatabase(await loadDefinition(agency), store.uri, { residentIdSecret: `bench-${randomBytes(16).toString('hex')}` });
  }
  console.log(`store ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${options.dataDir ? `data directory ${options.dataDir}` : 'in memory, seeded'})`);
  return store;
}

/** Measures every row under one configuration of the store (a column), adding the timings to the rows. */
async function measureColumn(column: string, connected: Connected[], rows: Map<string, Row>, options: Options, check: Map<string, string[]>): Promise<void> {
  for (const agency of connected) {
    const { definition } = agency.pillar;
    const { models } = agency;
    const entries: { label: string; scope: Scope | ''; run: () => Promise<unknown> }[] = SCOPES.map((scope) => {
      const places = placesOf(scope);
      return { label: `${definition.field} pillar: aggregate`, scope, run: () => definition.aggregate(models, options.year, places) };
    });
    for (const pick of PICKS.filter((entry) => entry.agency === agency.agency)) {
      entries.push({ label: pick.label, scope: '', run: () => pick.run(models, options.year) });
    }
    for (const entry of entries) {
      const key = `${agency.agency}|${entry.label}|${entry.scope}`;
      const row: Row = rows.get(key) ?? { agency: agency.agency, label: entry.label, scope: entry.scope, columns: new Map() };
      rows.set(key, row);
      const result = resultLines(await entry.run());
      const expected = check.get(key);
      if (expected === undefined) check.set(key, result);
      else {
        const differs = difference(expected, result);
        if (differs && !row.mismatch) row.mismatch = `${column}: ${differs}`;
      }
      const outside = await time(entry.run, options.quick);
      const inside = await timeInTransaction(agency, entry.run, options.quick);
      row.columns.set(column, { outside, inside });
    }
  }
}

const ms = (t: Timing | undefined) => (t ? `${t.wall.toFixed(1)}/${t.cpu.toFixed(1)}`.padStart(13) : ''.padStart(13));

function printTable(rows: Map<string, Row>, columns: string[]): void {
  console.log('\nmilliseconds per aggregation, warm: median wall / mean CPU; "in txn" = inside a transaction that wrote first\n');
  const header = ['agency'.padEnd(12), 'aggregation'.padEnd(32), 'scope'.padEnd(14)];
  for (const column of columns) header.push(column.padStart(13), `${column} in txn`.padStart(13));
  console.log(header.join(' '));
  const mismatches: string[] = [];
  for (const row of rows.values()) {
    const cells = [row.agency.padEnd(12), row.label.padEnd(32), row.scope.padEnd(14)];
    for (const column of columns) {
      const timing = row.columns.get(column);
      cells.push(ms(timing?.outside), ms(timing?.inside));
    }
    console.log(cells.join(' ') + (row.mismatch ? '  RESULT MISMATCH' : ''));
    if (row.mismatch) mismatches.push(`${row.agency} ${row.label} ${row.scope}: ${row.mismatch}`);
  }
  console.log(mismatches.length === 0 ? '\nevery column computed the same results' : `\nresult mismatches, against the first column:\n${mismatches.join('\n')}`);
}

/**
 * cloneDatabase (an extension of the embedded store, for tests): how long a copy of each agency's database takes
 * over the wire, and what the first and the next write to its largest collection cost (the first one takes private
 * copies of the maps the copy shares with its source). Each write deletes a document: like an insert it changes every
 * index of the collection, but no unique index can refuse it. The copies are dropped afterwards.
 */
async function measureClones(connected: Connected[], uri: string): Promise<void> {
  const client = await MongoClient.connect(uri);
  try {
    console.log('\ncloneDatabase: milliseconds over the wire (the copy, then its first and second write, a delete, to its largest collection)\n');
    for (const { agency, connection } of connected) {
      const source = connection.db as Db;
      const stats = await source.stats();
      const collections = await source.listCollections().toArray();
      let largest = { name: '', count: -1 };
      for (const { name } of collections) {
        const count = await source.collection(name).estimatedDocumentCount();
        if (count > largest.count) largest = { name, count };
      }
      const target = `${source.databaseName}_bench_copy`;
      const started = performance.now();
      await client.db('admin').command({ cloneDatabase: source.databaseName, to: target });
      const cloned = performance.now() - started;
      const write = async () => {
        const t = performance.now();
        await client.db(target).collection(largest.name).deleteOne({});
        return performance.now() - t;
      };
      const first = await write();
      const second = await write();
      await client.db(target).dropDatabase();
      console.log(
        `${agency.padEnd(12)} ${String(stats.objects).padStart(8)} documents in ${String(stats.collections).padStart(2)} collections: ` +
          `clone ${cloned.toFixed(1)} ms; first write to ${largest.name} ${first.toFixed(1)} ms, second ${second.toFixed(1)} ms`,
      );
    }
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const agencies = await pillarAgencies(options.only);
  console.log(`Pillar benchmark: ${agencies.join(', ')}, year ${options.year}, kelurahan ${ALL_CODES[7]} for the one-kelurahan scope`);
  const rows = new Map<string, Row>();
  const check = new Map<string, string[]>();
  const columns: string[] = [];

  const store = await startSeeded(startEmbeddedMongo, options, agencies);
  const connected = await connectAll(store.uri, agencies);
  try {
    const configurations: [string, Partial<Levers>][] = [['general', GENERAL_PATH], ['fast', {}]];
    if (options.eachLever) for (const name of LEVER_NAMES) configurations.push([`no ${name}`.slice(0, 13), { [name]: false }]);
    for (const [column, changes] of configurations) {
      const restore = setLevers({ ...Object.fromEntries(LEVER_NAMES.map((name) => [name, true])), ...changes });
      try {
        console.log(`measuring: ${column} (${LEVER_NAMES.filter((name) => levers[name]).join(', ') || 'no fast path'})`);
        await measureColumn(column, connected, rows, options, check);
        columns.push(column);
      } finally {
        restore();
      }
    }
    await measureClones(connected, store.uri);
  } finally {
    for (const { connection } of connected) await connection.close();
    await store.stop();
  }

  if (options.baselineStore) {
    const other = (await import(options.baselineStore)) as { startEmbeddedMongo: typeof startEmbeddedMongo };
    const baseline = await startSeeded(other.startEmbeddedMongo, options, agencies);
    const baselineConnections = await connectAll(baseline.uri, agencies);
    try {
      console.log(`measuring: baseline (${options.baselineStore})`);
      await measureColumn('baseline', baselineConnections, rows, options, check);
      columns.unshift('baseline');
    } finally {
      for (const { connection } of baselineConnections) await connection.close();
      await baseline.stop();
    }
  }
  printTable(rows, columns);
  await mongoose.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
