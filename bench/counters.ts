import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { dataCommandsOf } from '../subgraphs/kit/testing';

/**
 * What the benchmark counts around each measured window, read before and after it: CPU time of the
 * processes (from /proc), the GraphQL requests that reached the subgraphs (from the counting subgraph
 * entry), and the data commands the store served (serverStatus.metrics.commands, mongod's own counters).
 */

/** Clock ticks per second of /proc's utime and stime (`getconf CLK_TCK`, 100 on nearly every Linux). */
export const CLOCK_TICKS_PER_SECOND: number = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU time of one process, in clock ticks; 0 when it is gone or /proc is missing. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 (utime) and 15 (stime) of proc(5); fields[0] is field 3.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** A client of the benchmark's own to the store, only for serverStatus. */
export class StoreCounter {
  private constructor(private readonly client: MongoClient) {}

  static async connect(uri: string): Promise<StoreCounter> {
    // One connection and patient timeouts: under W1 the store is the busiest process on the machine and may
    // take seconds to answer, which must not fail the benchmark (or open more connections to it).
    return new StoreCounter(
      await MongoClient.connect(uri, { maxPoolSize: 1, serverSelectionTimeoutMS: 120_000, connectTimeoutMS: 120_000, socketTimeoutMS: 0 }),
    );
  }

  /** Data commands served so far (find, getMore, aggregate, count, distinct, insert, update, delete, findAndModify). */
  async dataCommands(): Promise<number> {
    return dataCommandsOf(await this.client.db('admin').command({ serverStatus: 1 }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
