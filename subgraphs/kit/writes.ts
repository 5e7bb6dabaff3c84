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

export interface WriteUnitOptions {
  /**
   * Whether the write changes what public and dashboard callers can read (true unless said): such a write
   * raises the agency's data version, which drops the gateway's cached answers behind it. The audit log's
   * entries, which no cached answer shows, say false.
   */
  changesPublicData?: boolean;
}

/**
 * Runs `work` as one all-or-nothing unit; write conflicts between concurrent units are retried by the driver.
 * Every run of `work` after the first, whether the driver retried a conflict or a duplicate key sent the unit
 * round again, is reported as "retried"; the unit ends "committed" or "failed".
 */
export async function runWriteUnit<Models, T>(
  deps: WriteUnitDeps<Models>,
  work: (unit: WriteUnit) => Promise<T>,
  options: WriteUnitOptions = {},
): Promise<T> {
  let runs = 0;
  try {
    const result = await runUnitAttempts(deps, work, options, () => {
      runs += 1;
      if (runs > 1) deps.observe?.('retried');
    });
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
  onRun: () => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.connection.transaction(async () => {
        onRun();
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
