import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Child processes of the benchmark: each one started in its own process group with its output in a log
 * file, tracked here so that every exit path (normal end, Ctrl-C, failure) can stop all of them, and given
 * an IPC channel so that even a benchmark killed with SIGKILL leaves nothing behind: a child whose parent
 * disappears sees the channel close and stops itself (see ORPHAN_GUARD).
 */
export interface ChildSpec {
  /** Short name for messages and the log file, e.g. "tax" or "gateway". */
  name: string;
  /** Arguments after the Node executable, e.g. ['--import', 'tsx', 'gateway/main.ts']. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The line that says the process is listening; its first capture group is the URL. */
  readyLine: RegExp;
  /** How long to wait for the ready line (seeding the sample data takes ~30 s on two cores). */
  timeoutMs: number;
  logDir: string;
}

export interface Child {
  name: string;
  pid: number;
  url: string;
  logPath: string;
  process: ChildProcess;
  /** Sends a message over the IPC channel and resolves with the first reply of the same id. */
  ask<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** SIGTERM to its process group, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Preloaded into every child through `--import`: when the benchmark's IPC channel closes (the benchmark
 * ended or was killed), the child sends itself SIGTERM so its own shutdown runs, and exits hard if that
 * takes more than 10 s. A data: URL keeps it out of the project's files and works under tsx and under
 * compiled JavaScript alike.
 */
export const ORPHAN_GUARD =
  'data:text/javascript,' +
  encodeURIComponent(
    "process.on('disconnect',()=>{setTimeout(()=>process.exit(1),10000).unref();process.kill(process.pid,'SIGTERM');});",
  );

const running = new Set<Child>();

export class StartError extends Error {
  override name = 'StartError';
}

/** The last lines of a log file, for a failure message. */
export function tailOf(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((line) => `    ${line}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid addresses the whole process group the child leads (it was spawned detached).
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Starts a Node process and resolves once it prints its ready line; rejects with its log tail otherwise. */
export function startChild(spec: ChildSpec): Promise<Child> {
  const logPath = join(spec.logDir, `${spec.name}.log`);
  const log: WriteStream = createWriteStream(logPath, { flags: 'a' });
  // A late line after the log was closed must not take the benchmark down.
  log.on('error', () => {});
  const processHandle = spawn(process.execPath, ['--import', ORPHAN_GUARD, ...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    // Its own process group, so Ctrl-C in the terminal reaches only the benchmark, which then stops the
    // children in order (gateways, subgraphs, store) instead of all at once.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  processHandle.stdout!.pipe(log, { end: false });
  processHandle.stderr!.pipe(log, { end: false });
  const pid = processHandle.pid ?? -1;

  let nextId = 1;
  const waiting = new Map<number, (reply: unknown) => void>();
  processHandle.on('message', (message: { id?: number }) => {
    const resolve = message && typeof message.id === 'number' ? waiting.get(message.id) : undefined;
    if (resolve) {
      waiting.delete(message.id!);
      resolve(message);
    }
  });
  let exited: Promise<void> | undefined;
  // 'close' comes after 'exit' once the output pipes are drained too, so the log is complete when it ends;
  // two seconds after 'exit' is the fallback should a pipe stay open.
  const exitPromise = new Promise<void>((resolve) => {
    processHandle.once('close', () => resolve());
    processHandle.once('exit', () => setTimeout(resolve, 2_000).unref());
  });
  // The IPC channel and the pipes must not keep the benchmark alive on their own.
  processHandle.unref();
  processHandle.channel?.unref();

  const child: Child = {
    name: spec.name,
    pid,
    url: '',
    logPath,
    process: processHandle,
    ask<T>(message: Record<string, unknown>, timeoutMs = 5_000) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${spec.name} did not answer ${JSON.stringify(message)} within ${timeoutMs} ms.`));
        }, timeoutMs);
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          resolve(reply as T);
        });
        processHandle.send({ ...message, id });
      });
    },
    stop(graceMs = 10_000) {
      exited ??= (async () => {
        if (isAlive(processHandle)) {
          signalGroup(pid, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
          await exitPromise;
          clearTimeout(timer);
        }
        running.delete(child);
        await new Promise<void>((resolve) => log.end(() => resolve()));
      })();
      return exited;
    },
  };
  running.add(child);

  return new Promise<Child>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Give the log stream a moment to flush what the child printed before it died.
      setTimeout(() => {
        reject(new StartError(`${spec.name} ${reason}. Last lines of ${logPath}:\n${tailOf(logPath)}`));
        void child.stop(1_000);
      }, 200);
    };
    const timer = setTimeout(() => fail(`did not print its ready line within ${spec.timeoutMs / 1000} s`), spec.timeoutMs);
    createInterface({ input: processHandle.stdout! }).on('line', (line) => {
      const ready = spec.readyLine.exec(line);
      if (ready && !settled) {
        settled = true;
        clearTimeout(timer);
        child.url = ready[1] ?? '';
        resolve(child);
      }
    });
    processHandle.once('error', (error) => fail(`could not be started (${error.message})`));
    processHandle.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `exit code ${code}`})`));
  });
}

/** Stops every child still running, in the order given by `rank` (lower first), each group together. */
export async function stopAll(rank: (child: Child) => number = () => 0): Promise<void> {
  const groups = new Map<number, Child[]>();
  for (const child of running) {
    const key = rank(child);
    groups.set(key, [...(groups.get(key) ?? []), child]);
  }
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    await Promise.all(groups.get(key)!.map((child) => child.stop()));
  }
}

/** Last resort on process exit, where nothing asynchronous runs any more: SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const child of running) {
    if (isAlive(child.process)) signalGroup(child.pid, 'SIGKILL');
  }
  running.clear();
}

export function runningChildren(): Child[] {
  return [...running];
}
