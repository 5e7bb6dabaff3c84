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

export class OpCounters {
  private readonly values: OpCounterValues = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };

  add(counter: OpCounterName, amount = 1): void {
    this.values[counter] += amount;
  }

  snapshot(): OpCounterValues {
    return { ...this.values };
  }
}
