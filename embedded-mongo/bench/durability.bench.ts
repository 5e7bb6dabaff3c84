/**
 * Durability benchmark: what a data directory costs. Seeds resident-like documents (300,000 by default, DOCUMENTS=n
 * for another count) with insertMany in chunks of 5,000, as the application does at first start, into the in-memory
 * store and into a store with a data directory; then measures a snapshot, a start-up from the snapshot, a start-up
 * from the journal alone (as after a crash before any compaction), and the latency of single acknowledged writes.
 * Each phase runs in its own function, so that the previous phase's store is garbage before the next one starts.
 * CPU time is reported beside wall time: on a busy machine it is the steadier measure of the work done.
 *
 *   npx tsx embedded-mongo/bench/durability.bench.ts
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ObjectId, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index';

const DOCUMENTS = Number(process.env.DOCUMENTS ?? 300_000);
const CHUNK = 5_000;
const SINGLE_WRITES = 300;
const KELURAHAN = Array.from({ length: 46 }, (_, i) => `35.71.0${1 + (i % 3)}.${String(1001 + i)}`);

function resident(i: number): Document {
  return {
    _id: new ObjectId(),
    nik: `3571${String(i).padStart(12, '0')}`,
    name: `Warga Kediri ${i}`,
    kelurahanCode: KELURAHAN[i % KELURAHAN.length],
    birthDate: new Date(1950 + (i % 60), i % 12, 1 + (i % 28)),
    gender: i % 2 === 0 ? 'L' : 'P',
    address: { street: `Jl. Brawijaya No. ${i % 300}`, rt: `00${i % 9}`, rw: `00${i % 7}` },
    household: `KK-${Math.floor(i / 4)}`,
    tags: i % 5 === 0 ? ['bpjs', 'pkh'] : ['bpjs'],
    income: (i % 97) * 125_000,
    updatedAt: new Date(1_700_000_000_000 + i * 1000),
  };
}

interface Timing {
  wall: number;
  cpu: number;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; timing: Timing }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const used = process.cpuUsage(cpu);
  return { result, timing: { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 } };
}

const show = ({ wall, cpu }: Timing) => `${wall.toFixed(0).padStart(7)} ms wall ${cpu.toFixed(0).padStart(7)} ms cpu`;

async function seed(store: EmbeddedMongo, docs: Document[]): Promise<Timing> {
  const client = await MongoClient.connect(store.uri);
  try {
    const residents = client.db('kediri').collection('residents');
    await residents.createIndexes([{ key: { nik: 1 }, unique: true }, { key: { kelurahanCode: 1, _id: 1 } }]);
    const { timing } = await timed(async () => {
      for (let i = 0; i < docs.length; i += CHUNK) await residents.insertMany(docs.slice(i, i + CHUNK));
    });
    return timing;
  } finally {
    await client.close();
  }
}

/** Sequential single inserts: each waits for its reply, which with a data directory waits for its sync. */
async function singleWrites(store: EmbeddedMongo): Promise<number> {
  const client = await MongoClient.connect(store.uri);
  try {
    const log = client.db('kediri').collection('log');
    await log.insertOne({ warmup: true });
    const started = performance.now();
    for (let i = 0; i < SINGLE_WRITES; i++) await log.insertOne({ i, at: new Date() });
    return (performance.now() - started) / SINGLE_WRITES;
  } finally {
    await client.close();
  }
}

async function inMemory(docs: Document[]): Promise<{ seed: Timing; single: number }> {
  const store = await startEmbeddedMongo({ port: 0, log: () => {} });
  try {
    return { seed: await seed(store, docs), single: await singleWrites(store) };
  } finally {
    await store.stop();
  }
}

/** Seeds a data directory, leaves a copy of it as a crash would (journal only), then writes a snapshot. */
async function withDataDirectory(docs: Document[], dataDir: string, crashCopy: string) {
  const store = await startEmbeddedMongo({ port: 0, dataDir, compactAfterBytes: 2 ** 40, log: () => {} });
  try {
    const seeded = await seed(store, docs);
    await cp(dataDir, crashCopy, { recursive: true, filter: (source) => !source.endsWith('.lock') });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const { result: snapshot, timing: snapshotTiming } = await timed(() => store.compact());
    delay.disable();
    return { seed: seeded, snapshot, snapshotTiming, stall: delay.max / 1e6, single: await singleWrites(store) };
  } finally {
    await store.stop();
  }
}

/** Seeding with the default compaction threshold, so a snapshot is written while the load goes on. */
async function withCompaction(docs: Document[], dataDir: string): Promise<Timing> {
  const store = await startEmbeddedMongo({ port: 0, dataDir, log: () => {} });
  try {
    return await seed(store, docs);
  } finally {
    await store.stop();
  }
}

async function startFrom(dataDir: string): Promise<{ timing: Timing; what: string }> {
  const { result: store, timing } = await timed(() => startEmbeddedMongo({ port: 0, dataDir, log: () => {} }));
  const what = `${store.recovery?.snapshot ?? 'no snapshot'}, ${store.recovery?.journalRecords} journal records`;
  await store.stop();
  return { timing, what };
}

async function main(): Promise<void> {
  console.log(`Durability benchmark: ${DOCUMENTS.toLocaleString('en')} documents, insertMany in chunks of ${CHUNK.toLocaleString('en')}\n`);
  const docs = Array.from({ length: DOCUMENTS }, (_, i) => resident(i));
  const directories: string[] = [];
  const directory = async () => {
    const made = await mkdtemp(path.join(os.tmpdir(), 'embedded-mongo-bench-'));
    directories.push(made);
    return made;
  };
  try {
    const memory = await inMemory(docs);
    const dataDir = await directory();
    const crashed = await directory();
    const durable = await withDataDirectory(docs, dataDir, crashed);
    const fromJournal = await startFrom(crashed);
    const fromSnapshot = await startFrom(dataDir);
    const compacting = await withCompaction(docs, await directory());

    const ratio = (timing: Timing) => `${(timing.wall / memory.seed.wall).toFixed(2)}x wall, ${(timing.cpu / memory.seed.cpu).toFixed(2)}x cpu`;
    console.log('bulk insert (insertMany, chunks of 5,000)');
    console.log(`  in memory                            ${show(memory.seed)}`);
    console.log(`  data directory, journal only         ${show(durable.seed)}  (${ratio(durable.seed)})`);
    console.log(`  data directory, snapshot meanwhile   ${show(compacting)}  (${ratio(compacting)})`);
    console.log('single acknowledged insertOne, sequential');
    console.log(`  in memory                            ${memory.single.toFixed(3).padStart(7)} ms`);
    console.log(`  data directory (fdatasync)           ${durable.single.toFixed(3).padStart(7)} ms`);
    console.log(`snapshot of everything: ${((durable.snapshot?.bytes ?? 0) / 1024 / 1024).toFixed(1)} MiB, ${durable.snapshot?.documents} documents`);
    console.log(`  written in                           ${show(durable.snapshotTiming)}  (longest event-loop stall meanwhile ${durable.stall.toFixed(0)} ms)`);
    console.log('start-up');
    console.log(`  from the snapshot                    ${show(fromSnapshot.timing)}  (${fromSnapshot.what})`);
    console.log(`  from the journal alone               ${show(fromJournal.timing)}  (${fromJournal.what})`);
  } finally {
    for (const made of directories) await rm(made, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
