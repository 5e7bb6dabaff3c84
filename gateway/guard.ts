import CircuitBreaker from 'opossum';

/**
 * What stands between a caller and a subgraph that is slow, frozen or down, one guard per subgraph:
 * - a timeout: a subgraph that does not answer within its time costs the caller that time and no more, and
 *   never more than what is left of the whole request's deadline;
 * - a circuit breaker (opossum): after repeated failures the circuit opens and calls to that subgraph fail
 *   at once, so a dead agency costs callers nothing; after a pause one probe is let through (half-open),
 *   and a good answer closes the circuit again;
 * - retries for queries only (a mutation is never sent twice), once, on a failed connection, and only
 *   within a budget of about one retry per ten requests, so retries cannot multiply load on a struggling
 *   subgraph.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface GuardSettings {
  timeoutMs: number;
  /** Failure share, in percent, over the rolling window, from which the circuit opens. */
  failurePercent: number;
  /** Requests in the window before the share counts. */
  minimumRequests: number;
  /** How long the circuit stays open before a probe. */
  resetMs: number;
  /** Retries allowed per 100 requests (the budget), at least one in reserve. */
  retryPercent: number;
}

export class SubgraphTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export class CircuitOpen extends Error {
  constructor() {
    super('circuit open after repeated failures');
  }
}

/** A failure of the subgraph itself (an answer with status 5xx): counts against the circuit like a lost connection. */
export class SubgraphFault extends Error {
  constructor(readonly answer: { status: number; contentType: string; body: string }) {
    super(`HTTP ${answer.status}`);
  }
}

/** Failures worth one retry: the connection broke before an answer (not a timeout, not an answer). */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code ?? '');
}

/** An abort, by a signal's timeout or its controller: what a fetch cut off by its time throws. */
function isAbort(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * Waits for `work`, but no longer than `signal` allows. A fetch normally stops on its own signal; one shared
 * with an identical fetch in flight (see subgraphClient.ts) runs under the first caller's signal instead,
 * and a later caller with less time left must not wait on it past its own time.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class SubgraphGuard {
  private readonly breaker: CircuitBreaker<[(signal: AbortSignal) => Promise<unknown>, number], unknown>;
  private retryTokens: number;

  constructor(
    readonly name: string,
    private readonly settings: GuardSettings,
  ) {
    this.retryTokens = 1;
    this.breaker = new CircuitBreaker(
      async (attempt: (signal: AbortSignal) => Promise<unknown>, timeoutMs: number) => {
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          return await untilAborted(attempt(signal), signal);
        } catch (error) {
          // Our own time ran out, or the identical fetch in flight we shared ran out of its caller's.
          if (signal.aborted || isAbort(error)) throw new SubgraphTimeout(timeoutMs);
          throw error;
        }
      },
      {
        // The timeout is ours (it aborts the request); opossum's own would only stop waiting for it.
        timeout: false,
        errorThresholdPercentage: settings.failurePercent,
        volumeThreshold: settings.minimumRequests,
        resetTimeout: settings.resetMs,
        rollingCountTimeout: 10_000,
        name,
      },
    );
  }

  /** Calls `listener` each time the circuit changes state: for the metrics and a log line when a subgraph is cut off. */
  onStateChange(listener: (state: CircuitState) => void): void {
    this.breaker.on('open', () => listener('open'));
    this.breaker.on('halfOpen', () => listener('half-open'));
    this.breaker.on('close', () => listener('closed'));
  }

  get state(): CircuitState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /**
   * Runs one call to the subgraph under the guard. `deadline` is when the caller's whole request must be
   * answered; `retryable` is true for queries.
   */
  async call<T>(attempt: (signal: AbortSignal) => Promise<T>, options: { deadline?: number; retryable: boolean }): Promise<T> {
    this.retryTokens = Math.min(this.retryTokens + this.settings.retryPercent / 100, 10);
    for (let tries = 1; ; tries += 1) {
      const left = options.deadline === undefined ? this.settings.timeoutMs : options.deadline - Date.now();
      const timeoutMs = Math.min(this.settings.timeoutMs, left);
      if (timeoutMs <= 0) throw new SubgraphTimeout(0);
      try {
        return (await this.breaker.fire(attempt as (signal: AbortSignal) => Promise<unknown>, timeoutMs)) as T;
      } catch (error) {
        if ((error as { code?: string }).code === 'EOPENBREAKER') throw new CircuitOpen();
        if (!options.retryable || tries > 1 || !isConnectionFailure(error) || this.retryTokens < 1) throw error;
        this.retryTokens -= 1;
      }
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
