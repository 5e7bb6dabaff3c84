import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Secrets } from '../../subgraphs/kit/agency';

export interface SampleSeeding {
  /** The agencies whose sample to write, each into `<root>/<agency>`; those without sample data are passed over. */
  agencies: readonly string[];
  root: string;
  secrets: Secrets;
  /** How to run worker.ts: Node's arguments, ending with the script (compiled, or the source through tsx). */
  worker: readonly string[];
}

/**
 * Writes the agencies' sample data as closed data directories (see saveSample) and resolves with those written,
 * in child processes, as many at
 * once as the machine has cores, each taking the next agency when it is done: seeding is CPU-bound, and one
 * process would leave every core but one idle. Each agency is written beside its final directory, then renamed
 * into place: a run stopped half-way, or two at once, never leave a directory that looks complete and is not.
 * The launcher's first start and the test suite's global setup use it.
 */
export async function seedSamples({ agencies, root, secrets, worker }: SampleSeeding): Promise<string[]> {
  const queue = [...agencies];
  const written: string[] = [];
  const script = worker.at(-1) as string;
  // A larger young generation: seeding makes millions of short-lived objects, and collecting them often is dear.
  const execArgv = ['--max-semi-space-size=64', ...worker.slice(0, -1)];
  const lane = async () => {
    if (queue.length === 0) return;
    const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      for (let agency = queue.shift(); agency !== undefined; agency = queue.shift()) {
        const partial = join(root, `${agency}.${process.pid}.partial`);
        rmSync(partial, { recursive: true, force: true });
        if (!(await seedIn(child, agency, partial, secrets))) continue;
        written.push(agency);
        try {
          renameSync(partial, join(root, agency));
        } catch (error) {
          // Another run put the same sample in place first.
          if (!existsSync(join(root, agency))) throw error;
          rmSync(partial, { recursive: true, force: true });
        }
      }
    } finally {
      child.kill();
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), agencies.length) }, lane));
  // In the order asked for, whichever lane wrote them.
  return agencies.filter((agency) => written.includes(agency)).map((agency) => join(root, agency));
}

/** Has the child write one agency's sample; resolves whether it had any. */
function seedIn(child: ChildProcess, agency: string, directory: string, secrets: Secrets): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`the process seeding ${agency} exited (code ${code}) before it was done`));
    child.once('exit', exited);
    child.once('message', (answer: { agency: string; written?: boolean; error?: string }) => {
      child.off('exit', exited);
      if (answer.error) reject(new Error(`seeding the sample data of ${agency} failed: ${answer.error}`));
      else resolve(answer.written === true);
    });
    child.send({ agency, directory, secrets });
  });
}
