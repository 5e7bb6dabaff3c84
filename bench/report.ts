import { availableParallelism, cpus } from 'node:os';
import type { Lever } from './configurations';
import { CLOCK_TICKS_PER_SECOND } from './counters';
import type { Flags } from './flags';
import type { RunResult } from './load';
import type { Outcome } from './session';
import type { Workload } from './workloads';

/**
 * Turns runs into what a reader needs: per workload, ours beside stock (the median of the interleaved
 * rounds of each side) with the ratios; per lever, the all-on configuration beside the one without it,
 * with the ratio. Text tables for the terminal, the same numbers as JSON for the README.
 */
export interface Summary {
  workload: string;
  side: 'ours' | 'stock';
  configuration: string;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Summed over the rounds: one error is worth seeing even when the median run had none. */
  errors: number;
  answers: number;
  subgraphCallsPerRequest: number;
  dbCommandsPerRequest: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  storeCpuMsPerRequest: number;
  bytesPerAnswer: number;
  /** Whether every run started on a quiet stack. */
  startedQuiet: boolean;
}

export interface Ratios {
  rps: number;
  p50: number;
  p99: number;
  subgraphCallsPerRequest: number;
  dbCommandsPerRequest: number;
  gatewayCpuMsPerRequest: number;
}

export interface LeverEffect {
  lever: string;
  title: string;
  offSetting: string;
  workload: string;
  with: Summary;
  without: Summary;
  /** with / without, for each figure. */
  ratios: Ratios;
  /** Whether the rps ratio is larger than the run-to-run noise of the same workload; undefined with one round. */
  beyondNoise?: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(runs: RunResult[]): Summary | undefined {
  if (runs.length === 0) return undefined;
  const of = (pick: (run: RunResult) => number) => median(runs.map(pick));
  return {
    workload: runs[0]!.workload,
    side: runs[0]!.side,
    configuration: runs[0]!.configuration,
    rounds: runs.length,
    rps: of((run) => run.rps),
    p50Ms: of((run) => run.p50Ms),
    p99Ms: of((run) => run.p99Ms),
    errors: runs.reduce((total, run) => total + run.errors, 0),
    answers: runs.reduce((total, run) => total + run.completed, 0),
    subgraphCallsPerRequest: of((run) => run.subgraphCallsPerRequest),
    dbCommandsPerRequest: of((run) => run.dbCommandsPerRequest),
    gatewayCpuMsPerRequest: of((run) => run.gatewayCpuMsPerRequest),
    subgraphsCpuMsPerRequest: of((run) => run.subgraphsCpuMsPerRequest),
    storeCpuMsPerRequest: of((run) => run.storeCpuMsPerRequest),
    bytesPerAnswer: of((run) => run.bytesPerAnswer),
    startedQuiet: runs.every((run) => run.startedQuiet),
  };
}

/** a / b, or NaN when b is 0 (printed as "n/a"). */
function ratio(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : Number.NaN) : a / b;
}

export function ratios(a: Summary, b: Summary): Ratios {
  return {
    rps: ratio(a.rps, b.rps),
    p50: ratio(a.p50Ms, b.p50Ms),
    p99: ratio(a.p99Ms, b.p99Ms),
    subgraphCallsPerRequest: ratio(a.subgraphCallsPerRequest, b.subgraphCallsPerRequest),
    dbCommandsPerRequest: ratio(a.dbCommandsPerRequest, b.dbCommandsPerRequest),
    gatewayCpuMsPerRequest: ratio(a.gatewayCpuMsPerRequest, b.gatewayCpuMsPerRequest),
  };
}

// --- Formatting ---------------------------------------------------------------------------------------

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function times(value: number): string {
  return Number.isFinite(value) ? `x${fmt(value)}` : 'n/a';
}

function kb(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  return bytes >= 1024 ? `${fmt(bytes / 1024)} KB` : `${fmt(bytes)} B`;
}

/** Left-aligned first column, right-aligned numbers, two spaces between columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const FIGURE_HEADERS = ['rps', 'p50 ms', 'p99 ms', 'errors', 'sg calls/req', 'db cmds/req', 'gw CPU ms/req', 'sg CPU ms/req', 'store CPU ms/req', 'answer'];

function figures(summary: Summary): string[] {
  return [
    fmt(summary.rps),
    fmt(summary.p50Ms),
    fmt(summary.p99Ms),
    `${summary.errors}/${summary.answers}`,
    fmt(summary.subgraphCallsPerRequest),
    fmt(summary.dbCommandsPerRequest),
    fmt(summary.gatewayCpuMsPerRequest),
    fmt(summary.subgraphsCpuMsPerRequest),
    fmt(summary.storeCpuMsPerRequest),
    kb(summary.bytesPerAnswer),
  ];
}

export function comparisonTable(workload: Workload, ours: Summary, stock: Summary, rpsNoise: number): string {
  const r = ratios(ours, stock);
  const rows = [
    [`ours (${ours.configuration})`, ...figures(ours)],
    ['stock Apollo gateway', ...figures(stock)],
    ['ours / stock', times(r.rps), times(r.p50), times(r.p99), '', times(r.subgraphCallsPerRequest), times(r.dbCommandsPerRequest), times(r.gatewayCpuMsPerRequest), '', '', ''],
  ];
  const noise = Number.isFinite(rpsNoise) ? `; rounds of one side differ by up to ${(rpsNoise * 100).toFixed(0)}% in rps` : '';
  return `${workload.id} ${workload.title}  [median of ${ours.rounds} interleaved round(s) per side${noise}]\n${table(['', ...FIGURE_HEADERS], rows)}`;
}

export function leverTable(workload: Workload, allOn: Summary, offs: { lever: Lever; summary: Summary }[], stock: Summary): string {
  const rows = [
    ['all on', ...figures(allOn)],
    ...offs.map(({ lever, summary }) => [`without ${lever.title} (${lever.offSetting})`, ...figures(summary)]),
    ['stock Apollo gateway', ...figures(stock)],
  ];
  return `${workload.id} ${workload.title}\n${table(['configuration', ...FIGURE_HEADERS], rows)}`;
}

export function effectsTable(effects: LeverEffect[]): string {
  const rows = effects.map((effect) => [
    effect.title,
    effect.workload,
    times(effect.ratios.rps),
    times(effect.ratios.p50),
    times(effect.ratios.p99),
    times(effect.ratios.gatewayCpuMsPerRequest),
    times(effect.ratios.subgraphCallsPerRequest),
    times(effect.ratios.dbCommandsPerRequest),
    verdict(effect),
  ]);
  return table(['lever (with / without)', 'workload', 'rps', 'p50', 'p99', 'gw CPU/req', 'sg calls/req', 'db cmds/req', 'rps vs round spread'], rows);
}

/** Fewer answers than this in a window make its per-request figures rough. */
export const FEW_ANSWERS = 30;

/**
 * How far to trust a lever's rps ratio: "few answers" when either side answered fewer than FEW_ANSWERS
 * times per window, otherwise whether it is larger than the spread between the rounds of one
 * configuration ("one round" when there was no second round to tell). Two rounds show only part of the
 * machine's noise, so "beyond spread" is a hint, not proof: repeat the run before believing a small one.
 */
export function verdict(effect: LeverEffect): string {
  if (Math.min(effect.with.answers / effect.with.rounds, effect.without.answers / effect.without.rounds) < FEW_ANSWERS) return 'few answers';
  if (effect.beyondNoise === undefined) return 'one round';
  return effect.beyondNoise ? 'beyond spread' : 'within spread';
}

/** "response cache: W1 rps x37.2 with / without (112 vs 3.01 rps, p50 14 vs 4,210 ms)". */
export function effectLine(effect: LeverEffect): string {
  return (
    `${effect.title}: ${effect.workload} rps ${times(effect.ratios.rps)} with / without ` +
    `(${fmt(effect.with.rps)} vs ${fmt(effect.without.rps)} rps, p50 ${fmt(effect.with.p50Ms)} vs ${fmt(effect.without.p50Ms)} ms, ` +
    `db cmds/req ${fmt(effect.with.dbCommandsPerRequest)} vs ${fmt(effect.without.dbCommandsPerRequest)}; ${verdict(effect)})`
  );
}

export function runLine(run: RunResult): string {
  const codes = Object.entries(run.errorCodes)
    .filter(([code]) => code !== 'SUPPRESSED_SMALL_COUNT')
    .map(([code, count]) => `${code} x${count}`)
    .join(', ');
  return (
    `  ${run.workload} ${run.configuration.padEnd(20)} round ${run.round}: ${fmt(run.rps)} rps, ` +
    `p50 ${fmt(run.p50Ms)} ms, p99 ${fmt(run.p99Ms)} ms, ${run.errors} error(s)${codes ? ` [${codes}]` : ''}, ` +
    `${fmt(run.subgraphCallsPerRequest)} sg calls/req, ${fmt(run.dbCommandsPerRequest)} db cmds/req, ` +
    `gw ${fmt(run.gatewayCpuMsPerRequest)} CPU ms/req, load ${run.loadavg1.toFixed(1)}` +
    (run.startedQuiet ? (run.quietWaitMs > 1_000 ? ` (waited ${fmt(run.quietWaitMs / 1000)} s for quiet)` : '') : ' (started before the stack was quiet)')
  );
}

export function printReport(
  say: (line?: string) => void,
  flags: Flags,
  outcome: Outcome,
  workloads: Workload[],
  context: { loadBefore: number[]; loadAfter: number[]; elapsedS: number },
): void {
  say('\n' + '='.repeat(100));
  say('Ours vs stock Apollo gateway (same subgraphs, same store, same requests)');
  outcome.comparison.sort((a, b) => a.workload.localeCompare(b.workload));
  for (const entry of outcome.comparison) {
    say('');
    say(comparisonTable(workloads.find((workload) => workload.id === entry.workload)!, entry.ours, entry.stock, entry.rpsNoise));
  }
  if (outcome.levers.length > 0) {
    say('\nLevers: each switched off on its own, beside all on and stock (all on and stock: medians of the rounds above; one run per lever)');
    for (const workload of workloads) {
      const entry = outcome.comparison.find((comparison) => comparison.workload === workload.id);
      const offs = outcome.levers.filter((lever) => lever.workload === workload.id);
      if (!entry || offs.length === 0) continue;
      say('');
      say(leverTable(workload, entry.ours, offs, entry.stock));
    }
    say("\nEach lever's effect (ratio with / without: rps above x1, latency, CPU and calls below x1 mean the lever helps)");
    say(effectsTable(outcome.effects));
    say('');
    for (const effect of outcome.effects) say(`  ${effectLine(effect)}`);
  }
  say('\nOurs / stock');
  for (const entry of outcome.comparison) {
    const r = entry.oursOverStock;
    say(
      `  ${entry.workload}: rps ${times(r.rps)}, p50 ${times(r.p50)}, p99 ${times(r.p99)}, gateway CPU/req ${times(r.gatewayCpuMsPerRequest)}, ` +
        `subgraph calls/req ${times(r.subgraphCallsPerRequest)}, db cmds/req ${times(r.dbCommandsPerRequest)}`,
    );
  }
  if (outcome.notes.length > 0) {
    say('\nNotes');
    for (const line of outcome.notes) say(`  - ${line}`);
  }
  say(
    `\nMachine: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), clock ticks ${CLOCK_TICKS_PER_SECOND}/s; ` +
      `load average ${context.loadBefore.map((value) => value.toFixed(2)).join(' ')} before, ${context.loadAfter.map((value) => value.toFixed(2)).join(' ')} after; ` +
      `${flags.connections} connections, ${flags.warmupS} s warm-up, ${flags.durationS} s window; the whole run took ${context.elapsedS.toFixed(0)} s.`,
  );
}
