/**
 * Runs the steps that share a key one at a time in this process. A check-then-write (is the balance
 * enough? is the loan still owed?) is only sound if no other write for the same key slips between the
 * check and the write; without transactions (the embedded store has none) this is how the agency keeps
 * it so. It holds within one instance of a subgraph; replicas would need a database transaction instead.
 */
const queues = new Map<string, Promise<unknown>>();

export async function oneAtATime<T>(key: string, step: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(step);
  queues.set(key, run);
  try {
    return await run;
  } finally {
    if (queues.get(key) === run) queues.delete(key);
  }
}
