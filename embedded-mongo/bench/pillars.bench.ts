/**
 * Pillar benchmark: the agencies' scorecard aggregations over their real sample data, through mongoose over the wire
 * protocol, as the read model runs them (for one kelurahan-year and the city-year inside every write's transaction,
 * and for every kelurahan when it is rebuilt).
 *
 *   npx tsx embedded-mongo/bench/pillars.bench.ts [--year 2024] [--data-dir DIR] [--only tax,health]
 *                                                 [--each-lever] [--baseline-store PATH] [--quick]
 *
 * It seeds every agency through the application's own kit (seedDatabase), or reuses a data directory seeded by an
 * earlier run (`--data-dir`, about three times faster to start). Each aggregation is timed warm: two untimed runs,
 * then at least five timed runs, reporting the median wall time and the mean CPU time of the process (client and
 * store share it; on a busy machine the CPU time is the steadier figure). Every row is measured outside a transaction
 * and inside one that has just written a document to the collection, as a write's read-model refresh does.
 *
 * Columns: "general" is the store with every fast path switched off (engine/levers.ts), "fast" with all on; the
 * results of the two are compared and any difference is reported. `--each-lever` adds one column per fast path
 * switched off on its own (what that lever is worth). `--baseline-store PATH` also measures another build of the store
 * (an `index.ts` exporting startEmbeddedMongo, e.g. the last commit's, extracted with `git archive`). At the end it
 * times cloneDatabase on each agency's database.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import mongoose, { type Connection, type Model, type PipelineStage } from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index';
import { GENERAL_PATH, LEVER_NAMES, levers, setLevers, type Levers } from '../engine/levers';
import { loadDefinition } from '../../subgraphs/definitions';
import { connectAgencyDatabase } from '../../subgraphs/kit/database';
import { seedDatabase } from '../../subgraphs/kit/seeding';
import { yearRange } from '../../subgraphs/kit/calendar';
import { KELURAHAN } from '../../subgraphs/kit/reference/kelurahan';
import { APPROVED_STATUSES } from '../../subgraphs/branding/rules';

const AGENCIES = ['tax', 'health', 'environment', 'education', 'economy', 'branding'] as const;
type Agency = (typeof AGENCIES)[number];

/** Where figures are wanted: the city, one kelurahan (the refresh after a write), or every kelurahan (a rebuild). */
type Scope = 'city' | 'kelurahan' | 'all kelurahan';
const SCOPES: Scope[] = ['city', 'kelurahan', 'all kelurahan'];
const ALL_CODES = KELURAHAN.map((kelurahan) => kelurahan.code);

interface Options {
  year: number;
  dataDir?: string;
  only: Set<string>;
  eachLever: boolean;
  baselineStore?: string;
  quick: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    year: Number(value('--year') ?? 2024),
    dataDir: value('--data-dir'),
    only: new Set((value('--only') ?? AGENCIES.join(',')).split(',')),
    eachLever: argv.includes('--each-lever'),
    baselineStore: value('--baseline-store'),
    quick: argv.includes('--quick'),
  };
}

/** One agency's models, found by collection name so that renaming a model does not break the benchmark. */
type Models = { byCollection(name: string): Model<any>; all: Record<string, Model<any>> };

/** What one measured row runs, given the agency's models, the year and the places. */
interface Aggregation {
  agency: Agency;
  label: string;
  /** The collection a transaction writes to before the aggregation runs inside it. */
  collection: string;
  run(models: Models, year: number, places: string[] | null): Promise<unknown>;
}

/** Runs a pipeline on a collection, as the agency's code does (`Model.aggregate`). */
const aggregate = (models: Models, collection: string, pipeline: PipelineStage[], batchSize?: number) => {
  const query = models.byCollection(collection).aggregate(pipeline);
  return (batchSize ? query.option({ batchSize }) : query).exec();
};

const inPlaces = (places: string[] | null) => (places ? { kelurahanCode: { $in: places } } : {});
const groupBy = (places: string[] | null) => (places ? '$kelurahanCode' : null);

/**
 * The agencies' figure aggregations, stage for stage as their code builds them (subgraphs/tax/pillar.ts,
 * health/loaders.ts livingFigures, environment/indicators.ts, education/society.ts, economy/indicators.ts,
 * branding/loaders.ts aggregateTotals). An agency that defines a pillar is also measured through its own
 * `pillar.aggregate`, so that a change in its code shows in the "pillar" row even before this list follows it.
 */
const CATALOGUE: Aggregation[] = [
  {
    agency: 'tax',
    label: 'reports',
    collection: 'tax_reports',
    run: (models, year, places) =>
      aggregate(models, 'tax_reports', [
        { $match: { ...inPlaces(places), period: { $gte: `${year}-01`, $lte: `${year}-12` }, status: { $ne: 'draft' } } },
        {
          $group: {
            _id: { group: groupBy(places), taxpayerId: '$taxpayerId' },
            filed: { $sum: 1 },
            onTime: { $sum: { $cond: [{ $eq: ['$filedOnTime', true] }, 1, 0] } },
            taxDue: { $sum: '$taxDue' },
          },
        },
        {
          $group: {
            _id: '$_id.group',
            reportsFiled: { $sum: '$filed' },
            onTime: { $sum: '$onTime' },
            taxDue: { $sum: '$taxDue' },
            activeTaxpayers: { $sum: 1 },
          },
        },
      ]),
  },
  {
    agency: 'tax',
    label: 'payments',
    collection: 'tax_payments',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'tax_payments', [
        { $match: { ...inPlaces(places), paidAt: { $gte: start, $lt: end } } },
        { $group: { _id: groupBy(places), taxRevenue: { $sum: '$amount' } } },
      ]);
    },
  },
  {
    agency: 'health',
    label: 'visits',
    collection: 'visits',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'visits', [
        { $match: { ...inPlaces(places), visitedAt: { $gte: start, $lt: end } } },
        { $group: { _id: { place: groupBy(places), patient: '$patientResidentId' }, visits: { $sum: 1 } } },
        { $group: { _id: '$_id.place', patients: { $sum: 1 }, visits: { $sum: '$visits' } } },
      ]);
    },
  },
  {
    agency: 'health',
    label: 'response hours',
    collection: 'visits',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'visits', [
        { $match: { ...inPlaces(places), requestReceivedAt: { $gte: start, $lt: end } } },
        { $group: { _id: '$requestId', place: { $first: groupBy(places) }, hours: { $min: '$responseHours' } } },
        { $group: { _id: '$place', hours: { $push: '$hours' } } },
      ]);
    },
  },
  {
    agency: 'health',
    label: 'requests',
    collection: 'requests',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'requests', [
        { $match: { ...inPlaces(places), receivedAt: { $gte: start, $lt: end } } },
        { $group: { _id: groupBy(places), requests: { $sum: 1 } } },
      ]);
    },
  },
  {
    agency: 'environment',
    label: 'waste banks',
    collection: 'waste_banks',
    run: (models, year, places) =>
      aggregate(models, 'waste_banks', [
        { $match: { ...inPlaces(places), establishedAt: { $lt: yearRange(year).end } } },
        { $group: { _id: groupBy(places), n: { $sum: 1 } } },
      ]),
  },
  {
    agency: 'environment',
    label: 'active banks',
    collection: 'waste_banks',
    run: (models, year, places) => {
      const { end } = yearRange(year);
      return aggregate(models, 'waste_banks', [
        {
          $match: {
            ...inPlaces(places),
            establishedAt: { $lt: end },
            activePeriods: { $elemMatch: { from: { $lt: end }, $or: [{ until: null }, { until: { $gte: end } }] } },
          },
        },
        { $group: { _id: groupBy(places), n: { $sum: 1 } } },
      ]);
    },
  },
  {
    agency: 'environment',
    label: 'members',
    collection: 'members',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'members', [
        { $match: { ...inPlaces(places), joinedAt: { $lt: end }, $or: [{ leftAt: null }, { leftAt: { $gte: start } }] } },
        { $group: { _id: { kelurahanCode: groupBy(places), residentId: '$residentId' } } },
        { $group: { _id: '$_id.kelurahanCode', n: { $sum: 1 } } },
      ]);
    },
  },
  {
    agency: 'environment',
    label: 'deposits',
    collection: 'deposits',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'deposits', [
        { $match: { ...inPlaces(places), depositedAt: { $gte: start, $lt: end } } },
        { $group: { _id: groupBy(places), n: { $sum: 1 }, kg: { $sum: '$totalKg' }, value: { $sum: '$totalValue' } } },
      ]);
    },
  },
  {
    agency: 'education',
    label: 'spots',
    collection: 'spots',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'spots', [
        { $match: { ...inPlaces(places), openedOn: { $lt: end } } },
        { $unwind: '$statusHistory' },
        { $match: { 'statusHistory.since': { $lt: end } } },
        { $sort: { _id: 1, 'statusHistory.since': 1 } },
        {
          $group: {
            _id: '$_id',
            kelurahanCode: { $first: '$kelurahanCode' },
            status: { $last: '$statusHistory.status' },
            since: { $last: '$statusHistory.since' },
          },
        },
        {
          $group: {
            _id: groupBy(places),
            existing: { $sum: { $cond: [{ $or: [{ $ne: ['$status', 'closed'] }, { $gte: ['$since', start] }] }, 1, 0] } },
            active: { $sum: { $cond: [{ $eq: ['$status', 'active'] }, 1, 0] } },
          },
        },
      ]);
    },
  },
  {
    agency: 'education',
    label: 'classes',
    collection: 'classes',
    run: (models, year, places) =>
      aggregate(models, 'classes', [
        { $match: { ...inPlaces(places), year } },
        { $group: { _id: groupBy(places), classes: { $sum: 1 }, tutorIds: { $addToSet: '$tutorId' } } },
        { $project: { classes: 1, tutors: { $size: '$tutorIds' } } },
      ]),
  },
  {
    agency: 'education',
    label: 'enrolments',
    collection: 'enrolments',
    run: (models, year, places) =>
      aggregate(models, 'enrolments', [
        { $match: { ...inPlaces(places), year } },
        { $group: { _id: groupBy(places), enrolments: { $sum: 1 }, participantIds: { $addToSet: '$participantId' } } },
        { $project: { enrolments: 1, participants: { $size: '$participantIds' } } },
      ]),
  },
  {
    agency: 'economy',
    label: 'disbursed',
    collection: 'loans',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'loans', [
        { $match: { ...inPlaces(places), disbursedAt: { $gte: start, $lt: end } } },
        {
          $group: {
            _id: groupBy(places),
            loans: { $sum: 1 },
            principal: { $sum: '$principal' },
            principalTimesRate: { $sum: { $multiply: ['$principal', '$ratePercent'] } },
          },
        },
      ]);
    },
  },
  {
    agency: 'economy',
    label: 'applications',
    collection: 'applications',
    run: (models, year, places) => {
      const { start, end } = yearRange(year);
      return aggregate(models, 'applications', [
        { $match: { ...inPlaces(places), submittedAt: { $gte: start, $lt: end } } },
        { $group: { _id: groupBy(places), applications: { $sum: 1 } } },
      ]);
    },
  },
  {
    agency: 'economy',
    label: 'repaid per loan',
    collection: 'repayments',
    run: (models, year, places) =>
      aggregate(
        models,
        'repayments',
        [{ $match: { ...inPlaces(places), paidAt: { $lt: yearRange(year).end } } }, { $group: { _id: '$loanId', repaid: { $sum: '$amount' } } }],
        100_000,
      ),
  },
  {
    agency: 'economy',
    label: 'loan schedules (find)',
    collection: 'loans',
    run: (models, year, places) =>
      models
        .byCollection('loans')
        .find({ ...inPlaces(places), disbursedAt: { $lt: yearRange(year).end } }, { kelurahanCode: 1, 'instalments.dueDate': 1, 'instalments.amount': 1 })
        .batchSize(100_000)
        .lean(),
  },
  ...(['rt_budgets', 'proposals', 'realizations'] as const).map(
    (collection): Aggregation => ({
      agency: 'branding',
      label: collection.replace('_', ' '),
      collection,
      run(models, year, places) {
        const match = places ? { kelurahanCode: { $in: places }, year: { $in: [year] } } : { year: { $in: [year] } };
        const groupId = places ? { kelurahanCode: '$kelurahanCode', year: '$year' } : '$year';
        const totals: Record<string, PipelineStage.Group['$group']> = {
          rt_budgets: { _id: groupId, ceiling: { $sum: '$ceiling' }, count: { $sum: 1 } },
          proposals: { _id: groupId, count: { $sum: 1 }, approved: { $sum: { $cond: [{ $in: ['$status', APPROVED_STATUSES] }, '$amount', 0] } } },
          realizations: { _id: groupId, realized: { $sum: '$amountSpent' } },
        };
        return aggregate(models, collection, [{ $match: match }, { $group: totals[collection] }]);
      },
    }),
  ),
];

/** The finds and counts tests use to pick records, over the largest collection. */
const PICKS: Aggregation[] = [
  {
    agency: 'tax',
    label: 'find {} {_id: 1} lean',
    collection: 'tax_reports',
    run: (models) => models.byCollection('tax_reports').find({}, { _id: 1 }).lean(),
  },
  {
    agency: 'tax',
    label: 'countDocuments(period range)',
    collection: 'tax_reports',
    run: (models, year) => models.byCollection('tax_reports').countDocuments({ period: { $gte: `${year}-01`, $lte: `${year}-12` } }),
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
 * Times an operation inside a transaction that has first written to one document of the collection (a field no
 * aggregation reads), as a write's refresh runs after its write; the transaction is then aborted.
 */
async function timeInTransaction(connection: Connection, models: Models, collection: string, operation: () => Promise<unknown>, quick: boolean): Promise<Timing> {
  let timing: Timing | undefined;
  const model = models.byCollection(collection);
  const sample = await model.findOne({}).lean<Record<string, unknown>>();
  try {
    await connection.transaction(async (session) => {
      if (sample) await model.collection.updateOne({ _id: sample._id as never }, { $set: { benchmarkTouchedAt: new Date() } }, { session });
      timing = await time(operation, quick);
      throw new Abort();
    });
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
  }
  return timing as Timing;
}

const placesOf = (scope: Scope): string[] | null => (scope === 'city' ? null : scope === 'kelurahan' ? [ALL_CODES[7]] : ALL_CODES);

/**
 * A canonical text of a result, to check that the fast paths answer what the general path answers. The general path
 * walks an index in index order where the fast path reads the same documents in natural order, so the order of rows,
 * of values `$push` gathered and of floating-point additions may differ: rows and lists of plain values are sorted,
 * and numbers rounded to 12 significant digits.
 */
function fingerprint(result: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (typeof value === 'number') return Number(value.toPrecision(12));
    if (Array.isArray(value)) {
      const items = value.map(canonical);
      return items.every((item) => typeof item !== 'object' || item === null) ? items.sort() : items;
    }
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, canonical(item)]));
    }
    return value;
  };
  const rows = Array.isArray(result) ? result.map((row) => JSON.stringify(canonical(row))) : [JSON.stringify(canonical(result))];
  return rows.sort().join('\n');
}

interface Row {
  agency: string;
  label: string;
  scope: Scope | '';
  columns: Map<string, { outside: Timing; inside: Timing }>;
  mismatch?: string;
}

interface Connected {
  agency: Agency;
  connection: Connection;
  models: Models;
  /** The agency's own figures through its pillar, when it defines one. */
  pillar?: (year: number, places: string[] | null) => Promise<unknown>;
}

async function connectAll(uri: string, agencies: Agency[]): Promise<Connected[]> {
  const connected: Connected[] = [];
  for (const agency of agencies) {
    const definition = await loadDefinition(agency);
    const connection = await connectAgencyDatabase(agency, uri);
    const all = definition.models(connection) as Record<string, Model<any>>;
    const models: Models = {
      all,
      byCollection(name) {
        const found = Object.values(all).find((model) => model.collection.collectionName === name);
        if (!found) throw new Error(`${agency}: no model over the collection ${name}; the benchmark's catalogue needs updating`);
        return found;
      },
    };
    const pillar = definition.pillar;
    connected.push({
      agency,
      connection,
      models,
      pillar: pillar ? (year, places) => pillar.definition.aggregate(all, year, places) : undefined,
    });
  }
  return connected;
}

/** Starts a store (this build or another), seeded with every agency's sample data unless the data directory has it. */
async function startSeeded(start: typeof startEmbeddedMongo, options: Options, agencies: Agency[]): Promise<EmbeddedMongo> {
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
async function measureColumn(column: string, connected: Connected[], rows: Map<string, Row>, options: Options, check: Map<string, string>): Promise<void> {
  for (const { agency, connection, models, pillar } of connected) {
    const entries: { label: string; collection: string; run: (places: string[] | null) => Promise<unknown>; scopes: (Scope | '')[] }[] = [];
    const own = CATALOGUE.filter((entry) => entry.agency === agency);
    if (pillar) entries.push({ label: 'pillar.aggregate (its own code)', collection: own[0].collection, run: (places) => pillar(options.year, places), scopes: SCOPES });
    entries.push({
      label: 'all of the above, in turn',
      collection: own[0].collection,
      run: async (places) => {
        for (const entry of own) await entry.run(models, options.year, places);
      },
      scopes: SCOPES,
    });
    for (const entry of own) entries.push({ label: entry.label, collection: entry.collection, run: (places) => entry.run(models, options.year, places), scopes: SCOPES });
    for (const entry of PICKS.filter((pick) => pick.agency === agency)) {
      entries.push({ label: entry.label, collection: entry.collection, run: () => entry.run(models, options.year, null), scopes: [''] });
    }
    for (const entry of entries) {
      for (const scope of entry.scopes) {
        const places = scope === '' ? null : placesOf(scope);
        const key = `${agency}|${entry.label}|${scope}`;
        const row: Row = rows.get(key) ?? { agency, label: entry.label, scope, columns: new Map() };
        rows.set(key, row);
        const result = fingerprint(await entry.run(places));
        const expected = check.get(key);
        if (expected === undefined) check.set(key, result);
        else if (expected !== result && !row.mismatch) row.mismatch = `${column} differs from the first column`;
        const outside = await time(() => entry.run(places), options.quick);
        const inside = await timeInTransaction(connection, models, entry.collection, () => entry.run(places), options.quick);
        row.columns.set(column, { outside, inside });
      }
    }
  }
}

const ms = (t: Timing | undefined) => (t ? `${t.wall.toFixed(1)}/${t.cpu.toFixed(1)}`.padStart(13) : ''.padStart(13));

function printTable(rows: Map<string, Row>, columns: string[]): void {
  console.log('\nmilliseconds per aggregation, warm: median wall / mean CPU; "in txn" = inside a transaction that wrote first\n');
  const header = ['agency'.padEnd(12), 'aggregation'.padEnd(32), 'scope'.padEnd(14)];
  for (const column of columns) header.push(column.padStart(13), `${column} in txn`.padStart(13));
  console.log(header.join(' '));
  for (const row of rows.values()) {
    const cells = [row.agency.padEnd(12), row.label.padEnd(32), row.scope.padEnd(14)];
    for (const column of columns) {
      const timing = row.columns.get(column);
      cells.push(ms(timing?.outside), ms(timing?.inside));
    }
    console.log(cells.join(' ') + (row.mismatch ? `  RESULT MISMATCH: ${row.mismatch}` : ''));
  }
}

/**
 * cloneDatabase (an embedded-store extension the test suite uses): how long a copy of each agency's database takes
 * over the wire, and what the first and the next write to its largest collection cost (the first one takes private
 * copies of the maps the copy shares with its source). The copies are dropped afterwards.
 */
async function measureClones(connected: Connected[], uri: string): Promise<void> {
  const client = await MongoClient.connect(uri);
  try {
    console.log('\ncloneDatabase: milliseconds over the wire (the copy, then its first and second write to its largest collection)\n');
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
        await client.db(target).collection(largest.name).insertOne({ benchmarkCopy: true });
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
  const agencies = AGENCIES.filter((agency) => options.only.has(agency));
  console.log(`Pillar benchmark: ${agencies.join(', ')}, year ${options.year}, kelurahan ${ALL_CODES[7]} for the one-kelurahan scope`);
  const rows = new Map<string, Row>();
  const check = new Map<string, string>();
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
