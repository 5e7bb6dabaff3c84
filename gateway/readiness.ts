import type { CircuitState } from './guard';

/**
 * Readiness: the gateway is ready when its supergraph is loaded and every subgraph answers its health
 * check (which pings its database) with its circuit not open. /ready says, per subgraph, which are
 * up, slow (answering, but past the slow mark), down (no answer, or its database does not answer) or
 * open-circuited. An open circuit is said whatever the health check would say, and without asking it:
 * it is what callers get now (that subgraph's fields null at once), and a frozen subgraph would hold /ready
 * for the whole probe timeout only to say what the circuit already knows. Liveness (/health) only says the
 * process is up and never waits on anything, so an orchestrator restarts the gateway for its own faults and
 * not for an agency's.
 */
export type SubgraphReadiness = 'up' | 'slow' | 'down' | 'open-circuit';

export interface Readiness {
  ready: boolean;
  supergraphLoaded: boolean;
  subgraphs: Record<string, SubgraphReadiness>;
  /** Why the gateway is not ready, in one sentence. */
  reason?: string;
}

/** A health check answered later than this counts as slow. */
const SLOW_MS = 1_000;

export function healthUrlOf(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.pathname = url.pathname.replace(/\/graphql$/, '') + '/health';
  return url.toString();
}

async function probe(graphqlUrl: string, timeoutMs: number): Promise<'up' | 'slow' | 'down'> {
  const started = Date.now();
  try {
    const response = await fetch(healthUrlOf(graphqlUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (!response.ok) return 'down';
    return Date.now() - started > SLOW_MS ? 'slow' : 'up';
  } catch {
    return 'down';
  }
}

export async function checkReadiness(
  supergraphLoaded: boolean,
  subgraphUrls: Record<string, string>,
  circuits: Record<string, CircuitState> = {},
  timeoutMs = 2_000,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(subgraphUrls).map(async ([name, url]): Promise<[string, SubgraphReadiness]> => [
      name,
      circuits[name] === 'open' ? 'open-circuit' : await probe(url, timeoutMs),
    ]),
  );
  const subgraphs = Object.fromEntries(entries);
  // A slow subgraph still serves: it is reported, but only one that does not answer makes the gateway unready.
  const notUp = entries.filter(([, state]) => state === 'down' || state === 'open-circuit');
  const ready = supergraphLoaded && entries.length > 0 && notUp.length === 0;
  const reason = !supergraphLoaded
    ? 'supergraph not loaded'
    : notUp.length > 0
      ? `subgraphs not ready: ${notUp.map(([name, state]) => `${name} (${state})`).join(', ')}`
      : undefined;
  return { ready, supergraphLoaded, subgraphs, ...(reason ? { reason } : {}) };
}
