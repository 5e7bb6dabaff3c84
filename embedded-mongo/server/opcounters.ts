/**
 * Operation counters shaped as mongod's `serverStatus.opcounters`. mongod counts write commands by the documents
 * or statements they carry (an insert of 3 documents adds 3 to `insert`, an update with 2 statements adds 2 to
 * `update`), each find command once under `query`, each getMore under `getmore`, and every other command, including
 * aggregate, count, distinct, findAndModify and hello, under `command`. Test suites subtract two readings to count
 * database round trips, so the shape and the rules must match mongod's.
 */
export interface OpCounterValues {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

export type OpCounterName = keyof OpCounterValues;

/**
 * Per-command totals shaped as mongod's `serverStatus.metrics.commands.<name>`: `{ total, failed }`. They
 * let a test count the commands that touch data (find, aggregate, getMore, ...) apart from the driver's
 * background `hello` heartbeats, which `opcounters.command` mixes in.
 */
export type CommandMetrics = Record<string, { total: number; failed: number }>;

export class OpCounters {
  private readonly values: OpCounterValues = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };
  private readonly commands: CommandMetrics = {};

  add(counter: OpCounterName, amount = 1): void {
    this.values[counter] += amount;
  }

  /** Counts one command by name, and whether it failed. */
  recordCommand(name: string, failed: boolean): void {
    const entry = (this.commands[name] ??= { total: 0, failed: 0 });
    entry.total += 1;
    if (failed) entry.failed += 1;
  }

  commandMetrics(): CommandMetrics {
    return Object.fromEntries(Object.entries(this.commands).map(([name, entry]) => [name, { ...entry }]));
  }

  snapshot(): OpCounterValues {
    return { ...this.values };
  }
}
