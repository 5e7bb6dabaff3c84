import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { seededRandom, startChildStore } from './child';
import { EMBEDDED } from './target';

/**
 * The store as a child process with a data directory, killed with SIGKILL at seeded random moments while a stream of
 * writes is in flight: single inserts and updates, and transactions that touch two documents. After each restart
 * every acknowledged write must be there, and every transaction wholly there or wholly absent. A small compaction
 * threshold makes snapshots happen (and be interrupted) during the run too. CRASH_SEED repeats a run.
 */
const SEED = Number(process.env.CRASH_SEED ?? 20250611);
const KILLS = 3;
const WORKERS = 6;
const START_BALANCE = 1000;

interface Ledger {
  /** Acknowledged single inserts: id to value. */
  singles: Map<string, number>;
  /** Singles whose update was acknowledged. */
  updated: Set<string>;
  /** Two-document transactions, attempted and acknowledged. */
  pairsTried: Set<string>;
  pairs: Set<string>;
  /** Transfers between two accounts (a transaction of two updates and an insert). */
  transfers: Set<string>;
  /** Whether the two accounts have been created (and acknowledged). */
  accounts: boolean;
}

const directories: string[] = [];

afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

async function verify(db: Db, ledger: Ledger, when: string): Promise<void> {
  const singles = new Map((await db.collection('singles').find().toArray()).map((doc) => [String(doc._id), doc]));
  for (const [id, value] of ledger.singles) {
    expect(singles.get(id)?.v, `acknowledged insert ${id} ${when}`).toBe(value);
  }
  for (const id of ledger.updated) expect(singles.get(id)?.updated, `acknowledged update of ${id} ${when}`).toBe(true);

  const left = new Set((await db.collection('pairs_left').find().toArray()).map((doc) => String(doc._id)));
  const right = new Set((await db.collection('pairs_right').find().toArray()).map((doc) => String(doc._id)));
  for (const id of ledger.pairsTried) expect(left.has(id), `both halves of transaction ${id} or neither, ${when}`).toBe(right.has(id));
  for (const id of ledger.pairs) expect(left.has(id), `acknowledged transaction ${id} ${when}`).toBe(true);
  for (const id of left) expect(ledger.pairsTried.has(id), `no transaction ${id} that was never attempted`).toBe(true);

  if (!ledger.accounts) return;
  const accounts = new Map((await db.collection('accounts').find().toArray()).map((doc) => [doc._id as unknown as string, doc.balance as number]));
  const transfers = new Set((await db.collection('transfers').find().toArray()).map((doc) => String(doc._id)));
  expect((accounts.get('a') ?? 0) + (accounts.get('b') ?? 0), `money is neither made nor lost ${when}`).toBe(START_BALANCE);
  expect(accounts.get('b'), `each transfer's insert and updates together ${when}`).toBe(transfers.size);
  for (const id of ledger.transfers) expect(transfers.has(id), `acknowledged transfer ${id} ${when}`).toBe(true);
}

/** Runs writers until `target` writes are acknowledged, then kills the store while the others are still in flight. */
async function writeUntilKilled(client: MongoClient, random: () => number, round: number, ledger: Ledger, target: number, kill: () => void): Promise<number> {
  const db = client.db('crash');
  let acknowledged = 0;
  let killed = false;
  const acknowledge = () => {
    acknowledged++;
    if (acknowledged >= target && !killed) {
      killed = true;
      kill();
    }
  };
  const worker = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const id = `r${round}-w${w}-${i}`;
      const choice = random();
      if (choice < 0.45) {
        await db.collection('singles').insertOne({ _id: id as never, v: i });
        ledger.singles.set(id, i);
      } else if (choice < 0.6 && ledger.singles.size > 0) {
        const ids = [...ledger.singles.keys()];
        const target = ids[Math.floor(random() * ids.length)];
        await db.collection('singles').updateOne({ _id: target as never }, { $set: { updated: true } });
        ledger.updated.add(target);
      } else if (choice < 0.8) {
        ledger.pairsTried.add(id);
        await client.withSession((session) =>
          session.withTransaction(async () => {
            await db.collection('pairs_left').insertOne({ _id: id as never }, { session });
            await db.collection('pairs_right').insertOne({ _id: id as never }, { session });
          }),
        );
        ledger.pairs.add(id);
      } else {
        await client.withSession((session) =>
          session.withTransaction(async () => {
            await db.collection('accounts').updateOne({ _id: 'a' as never }, { $inc: { balance: -1 } }, { session });
            await db.collection('accounts').updateOne({ _id: 'b' as never }, { $inc: { balance: 1 } }, { session });
            await db.collection('transfers').insertOne({ _id: id as never }, { session });
          }),
        );
        ledger.transfers.add(id);
      }
      acknowledge();
    }
  };
  await Promise.allSettled(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return acknowledged;
}

describe.runIf(EMBEDDED)('durability across kill -9 (embedded store)', () => {
  it(`keeps every acknowledged write and no partial transaction (seed ${SEED})`, { timeout: 60_000 }, async () => {
    const random = seededRandom(SEED);
    const directory = await mkdtemp(path.join(os.tmpdir(), 'embedded-mongo-crash-'));
    directories.push(directory);
    const ledger: Ledger = { singles: new Map(), updated: new Set(), pairsTried: new Set(), pairs: new Set(), transfers: new Set(), accounts: false };
    const flags = ['--port', '0', '--data-dir', directory, '--compact-after-bytes', String(8 * 1024)];
    let total = 0;
    for (let round = 0; round <= KILLS; round++) {
      const store = await startChildStore(flags);
      const client = await MongoClient.connect(store.uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
      try {
        await verify(client.db('crash'), ledger, `after restart ${round}`);
        if (round === 0) {
          await client.db('crash').collection('accounts').insertMany([{ _id: 'a' as never, balance: START_BALANCE }, { _id: 'b' as never, balance: 0 }]);
          ledger.accounts = true;
        }
        if (round === KILLS) {
          // A clean stop writes the shutdown snapshot; the next start loads it alone.
          await client.close();
          store.process.kill('SIGTERM');
          expect(await store.exited).toBe(0);
          const again = await startChildStore(flags);
          const reader = await MongoClient.connect(again.uri);
          try {
            await verify(reader.db('crash'), ledger, 'after a clean stop and restart');
            expect(again.output()).toMatch(/documents from snapshot-\d+\.bson, 0 journal records replayed/);
          } finally {
            await reader.close();
            again.process.kill('SIGTERM');
            await again.exited;
          }
          break;
        }
        const target = 60 + Math.floor(random() * 120);
        total += await writeUntilKilled(client, random, round, ledger, target, () => {
          store.process.kill('SIGKILL');
          // The in-flight operations fail once the store is gone; closing the client makes them fail at once, rather
          // than after the driver's retries (a transaction retries network errors for up to two minutes).
          void store.exited.then(() => client.close(true));
        });
      } finally {
        await client.close(true).catch(() => undefined);
      }
      expect(await store.exited).toBe('SIGKILL');
    }
    expect(total).toBeGreaterThan(KILLS * 60);
    expect(ledger.pairs.size + ledger.transfers.size).toBeGreaterThan(0);
  });
});
