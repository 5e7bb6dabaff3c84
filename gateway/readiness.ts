/**
 * Readiness: the gateway is ready when its supergraph is loaded and every subgraph answers its health
 * check. Liveness (/health) only says the process is up, so an orchestrator restarts the gateway for its
 * own faults and not for an agency's.
 */
export interface Readiness {
  ready: boolean;
  supergraphLoaded: boolean;
  subgraphs: Record<string, 'up' | 'down'>;
}

export function healthUrlOf(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.pathname = url.pathname.replace(/\/graphql$/, '') + '/health';
  return url.toString();
}

async function isUp(graphqlUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(healthUrlOf(graphqlUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export async function checkReadiness(
  supergraphLoaded: boolean,
  subgraphUrls: Record<string, string>,
  timeoutMs = 2_000,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(subgraphUrls).map(async ([name, url]) => [name, (await isUp(url, timeoutMs)) ? 'up' : 'down'] as const),
  );
  const subgraphs = Object.fromEntries(entries);
  return {
    ready: supergraphLoaded && entries.length > 0 && entries.every(([, state]) => state === 'up'),
    supergraphLoaded,
    subgraphs,
  };
}
