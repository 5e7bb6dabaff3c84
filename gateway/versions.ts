/**
 * The data version of every subgraph, as each reports it at /version: a counter its agency raises with
 * every write it commits. The response cache keeps an answer only while the versions of the subgraphs
 * behind it are unchanged. The gateway polls the versions (so writes made through another gateway replica,
 * or by a script, are seen within one interval) and asks again at once after a mutation it forwarded.
 *
 * Each subgraph is polled on its own: one that is frozen or slow costs its own poll the two-second timeout,
 * and is not asked again while that is pending, but never holds up hearing of the other agencies' writes.
 */
export class DataVersions {
  private readonly versions = new Map<string, number>();
  private readonly asking = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subgraphUrls: () => Record<string, string>,
    private readonly pollMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    // The names are read at every tick: a reloaded supergraph may bring a subgraph the last one did not have.
    const tick = () => {
      for (const name of Object.keys(this.subgraphUrls())) {
        if (this.asking.has(name)) continue;
        this.asking.add(name);
        void this.refresh(name).finally(() => this.asking.delete(name));
      }
    };
    this.timer = setInterval(tick, this.pollMs).unref();
    tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The known versions of these subgraphs; undefined for one not heard from yet. */
  snapshot(): Map<string, number> {
    return new Map(this.versions);
  }

  get(name: string): number | undefined {
    return this.versions.get(name);
  }

  /** Asks one subgraph now. A subgraph that does not answer keeps no version, so nothing of it is cached. */
  async refresh(name: string): Promise<void> {
    const url = this.subgraphUrls()[name];
    if (!url) return;
    try {
      const response = await fetch(url.replace(/\/graphql$/, '/version'), { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { dataVersion?: unknown };
      if (response.ok && typeof body.dataVersion === 'number') this.versions.set(name, body.dataVersion);
      else this.versions.delete(name);
    } catch {
      this.versions.delete(name);
    }
  }
}
