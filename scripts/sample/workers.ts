import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import { basename, join } from 'node:path';
import type { Secrets } from '../../subgraphs/kit/agency';

/** What a worker (worker.ts) is asked to do, and what it answers. */
export type SampleJob =
  | { kind: 'write'; agency: string; directory: string; secrets: Secrets; figures: boolean }
  | { kind: 'figures'; agency: string; directory: string; uri: string };
export type SampleAnswer = { agency: string; written?: boolean; years?: number[]; error?: string };

export interface SampleWriting {
  /** The agencies whose sample to write, each into `<root>/<agency>`; those without sample data are passed over. */
  agencies: readonly string[];
  root: string;
  secrets: Secrets;
  /** Whether each sample holds its read model too (see saveSample). */
  figures: boolean;
}

/**
 * Child processes that write the agencies' sample data as closed data directories (saveSample), as many at once as
 * the machine has cores, each taking the next agency when it is done: the work is CPU-bound, and one process would
 * leave every core but one idle. The launcher's first start and the test suite's global setup use them.
 */
export class SampleWorkers {
  private readonly children: ChildProcess[] = [];

  /** `worker`: how to run worker.ts, as Node's arguments ending with the script (compiled, or the source through tsx). */
  constructor(private readonly worker: readonly string[]) {}

  /**
   * Writes the samples and resolves with the directories written, in the order asked for. Each agency is written
   * beside its final directory, then renamed into place: a run stopped half-way, or two at once, never leave a
   * directory that looks complete and is not.
   */
  async write({ agencies, root, secrets, figures }: SampleWriting): Promise<string[]> {
    const written = new Set<string>();
    await this.run(agencies, async (child, agency) => {
      const partial = join(root, `${agency}.${process.pid}.partial`);
      rmSync(partial, { recursive: true, force: true });
      const answer = await ask(child, { kind: 'write', agency, directory: partial, secrets, figures });
      if (!answer.written) return;
      written.add(agency);
      try {
        renameSync(partial, join(root, agency));
      } catch (error) {
        // Another run put the same sample in place first.
        if (!existsSync(join(root, agency))) throw error;
        rmSync(partial, { recursive: true, force: true });
      }
    });
    return agencies.filter((agency) => written.has(agency)).map((agency) => join(root, agency));
  }

  /**
   * For samples written without their figures and since loaded into the store at `uri`: builds each agency's read
   * model from its directory, in the workers, at the lowest priority (they yield the cores to whatever else runs),
   * and copies each year into that store unless it was built there meanwhile (copyFigures). Resolves with the years
   * copied per agency.
   */
  async copyFigures(directories: readonly string[], uri: string): Promise<Map<string, number[]>> {
    const copied = new Map<string, number[]>();
    await this.run(directories, async (child, directory) => {
      const agency = basename(directory);
      lowerPriority(child);
      copied.set(agency, (await ask(child, { kind: 'figures', agency, directory, uri })).years ?? []);
    });
    return copied;
  }

  /** Stops the workers. */
  close(): void {
    for (const child of this.children.splice(0)) child.kill();
  }

  /** Runs one job per item across the workers, starting them when first needed. */
  private async run<T>(items: readonly T[], job: (child: ChildProcess, item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    const lanes = Math.min(availableParallelism(), items.length);
    while (this.children.length < lanes) this.children.push(this.start());
    await Promise.all(
      this.children.slice(0, lanes).map(async (child) => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await job(child, item);
      }),
    );
  }

  private start(): ChildProcess {
    const script = this.worker.at(-1) as string;
    // A larger young generation: seeding makes millions of short-lived objects, and collecting them often is dear.
    const execArgv = ['--max-semi-space-size=64', ...this.worker.slice(0, -1)];
    return fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
}

function lowerPriority(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) setPriority(child.pid, 19);
  } catch {
    // Some systems refuse it; the work is the same, only less polite.
  }
}

/** Sends a worker one job and resolves with its answer. */
function ask(child: ChildProcess, job: SampleJob): Promise<SampleAnswer> {
  return new Promise((resolve, reject) => {
    const what = job.kind === 'write' ? `seeding the sample data of ${job.agency}` : `building the figures of ${job.agency}`;
    const exited = (code: number | null) => reject(new Error(`the process ${what} exited (code ${code}) before it was done`));
    child.once('exit', exited);
    child.once('message', (answer: SampleAnswer) => {
      child.off('exit', exited);
      if (answer.error) reject(new Error(`${what} failed: ${answer.error}`));
      else resolve(answer);
    });
    child.send(job);
  });
}
