import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkloadId } from './workloads';

/**
 * The levers the team is building and the configurations the benchmark runs: everything on, and each
 * lever switched off on its own. The levers are environment settings that the gateway and the subgraphs
 * read; the benchmark only passes them through (a setting nobody reads yet changes nothing, and the
 * report says which configuration ran so that such a "no effect" is visible as x1.00).
 *
 * Every configuration runs as its own gateway process for the whole benchmark; the raw-figures one talks
 * to a second set of subgraphs started with FIGURES_SOURCE=raw.
 */
export type FiguresSource = 'read-model' | 'raw';
export type Runtime = 'tsx' | 'compiled';

export interface Configuration {
  /** Short id for tables and JSON, e.g. "all-on" or "no-response-cache". */
  id: string;
  /** The lever this configuration switches off; undefined for all-on. */
  lever?: LeverId;
  figuresSource: FiguresSource;
  subgraphClient: 'undici' | 'apollo';
  deduplicateFetches: boolean;
  responseCacheTtlMs: number;
  runtime: Runtime;
}

export type LeverId = 'read-model' | 'undici-client' | 'dedup' | 'response-cache' | 'compiled';

export interface Lever {
  id: LeverId;
  title: string;
  /** The setting that switches it off, as printed. */
  offSetting: string;
  /** The workloads it can change; W3 reads no figures, so the read model is not measured there. */
  workloads: readonly WorkloadId[];
  /** The one workload `--quick` measures it on: where its effect should show most. */
  showcase: WorkloadId;
}

export const LEVERS: readonly Lever[] = [
  { id: 'read-model', title: 'scorecard read model', offSetting: 'FIGURES_SOURCE=raw', workloads: ['W1', 'W2'], showcase: 'W2' },
  { id: 'undici-client', title: 'undici subgraph client', offSetting: 'GATEWAY_SUBGRAPH_CLIENT=apollo', workloads: ['W1', 'W2', 'W3'], showcase: 'W3' },
  { id: 'dedup', title: 'in-flight deduplication', offSetting: 'GATEWAY_DEDUPLICATE_FETCHES=false', workloads: ['W1', 'W2', 'W3'], showcase: 'W1' },
  { id: 'response-cache', title: 'response cache', offSetting: 'GATEWAY_RESPONSE_CACHE_TTL_MS=0', workloads: ['W1', 'W2', 'W3'], showcase: 'W1' },
  { id: 'compiled', title: 'compiled JavaScript', offSetting: 'gateway through tsx', workloads: ['W1', 'W2', 'W3'], showcase: 'W3' },
];

/** Where a future `npm run build` puts the compiled gateway. */
export function compiledGatewayEntry(root: string): string {
  return join(root, 'dist', 'gateway', 'main.js');
}

export function compiledGatewayExists(root: string): boolean {
  return existsSync(compiledGatewayEntry(root));
}

export function allOn(responseCacheTtlMs: number, compiled: boolean): Configuration {
  return {
    id: 'all-on',
    figuresSource: 'read-model',
    subgraphClient: 'undici',
    deduplicateFetches: true,
    responseCacheTtlMs,
    runtime: compiled ? 'compiled' : 'tsx',
  };
}

/** The all-on configuration with one lever switched off. */
export function withLeverOff(base: Configuration, lever: LeverId): Configuration {
  const off: Configuration = { ...base, id: `no-${lever}`, lever };
  if (lever === 'read-model') off.figuresSource = 'raw';
  if (lever === 'undici-client') off.subgraphClient = 'apollo';
  if (lever === 'dedup') off.deduplicateFetches = false;
  if (lever === 'response-cache') off.responseCacheTtlMs = 0;
  if (lever === 'compiled') off.runtime = 'tsx';
  return off;
}

/**
 * Settings of our gateway that the benchmark fixes in every configuration. The load generator is one
 * client, and per-client rate limits (600 public requests a minute by default) would measure the limiter
 * instead of the gateway; a real city has many clients. Harmless where the gateway does not read them.
 */
export const FIXED_GATEWAY_SETTINGS: Record<string, string> = {
  RATE_LIMIT_PUBLIC_PER_MINUTE: '0',
  RATE_LIMIT_DASHBOARD_PER_MINUTE: '0',
  RATE_LIMIT_STAFF_PER_MINUTE: '0',
};

/** The lever settings our gateway process reads. */
function gatewayLeverEnv(configuration: Configuration): Record<string, string> {
  return {
    GATEWAY_SUBGRAPH_CLIENT: configuration.subgraphClient,
    GATEWAY_DEDUPLICATE_FETCHES: String(configuration.deduplicateFetches),
    GATEWAY_RESPONSE_CACHE_TTL_MS: String(configuration.responseCacheTtlMs),
  };
}

/** Every setting the benchmark gives our gateway process. */
export function gatewayEnv(configuration: Configuration): Record<string, string> {
  return { ...FIXED_GATEWAY_SETTINGS, ...gatewayLeverEnv(configuration) };
}

/** The settings the subgraph processes read. */
export function subgraphEnv(figuresSource: FiguresSource): Record<string, string> {
  return { FIGURES_SOURCE: figuresSource };
}

/** One line saying exactly what ran, e.g. "FIGURES_SOURCE=read-model GATEWAY_SUBGRAPH_CLIENT=undici ... runtime=tsx". */
export function describe(configuration: Configuration): string {
  const settings = { ...subgraphEnv(configuration.figuresSource), ...gatewayLeverEnv(configuration) };
  return `${Object.entries(settings).map(([key, value]) => `${key}=${value}`).join(' ')} runtime=${configuration.runtime}`;
}
