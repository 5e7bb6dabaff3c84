import type { Connection } from 'mongoose';
import { conflict } from '../../platform/errors';
import type { WriteUnitOutcome } from '../../platform/metrics';
import type { Pillar, TouchedPlaces } from './pillar';
import { bumpDataVersion, type ReadModelModels } from './readModel';

/**
 * Every write of an agency is one unit of work: one MongoDB transaction holding the records it changes,
 * the read model's figures those records feed, and the agency's data version. Either all of it commits or
 * none of it does, on the embedded store and on a MongoDB replica set alike; no mutation undoes by hand.
 *
 * Inside the unit, mongoose passes the transaction's session to every model operation by itself (the
 * `transactionAsyncLocalStorage` option, set in database.ts). MongoDB forbids parallel operations in one
 * transaction, so a unit awaits each operation in turn: no Promise.all inside it.
 */
export interface WriteUnit {
  /**
   * Says that this write changes the figures of a kelurahan in these years. Before the unit commits, the
   * kit recomputes those kelurahan-years, and the city's figures of the same years, from the raw records
   * the transaction sees.
   */
  figuresChanged(kelurahanCode: string, years: number | readonly number[]): void;
}

export interface WriteUnitDeps<Models> {
  agency: string;
  connection: Connection;
  models: Models & ReadModelModels;
  pillar?: Pillar<Models, any>;
  /** Told each unit's outcome, and each time a unit's work runs again (the metrics count them). */
  observe?: (outcome: WriteUnitOutcome) => void;
}

/**
 * How many times a unit runs when a unique index refuses one of its writes. A duplicate key inside a unit
 * means a concurrent request won a race (two retries of one request, two staff filing the same report):
 * running the unit again lets it find the winner and answer as a retry does, or refuse with CONFLICT.
 */
const DUPLICATE_KEY_ATTEMPTS = 3;

/**
 * The ceiling of the pause before a unit's second run, doubled for each run after it, up to MAX_RETRY_PAUSE_MS. A
 * unit runs again because another unit holds what it writes until that one commits; running again at once only
 * meets the holder again (twenty identical requests at once, racing without a pause or a turn, each ran their whole
 * work up to fifteen times).
 */
const FIRST_RETRY_PAUSE_MS = 5;
const MAX_RETRY_PAUSE_MS = 100;

/** A random pause (full jitter) under the run's ceiling: units that met one holder do not all come back together. */
function pauseBeforeRun(run: number): Promise<void> {
  const ceiling = Math.min(MAX_RETRY_PAUSE_MS, FIRST_RETRY_PAUSE_MS * 2 ** (run - 2));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Every unit that raises the agency's data version writes that one document, so two such units that overlap in
 * time never both commit: one meets the other's write and runs its whole work again. A process therefore runs its
 * own such units one after another, in the order they came, per database connection. Units of other processes
 * (replicas of the subgraph) still meet as write conflicts, which the pause and the driver's retries settle; units
 * that leave the data version as it is (the audit log's entries) run side by side. A unit never starts another.
 */
const queues = new WeakMap<object, Promise<void>>();

async function inTurn<T>(queue: object, run: () => Promise<T>): Promise<T> {
  const before = queues.get(queue) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  queues.set(queue, before.then(() => turn));
  await before;
  try {
    return await run();
  } finally {
    done();
  }
}

export interface WriteUnitOptions {
  /**
   * Whether the write changes what public and dashboard callers can read (true unless said): such a write
   * raises the agency's data version, which drops the gateway's cached answers behind it. The audit log's
   * entries, which no cached answer shows, say false.
   */
  changesPublicData?: boolean;
}

/**
 * Runs `work` as one all-or-nothing unit, in its turn (see inTurn); write conflicts between concurrent units are
 * retried by the driver. Every run of `work` after the first, whether the driver retried a conflict or a duplicate
 * key sent the unit round again, is reported as "retried" and comes after a pause (pauseBeforeRun); the unit ends
 * "committed" or "failed".
 */
export async function runWriteUnit<Models, T>(
  deps: WriteUnitDeps<Models>,
  work: (unit: WriteUnit) => Promise<T>,
  options: WriteUnitOptions = {},
): Promise<T> {
  let runs = 0;
  const run = () =>
    runUnitAttempts(deps, work, options, async () => {
      runs += 1;
      if (runs === 1) return;
      deps.observe?.('retried');
      await pauseBeforeRun(runs);
    });
  try {
    const result = await (options.changesPublicData === false ? run() : inTurn(deps.connection, run));
    deps.observe?.('committed');
    return result;
  } catch (error) {
    deps.observe?.('failed');
    throw error;
  }
}

/** The runs of one unit: again, up to DUPLICATE_KEY_ATTEMPTS times, while a unique index refuses one of its writes. */
async function runUnitAttempts<Models, T>(
  deps: WriteUnitDeps<Models>,
  work: (unit: WriteUnit) => Promise<T>,
  options: WriteUnitOptions,
  onRun: () => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.connection.transaction(async () => {
        // Before the transaction's first command, so that a pause holds nothing on the server.
        await onRun();
        const touched: TouchedPlaces = new Map();
        const result = await work({
          figuresChanged(kelurahanCode, years) {
            for (const year of typeof years === 'number' ? [years] : years) {
              const places = touched.get(year) ?? new Set<string>();
              places.add(kelurahanCode);
              touched.set(year, places);
            }
          },
        });
        if (deps.pillar && touched.size > 0) await deps.pillar.refresh(deps.models, touched);
        if (options.changesPublicData !== false) await bumpDataVersion(deps.models, deps.agency);
        return result;
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      if (attempt >= DUPLICATE_KEY_ATTEMPTS) {
        throw conflict('Another request wrote the same record at the same moment, again and again; try once more.');
      }
    }
  }
}

/**
 * MongoDB's duplicate-key error, raised when a unique index refuses a write; with `field`, only when that
 * field is part of the refusing index.
 */
export function isDuplicateKey(error: unknown, field?: string): boolean {
  const e = error as { code?: unknown; keyPattern?: Record<string, unknown>; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.code !== 11000) return false;
  if (!field) return true;
  if (e.keyPattern) return field in e.keyPattern;
  return typeof e.message === 'string' && e.message.includes(field);
}

/**
 * The one rule of idempotency keys. A request that carries a key stores it with the record it creates, under
 * a unique index (`addIdempotencyKey`, or the agency's own); a later request with the same key is a retry of
 * the first and gets the first record back, unless it asks for something else, which is a CONFLICT naming
 * the key. Call it inside the unit, before writing.
 */
export async function earlierResult<T>(
  model: { findOne(filter: object): { lean<R>(): PromiseLike<R | null> } },
  idempotencyKey: string,
  sameRequest: (earlier: T) => boolean,
  field = 'idempotencyKey',
): Promise<T | undefined> {
  const earlier = await model.findOne({ idempotencyKey }).lean<T>();
  if (earlier === null) return undefined;
  if (!sameRequest(earlier)) {
    throw conflict(`The idempotency key "${idempotencyKey}" was already used for a different request; use a new key for a new request.`, field);
  }
  return earlier;
}
