/**
 * Store benchmark: ops/s for the operations the indexes and the `$in` fix are for, each beside the same
 * work done by a full collection scan, over 50,000 members. It goes through the real wire protocol with the
 * `mongodb` driver (pass `--engine` to call the storage engine directly instead). Each measurement runs
 * for about a second, so the whole run stays well under a minute and exits by itself.
 */
import { ObjectId, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { Aggregator as StockAggregator, Query as StockQuery } from 'mingo';
import { createEngine } from '../engine/index';
import { startEmbeddedMongo } from '../index';

const MEMBERS = 50_000;
const KELURAHAN = 46;
const IN_IDS = 1_000;
const MEASURE_MS = 1_000;
/** Untimed runs before each measurement, so that neither side pays for JIT compilation or the other's garbage. */
const WARM_UP_MS = 200;
/** The issue's requirement for the `$in` row over the wire protocol. */
const IN_LIMIT_MS = 50;

/** The operations under test, implemented once over the wire and once over the engine. */
interface Target {
  label: string;
  insertMany(docs: Document[]): Promise<void>;
  createIndex(key: Document): Promise<void>;
  find(filter: Document, hint?: Document): Promise<Document[]>;
  insertOne(doc: Document): Promise<void>;
  aggregate(pipeline: Document[], hint?: Document): Promise<Document[]>;
  close(): Promise<void>;
}

async function wireTarget(): Promise<Target> {
  const store = await startEmbeddedMongo({ port: 0 });
  const client = await MongoClient.connect(store.uri);
  const members = client.db('bench').collection('members');
  return {
    label: `the mongodb driver over the wire protocol (${store.uri})`,
    async insertMany(docs) {
      for (let i = 0; i < docs.length; i += 1_000) await members.insertMany(docs.slice(i, i + 1_000));
    },
    async createIndex(key) {
      await members.createIndex(key);
    },
    find: (filter, hint) => members.find(filter, hint ? { hint } : {}).toArray(),
    async insertOne(doc) {
      await members.insertOne(doc);
    },
    aggregate: (pipeline, hint) => members.aggregate(pipeline, hint ? { hint } : {}).toArray(),
    async close() {
      await client.close();
      await store.stop();
    },
  };
}

function engineTarget(): Target {
  const engine = createEngine();
  return {
    label: 'the storage engine called directly (no wire protocol)',
    async insertMany(docs) {
      engine.insert('bench', 'members', docs, true);
    },
    async createIndex(key) {
      engine.createIndexes('bench', 'members', [{ key }]);
    },
    find: async (filter, hint) => engine.find('bench', 'members', { filter, hint }),
    async insertOne(doc) {
      const result = engine.insert('bench', 'members', [doc], true);
      if (result.writeErrors.length > 0) throw new Error(result.writeErrors[0].errmsg);
    },
    aggregate: async (pipeline, hint) => engine.aggregate('bench', 'members', pipeline, { hint }),
    close: async () => undefined,
  };
}

function member(i: number): Document {
  return { _id: new ObjectId(), code: `AGT-${String(i).padStart(6, '0')}`, kelurahan: `Kelurahan ${i % KELURAHAN}`, kg: (i % 97) / 4 };
}

interface Measurement {
  opsPerSecond: number;
  msPerOp: number;
}

/**
 * Runs an operation for about WARM_UP_MS untimed, then repeatedly for about MEASURE_MS (at least once), and
 * reports its rate. The store and its baseline are measured the same way, one right after the other.
 */
async function measure(operation: (iteration: number) => Promise<unknown>): Promise<Measurement> {
  let iterations = 0;
  const warmUpEnds = performance.now() + WARM_UP_MS;
  do await operation(iterations++);
  while (performance.now() < warmUpEnds);
  const started = performance.now();
  let elapsed = 0;
  do {
    await operation(iterations++);
    elapsed = performance.now() - started;
  } while (elapsed < MEASURE_MS);
  return { opsPerSecond: (iterations * 1000) / elapsed, msPerOp: elapsed / iterations };
}

function expectCount(docs: Document[], count: number, what: string): void {
  if (docs.length !== count) throw new Error(`${what}: expected ${count} documents, got ${docs.length}`);
}

const format = (m: Measurement) => `${m.opsPerSecond.toFixed(1).padStart(10)} ops/s ${m.msPerOp.toFixed(3).padStart(10)} ms/op`;

async function main(): Promise<void> {
  const useEngine = process.argv.includes('--engine');
  const target = useEngine ? engineTarget() : await wireTarget();
  console.log(`Embedded store benchmark: ${MEMBERS.toLocaleString('en')} members, through ${target.label}\n`);
  const docs = Array.from({ length: MEMBERS }, (_, i) => member(i));
  await target.insertMany(docs);
  await target.createIndex({ code: 1 });
  await target.createIndex({ kelurahan: 1 });

  const scan = { $natural: 1 };
  const pick = (i: number) => docs[(i * 7919) % MEMBERS];
  const inIds = docs.filter((_, i) => i % (MEMBERS / IN_IDS) === 0).map((d) => d._id);
  let inserted = 0;
  const groupPipeline = [{ $group: { _id: '$kelurahan', total: { $sum: '$kg' }, members: { $sum: 1 } } }];

  const rows: [string, string, Measurement, string, Measurement][] = [];
  rows.push([
    'findById',
    'find({_id}) by the _id index',
    await measure(async (i) => expectCount(await target.find({ _id: pick(i)._id }), 1, 'findById')),
    'same find, hint {$natural: 1} (full scan)',
    await measure(async (i) => expectCount(await target.find({ _id: pick(i)._id }, scan), 1, 'findById scan')),
  ]);
  rows.push([
    'insertOne',
    'insertOne (unique _id checked by index)',
    await measure(() => target.insertOne(member(MEMBERS + inserted++))),
    'scan for the code with $natural, then insertOne',
    await measure(async () => {
      const doc = member(MEMBERS + inserted++);
      expectCount(await target.find({ code: doc.code }, scan), 0, 'insert pre-check');
      await target.insertOne(doc);
    }),
  ]);
  rows.push([
    `$in ${IN_IDS} ids`,
    `find({_id: {$in: ${IN_IDS} ids}}) by the _id index`,
    await measure(async () => expectCount(await target.find({ _id: { $in: inIds } }), IN_IDS, '$in')),
    'same find, hint {$natural: 1} (full scan, prebuilt set)',
    await measure(async () => expectCount(await target.find({ _id: { $in: inIds } }, scan), IN_IDS, '$in scan')),
  ]);
  rows.push([
    'indexed equality',
    'find({code}) by the code_1 index',
    await measure(async (i) => expectCount(await target.find({ code: pick(i).code }), 1, 'equality')),
    'same find, hint {$natural: 1} (full scan)',
    await measure(async (i) => expectCount(await target.find({ code: pick(i).code }, scan), 1, 'equality scan')),
  ]);
  const matchGroup = [{ $match: { kelurahan: 'Kelurahan 7' } }, { $group: { _id: '$kg', members: { $sum: 1 } } }];
  const groups = new Set(docs.filter((d) => d.kelurahan === 'Kelurahan 7').map((d) => d.kg)).size;
  rows.push([
    '$match + $group',
    'aggregate([$match {kelurahan}, $group]) by kelurahan_1',
    await measure(async () => expectCount(await target.aggregate(matchGroup), groups, '$match $group')),
    'same aggregate, hint {$natural: 1} (full scan)',
    await measure(async () => expectCount(await target.aggregate(matchGroup, scan), groups, '$match $group scan')),
  ]);
  const stockGroup = new StockAggregator(groupPipeline, {});
  rows.push([
    `$group over ${MEMBERS.toLocaleString('en')}`,
    'aggregate([$group by kelurahan])',
    await measure(async () => expectCount(await target.aggregate(groupPipeline), KELURAHAN, '$group')),
    'stock mingo Aggregator over the raw array, in process',
    await measure(async () => expectCount(stockGroup.run(docs), KELURAHAN, 'stock $group')),
  ]);

  console.log(`${'operation'.padEnd(20)} ${'store'.padEnd(58)} ${'baseline'.padEnd(58)} speed-up`);
  for (const [name, storeLabel, store, baselineLabel, baseline] of rows) {
    console.log(`${name.padEnd(20)} ${storeLabel.padEnd(58)} ${baselineLabel.padEnd(58)}`);
    console.log(`${''.padEnd(20)} ${format(store).padEnd(58)} ${format(baseline).padEnd(58)} ${(store.opsPerSecond / baseline.opsPerSecond).toFixed(1)}x`);
  }

  // The problem the store's $in fixes: stock mingo rebuilds the $in set for every document it tests.
  // Kept small on purpose: on 50,000 documents the same query takes minutes.
  const small = docs.slice(0, 2_000);
  const smallIds = small.filter((_, i) => i % 4 === 0).map((d) => d._id);
  const started = performance.now();
  const stockMatches = new StockQuery({ _id: { $in: smallIds } }, {}).find(small).all();
  const stockMs = performance.now() - started;
  expectCount(stockMatches as Document[], smallIds.length, 'stock mingo $in');
  console.log(`\nStock mingo $in (the set rebuilt for every document), ${smallIds.length.toLocaleString('en')} ids over ${small.length.toLocaleString('en')} documents: ${stockMs.toFixed(0)} ms, one run, in process.`);
  console.log(`The store's $in, ${IN_IDS.toLocaleString('en')} ids over ${MEMBERS.toLocaleString('en')} documents: see the "$in" row above (both with the index and with a full scan).`);
  await target.close();
  checkIn(rows[2][2], rows[2][4], useEngine);
}

/** The issue's requirement: the indexed `$in` beats its full scan and, over the wire, answers in under 50 ms. */
function checkIn(indexed: Measurement, scan: Measurement, useEngine: boolean): void {
  const faster = indexed.msPerOp < scan.msPerOp;
  const inTime = useEngine || indexed.msPerOp < IN_LIMIT_MS;
  const verdict = faster && inTime ? 'met' : 'NOT met';
  console.log(
    `\nRequirement (indexed $in faster than its scan${useEngine ? '' : `, under ${IN_LIMIT_MS} ms over the wire`}): ${verdict}; ` +
      `${indexed.msPerOp.toFixed(1)} ms indexed, ${scan.msPerOp.toFixed(1)} ms scanned.`,
  );
  if (verdict !== 'met') process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
