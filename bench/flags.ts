import { LEVERS, type LeverId } from './configurations';
import { WORKLOAD_IDS, type WorkloadId } from './workloads';

/**
 * The benchmark's command line. Defaults are the city's: 20 connections, a 3 s warm-up and a 10 s window,
 * two interleaved rounds per side; `--quick` is a smoke run that exercises every step in about a minute
 * and a half.
 */
export interface Flags {
  durationS: number;
  warmupS: number;
  connections: number;
  workloads: WorkloadId[];
  /** Rounds per side in the ours/stock comparison (ours, stock, ours, stock, ... for 2). */
  rounds: number;
  levers: LeverId[];
  quick: boolean;
  json?: string;
  seed: number;
  timeoutS: number;
  responseCacheTtlMs: number;
  /** Variable sets per workload whose answers are compared before load. */
  samples: number;
  /** Keep the processes' logs in this folder instead of a temporary one removed at the end. */
  logs?: string;
  /** Longest wait for the stack to go quiet before a run (requests cut off by the previous run finishing). */
  quietCapS: number;
  startTimeoutS: number;
}

export const USAGE = `usage: npm run bench -- [flags]     (or: node --import tsx bench/main.ts [flags])

  --duration <s>        measured window per run (default 10; --quick 2)
  --warmup <s>          warm-up before each window (default 3; --quick 1)
  --connections <n>     concurrent connections (default 20)
  --workloads <list>    which of W1,W2,W3 (default all)
  --rounds <n>          interleaved rounds per side, ours vs stock (default 2; --quick 1)
  --levers <list>       levers to switch off one at a time: ${LEVERS.map((lever) => lever.id).join(',')},
                        "all" (default; with --quick "none") or "none"
  --quick               a short smoke run: short windows, one round, no levers unless --levers
                        is given (then each lever once, on the workload it should change most)
  --json <path>         also write the results as JSON to <path>
  --seed <n>            seed of the request variables (default 1)
  --timeout <s>         seconds before one request counts as timed out (default 60)
  --cache-ttl-ms <ms>   GATEWAY_RESPONSE_CACHE_TTL_MS of the all-on configuration (default 60000)
  --samples <n>         variable sets per workload compared between the gateways first (default 4;
                        --quick 1; each lever-off configuration is checked on the first set only)
  --logs <dir>          keep every process's log in <dir> (default: a temporary folder, removed)
  --quiet-cap <s>       longest wait before a run for the stack to finish the previous run's cut-off
                        requests (default 15; --quick 3)
  --start-timeout <s>   longest wait for a subgraph to seed and listen (default 240)
  --help                this text`;

export class FlagError extends Error {
  override name = 'FlagError';
}

function positive(name: string, raw: string | undefined, integer: boolean, allowZero = false): number {
  const value = Number(raw);
  const valid = raw !== undefined && raw !== '' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!valid) throw new FlagError(`${name} expects ${integer ? 'an integer' : 'a number'} ${allowZero ? '>= 0' : '> 0'}, received ${raw === undefined ? 'nothing' : `"${raw}"`}.`);
  return value;
}

function list<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw new FlagError(`${name} expects a comma-separated list of ${allowed.join(', ')}, received "${raw ?? ''}".`);
  }
  return [...new Set(items)] as T[];
}

export function parseFlags(argv: string[]): Flags | 'help' {
  const given = new Map<string, string | undefined>();
  const booleans = new Set(['--quick', '--help']);
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    if (!argument.startsWith('--')) throw new FlagError(`Unexpected argument "${argument}".\n${USAGE}`);
    const [name, inline] = argument.split('=', 2) as [string, string | undefined];
    if (booleans.has(name)) given.set(name, 'true');
    else given.set(name, inline ?? argv[++i]);
  }
  const known = new Set(['--duration', '--warmup', '--connections', '--workloads', '--rounds', '--levers', '--quick', '--json', '--seed', '--timeout', '--cache-ttl-ms', '--samples', '--logs', '--quiet-cap', '--start-timeout', '--help']);
  for (const name of given.keys()) if (!known.has(name)) throw new FlagError(`Unknown flag ${name}.\n${USAGE}`);
  if (given.has('--help')) return 'help';

  const quick = given.has('--quick');
  const number = (name: string, fallback: number, integer = false, allowZero = false) =>
    given.has(name) ? positive(name, given.get(name), integer, allowZero) : fallback;
  // --quick is the fastest smoke run: ours against stock only, unless levers are asked for by name.
  const leversRaw = given.get('--levers') ?? (quick ? 'none' : 'all');
  const levers =
    leversRaw === 'all' ? LEVERS.map((lever) => lever.id) : leversRaw === 'none' ? [] : list('--levers', leversRaw, LEVERS.map((lever) => lever.id));
  if (given.has('--json') && !given.get('--json')) throw new FlagError('--json expects a file path.');
  if (given.has('--logs') && !given.get('--logs')) throw new FlagError('--logs expects a folder.');
  return {
    durationS: number('--duration', quick ? 2 : 10),
    warmupS: number('--warmup', quick ? 1 : 3, false, true),
    connections: number('--connections', 20, true),
    workloads: given.has('--workloads') ? list('--workloads', given.get('--workloads'), WORKLOAD_IDS) : [...WORKLOAD_IDS],
    rounds: number('--rounds', quick ? 1 : 2, true),
    levers,
    quick,
    json: given.get('--json'),
    seed: number('--seed', 1, true, true),
    timeoutS: number('--timeout', 60),
    responseCacheTtlMs: number('--cache-ttl-ms', 60_000, true, true),
    samples: number('--samples', quick ? 1 : 4, true),
    logs: given.get('--logs'),
    quietCapS: number('--quiet-cap', quick ? 3 : 15),
    startTimeoutS: number('--start-timeout', 240),
  };
}
