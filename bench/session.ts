import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allOn, compiledGatewayExists, describe, FIXED_GATEWAY_SETTINGS, LEVERS, withLeverOff, type Lever } from './configurations';
import { ticksToMs } from './counters';
import type { Flags } from './flags';
import { measure, measureBackground, NO_BACKGROUND, waitUntilQuiet, warmUp, type Background, type LoadOptions, type RunResult } from './load';
import { FEW_ANSWERS, fmt, ratios, runLine, summarize, type LeverEffect, type Ratios, type Summary } from './report';
import type { Stack } from './stack';
import { verifyAnswers, type ReferenceAnswers } from './verify';
import { missingPillarFields, seededRandom, type Workload } from './workloads';

/**
 * One benchmark session, in order: decide the configurations (all on, and each selected lever off), start
 * the stack with every one of them, check that all give the stock gateway's answers, measure the idle
 * background, then per workload run the interleaved rounds. Returns everything measured; printing is the
 * report's job.
 */
export interface Outcome {
  background?: Background;
  configurations: { id: string; lever?: string; settings: string }[];
  runs: RunResult[];
  /** rpsNoise: how far apart the rps of the same configuration's rounds were, as a fraction (NaN with one round). */
  comparison: { workload: string; ours: Summary; stock: Summary; oursOverStock: Ratios; rpsNoise: number }[];
  levers: { workload: string; lever: Lever; summary: Summary }[];
  effects: LeverEffect[];
  verification: { configuration: string; workload: string; samples: number; errorDifferences: string[] }[];
  notes: string[];
}

export interface SessionContext {
  flags: Flags;
  root: string;
  logDir: string;
  stack: Stack;
  workloads: Workload[];
  say: (line?: string) => void;
  /** "[+12.3 s]": time since the benchmark started, for the lines that mark its phases. */
  since: () => string;
}

/** How far apart repeated measurements are: (max - min) / min, NaN for fewer than two. */
function spread(values: number[]): number {
  if (values.length < 2) return Number.NaN;
  const min = Math.min(...values);
  return min > 0 ? (Math.max(...values) - min) / min : Number.NaN;
}

export async function runSession({ flags, root, logDir, stack, workloads, say, since }: SessionContext): Promise<Outcome> {
  const outcome: Outcome = { configurations: [], runs: [], comparison: [], levers: [], effects: [], verification: [], notes: [] };
  const note = (line: string) => {
    outcome.notes.push(line);
    say(`note: ${line}`);
  };
  const supergraph = readFileSync(join(root, 'schema', 'supergraph.graphql'), 'utf8');
  for (const workload of workloads) {
    say(`${workload.id} query: ${workload.operationName} from ${workload.source}`);
    if (workload.id !== 'W3') {
      const missing = missingPillarFields(workload.query, supergraph);
      if (missing.length > 0) note(`${workload.id} does not ask for every pillar field of the supergraph: missing ${missing.join(', ')}.`);
    }
  }

  // --- Configurations: all on, and each selected lever off on its own --------------------------------
  const compiled = compiledGatewayExists(root);
  const base = allOn(flags.responseCacheTtlMs, compiled);
  const selected = LEVERS.filter((lever) => flags.levers.includes(lever.id));
  if (!compiled && selected.some((lever) => lever.id === 'compiled')) {
    note('dist/gateway/main.js is missing (no `npm run build` yet): the compiled-JavaScript lever is skipped and every gateway runs through tsx.');
  }
  // Where each lever is measured: every workload it can change, or with --quick only its showcase.
  const leverWorkloads = (lever: Lever) =>
    (flags.quick ? [lever.showcase] : lever.workloads).filter((id) => flags.workloads.includes(id));
  const levers = selected.filter((lever) => (lever.id !== 'compiled' || compiled) && leverWorkloads(lever).length > 0);
  const offs = levers.map((lever) => ({ lever, configuration: withLeverOff(base, lever.id), workloads: leverWorkloads(lever) }));
  const configurations = [base, ...offs.map((off) => off.configuration)];
  outcome.configurations = configurations.map((configuration) => ({ id: configuration.id, lever: configuration.lever, settings: describe(configuration) }));
  say('\nConfigurations');
  for (const configuration of configurations) say(`  ${configuration.id.padEnd(20)} ${describe(configuration)}`);
  say(`  (every one of ours also: ${Object.entries(FIXED_GATEWAY_SETTINGS).map(([key, value]) => `${key}=${value}`).join(' ')}: one load generator is one client)`);
  const load: LoadOptions = {
    connections: flags.connections,
    warmupS: flags.warmupS,
    durationS: flags.durationS,
    timeoutS: flags.timeoutS,
    quietCapMs: flags.quietCapS * 1000,
    seed: flags.seed,
    background: NO_BACKGROUND,
  };

  // --- Start everything ---------------------------------------------------------------------------------
  const started = Date.now();
  say(`\nStarting the stack (logs in ${logDir}) ...`);
  await stack.startStore();
  await stack.startSubgraphs('read-model');
  if (configurations.some((configuration) => configuration.figuresSource === 'raw')) await stack.startSubgraphs('raw');
  await Promise.all([stack.startStock(compiled), ...configurations.map((configuration) => stack.startOurs(configuration))]);
  say(`Stack up in ${((Date.now() - started) / 1000).toFixed(1)} s.  ${since()}`);

  // --- Identical answers first ----------------------------------------------------------------------------
  const reference: ReferenceAnswers = new Map();
  const stock = stack.gateway('stock');
  for (const configuration of configurations) {
    // All-on against stock gets the full sample; each lever-off configuration the first set (for W1 the
    // largest answer, the whole city), which is where a lever would most likely change an answer.
    const count = configuration === base ? flags.samples : 1;
    // Each configuration is checked on the workloads it will be measured on.
    const measuredOn = offs.find((off) => off.configuration === configuration)?.workloads ?? flags.workloads;
    for (const workload of workloads.filter((candidate) => measuredOn.includes(candidate.id))) {
      const samples = workload.samples(seededRandom(flags.seed + 7), count);
      // The stock gateway is asked with all-on; later configurations are held to those reference answers.
      const report = await verifyAnswers(stack.gateway(configuration.id), configuration === base ? stock : undefined, workload, samples, reference, configuration.id);
      outcome.verification.push({ configuration: configuration.id, ...report });
      for (const difference of report.errorDifferences) note(`errors differ though data is identical: ${difference}`);
    }
    say(`Answers identical (data) to the stock gateway's: ${configuration.id}, ${count} variable set(s) per workload it runs.  ${since()}`);
  }

  // --- What the idle stack does on its own, subtracted from every window ------------------------------
  await waitUntilQuiet(stack, load.quietCapMs, NO_BACKGROUND);
  load.background = await measureBackground(stack, 3_000);
  outcome.background = load.background;
  const background = load.background;
  say(
    `Idle background: ${fmt(background.dbCommandsPerS)} data commands/s, store ${fmt(ticksToMs(background.storeCpuTicksPerS))} CPU ms/s, ` +
      `subgraphs ${Object.entries(background.subgraphsCpuTicksPerS).map(([source, ticks]) => `${fmt(ticksToMs(ticks!))} CPU ms/s (${source})`).join(', ')}; ` +
      `subtracted from every window.  ${since()}`,
  );

  // --- Load: per workload, all-on and stock alternate, each lever-off run sits between them -------------
  say(
    `\nLoad: ${flags.connections} connections, ${flags.warmupS} s warm-up, ${flags.durationS} s window; per workload ` +
      `${flags.rounds} mirrored round(s) of ours (all-on) and stock, each lever-off configuration once among them.  ${since()}`,
  );
  // The cheapest workload first: requests cut off at the end of a W1 run keep the store busy for a while
  // (today ~1 s of store CPU each), and that should delay only other W1 runs.
  for (const workload of [...workloads].reverse()) {
    const workloadOffs = offs.filter((off) => off.workloads.includes(workload.id));
    // The subgraphs and the store are shared: whichever gateway meets a workload first would also pay for
    // warming them up (JIT, first plans, cold data). A short unmeasured load through the stock gateway
    // does that for all of them.
    // The raw-figures configuration has subgraphs of its own, warmed through its own gateway.
    for (const gateway of [stock, ...offs.filter((off) => off.configuration.figuresSource === 'raw' && off.workloads.includes(workload.id)).map((off) => stack.gateway(off.configuration.id))]) {
      await warmUp(stack, gateway, workload, { ...load, connections: Math.min(4, flags.connections) });
    }
    for (let round = 1; round <= flags.rounds; round++) {
      // Mirrored rounds (ours, stock, levers | levers, stock, ours) so that neither side always goes first,
      // and the all-on runs bracket the lever runs between them.
      const leverIds = workloadOffs.filter((_, index) => index % flags.rounds === round - 1).map((off) => off.configuration.id);
      const order = round % 2 === 1 ? [base.id, 'stock', ...leverIds] : [...leverIds, 'stock', base.id];
      for (const id of order) {
        const result = await measure(stack, stack.gateway(id), workload, round, load);
        outcome.runs.push(result);
        say(runLine(result));
      }
    }
    const runsOf = (id: string) => outcome.runs.filter((result) => result.workload === workload.id && result.configuration === id);
    const ours = summarize(runsOf(base.id))!;
    const stockSummary = summarize(runsOf('stock'))!;
    // The same configuration measured twice differs by this much: lever effects smaller than it are noise.
    const noise = Math.max(spread(runsOf(base.id).map((run) => run.rps)), spread(runsOf('stock').map((run) => run.rps)));
    outcome.comparison.push({ workload: workload.id, ours, stock: stockSummary, oursOverStock: ratios(ours, stockSummary), rpsNoise: noise });
    for (const { lever, configuration } of workloadOffs) {
      const without = summarize(runsOf(configuration.id))!;
      const leverRatios = ratios(ours, without);
      outcome.levers.push({ workload: workload.id, lever, summary: without });
      outcome.effects.push({
        lever: lever.id,
        title: lever.title,
        offSetting: lever.offSetting,
        workload: workload.id,
        with: ours,
        without,
        ratios: leverRatios,
        beyondNoise: Number.isFinite(noise) ? Math.abs(Math.log(leverRatios.rps)) > Math.log(1 + noise) : undefined,
      });
    }
  }

  for (const entry of outcome.comparison) {
    if (entry.rpsNoise > 0.15) {
      outcome.notes.push(
        `${entry.workload}: the same configuration's rounds differ by ${(entry.rpsNoise * 100).toFixed(0)}% in rps on this machine; ` +
          'lever effects and ratios within that are noise, and two rounds understate it (more --rounds, or a quieter machine, narrow it).',
      );
    }
  }
  for (const effect of outcome.effects) {
    const r = effect.ratios;
    if ([r.rps, r.p50, r.gatewayCpuMsPerRequest, r.dbCommandsPerRequest, r.subgraphCallsPerRequest].every((value) => Math.abs(value - 1) < 0.15)) {
      outcome.notes.push(`${effect.title} changes nothing beyond 15% on ${effect.workload}: not implemented yet, or no effect there.`);
    }
  }
  // Caveats about single runs, one note per kind listing the runs it applies to (printed with the report).
  const runsWhere = (test: (result: RunResult) => boolean, detail: (result: RunResult) => string) =>
    outcome.runs.filter(test).map((result) => `${result.workload} ${result.configuration} r${result.round}${detail(result)}`).join(', ');
  const caveats: [string, string][] = [
    [
      runsWhere((result) => !result.startedQuiet, () => ''),
      `started while the stack was still busy with the previous run's cut-off requests (after ${flags.quietCapS} s); their figures may include some of that work`,
    ],
    [
      runsWhere((result) => result.completed > 0 && result.p99Ms > result.windowS * 1000 * 0.5, (result) => ` (${(result.p99Ms / 1000).toFixed(1)} s)`),
      'p99 over half the window: slower answers never arrive inside it, so latency is understated and rps is coarse',
    ],
    [
      runsWhere((result) => result.completed > 0 && result.completed < FEW_ANSWERS, (result) => ` (${result.completed})`),
      `fewer than ${FEW_ANSWERS} answers in the window: per-request figures are rough (a longer --duration gives more)`,
    ],
    [runsWhere((result) => result.completed === 0, () => ''), 'no answer inside the window: figures n/a'],
  ];
  for (const [runs, caveat] of caveats) if (runs) outcome.notes.push(`${caveat}: ${runs}.`);
  for (const result of outcome.runs.filter((candidate) => candidate.errors > 0)) {
    const codes = Object.entries(result.errorCodes).filter(([code]) => code !== 'SUPPRESSED_SMALL_COUNT').map(([code, count]) => `${code} x${count}`);
    outcome.notes.push(
      `${result.workload} ${result.configuration} round ${result.round}: ${result.errors} error(s) under load (${result.non2xx} non-2xx, ` +
        `${result.transportErrors} connection errors or timeouts, ${result.errorAnswers} answers with errors${codes.length ? `: ${codes.join(', ')}` : ''}); ` +
        "the gateway's and subgraphs' logs say more.",
    );
  }
  return outcome;
}
