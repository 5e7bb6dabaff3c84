import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS_PER_SECOND } from './counters';
import { FlagError, parseFlags, USAGE, type Flags } from './flags';
import { killAllNow, StartError } from './processes';
import { printReport } from './report';
import { runSession } from './session';
import { Stack } from './stack';
import { AnswersDiffer } from './verify';
import { loadWorkloads } from './workloads';

/**
 * `npm run bench`: starts the whole stack on free ports, checks that our gateway and a stock Apollo gateway
 * give identical answers, drives W1, W2 and W3 against both in interleaved rounds, then switches each of
 * the team's levers off on its own, and prints (and optionally writes as JSON) what it measured.
 */

/** The project root: the nearest folder above this file with a package.json (the same from dist/bench). */
function projectRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('No package.json above bench/: cannot tell where the project is.');
    folder = parent;
  }
  return folder;
}

const say = (line = '') => console.log(line);
const benchStarted = Date.now();
/** Seconds since the benchmark started, for the lines that mark its phases. */
const since = () => `[+${((Date.now() - benchStarted) / 1000).toFixed(1)} s]`;

/** Lines from the processes' logs that look like trouble, so a problem under load is not missed. */
function logFindings(logDir: string): string[] {
  const findings: string[] = [];
  const trouble = /error|warn|unavailable|did not answer|refused|exception|ECONN|socket|timed? ?out|heap/i;
  for (const file of readdirSync(logDir).filter((name) => name.endsWith('.log')).sort()) {
    const lines = readFileSync(join(logDir, file), 'utf8').split('\n').filter((line) => trouble.test(line));
    if (lines.length === 0) continue;
    findings.push(`${file}: ${lines.length} line(s) like: ${lines.slice(0, 3).map((line) => line.slice(0, 240)).join(' | ')}`);
  }
  return findings;
}

async function main(): Promise<number> {
  let flags: Flags;
  try {
    const parsed = parseFlags(process.argv.slice(2));
    if (parsed === 'help') {
      say(USAGE);
      return 0;
    }
    flags = parsed;
  } catch (error) {
    if (error instanceof FlagError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  const root = projectRoot();
  const startedAt = new Date();
  const loadBefore = loadavg();
  const logDir = flags.logs ? resolve(flags.logs) : mkdtempSync(join(tmpdir(), 'kediri-bench-'));
  mkdirSync(logDir, { recursive: true });
  const stack = new Stack({
    root,
    logDir,
    startTimeoutMs: flags.startTimeoutS * 1000,
    log: (line) => say(`${line}  ${since()}`),
  });

  // Every way out stops the children: the normal end and failures below, Ctrl-C and SIGTERM here, and a
  // synchronous SIGKILL on exit for anything still standing. A benchmark killed outright is covered by
  // the children themselves (they stop when their IPC channel to it closes).
  let cleaning: Promise<void> | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await stack.stop().catch(() => {});
      if (!flags.logs) rmSync(logDir, { recursive: true, force: true });
    })());
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      interrupted = signal;
      console.error(`\n${signal}: stopping every process the benchmark started ...`);
      void cleanUp().then(() => {
        console.error('Stopped; nothing was measured to the end.');
        process.exit(130);
      });
    });
  }

  say(`Kediri City Graph benchmark, ${startedAt.toISOString()}`);
  say(`node ${process.version}, ${availableParallelism()} cores, load average ${loadBefore.map((value) => value.toFixed(2)).join(' ')}`);
  say(
    `flags: ${flags.connections} connections, warm-up ${flags.warmupS} s, window ${flags.durationS} s, rounds ${flags.rounds}, ` +
      `workloads ${flags.workloads.join(',')}, levers ${flags.levers.join(',') || 'none'}, seed ${flags.seed}${flags.quick ? ' (quick)' : ''}`,
  );
  try {
    const workloads = loadWorkloads(root).filter((workload) => flags.workloads.includes(workload.id));
    const outcome = await runSession({ flags, root, logDir, stack, workloads, say, since });
    const findings = logFindings(logDir);
    await stack.stop();
    const loadAfter = loadavg();
    const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
    printReport(say, flags, outcome, workloads, { loadBefore, loadAfter, elapsedS });
    if (findings.length > 0) {
      say('\nWorth a look in the processes\' logs');
      for (const finding of findings) say(`  - ${finding}`);
    }
    if (flags.json) {
      const path = resolve(flags.json);
      writeFileSync(
        path,
        JSON.stringify(
          {
            startedAt: startedAt.toISOString(),
            elapsedS,
            machine: { node: process.version, cores: availableParallelism(), cpu: cpus()[0]?.model, clockTicksPerSecond: CLOCK_TICKS_PER_SECOND, loadavgBefore: loadBefore, loadavgAfter: loadAfter },
            flags,
            workloads: workloads.map(({ id, title, operationName, source, query }) => ({ id, title, operationName, source, query })),
            ...outcome,
            logFindings: findings,
          },
          null,
          2,
        ) + '\n',
      );
      say(`\nResults written to ${path}`);
    }
    return 0;
  } catch (error) {
    // After Ctrl-C the run fails under the cleanup's feet; the signal handler has said what happened.
    if (interrupted) return 130;
    const keep = flags.logs ? '' : '\n(The logs were in a temporary folder, removed on exit: run with --logs <dir> to keep them.)';
    if (error instanceof StartError) console.error(`\nThe stack did not start: ${error.message}${keep}`);
    else if (error instanceof AnswersDiffer) console.error(`\nThe gateways' answers differ, so there is nothing fair to measure: ${error.message}`);
    else console.error(`\nThe benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${keep}`);
    return 1;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
