import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Identity } from '../platform/identity';

/**
 * Per-client request budgets, per minute: for a caller with credentials the budget is theirs (an API key
 * label or a JWT subject), for the public it is per IP address. A caller over budget gets HTTP 429 with
 * Retry-After. Counters live in this gateway process: with several replicas behind a load balancer each
 * holds its own, so the effective budget is the per-replica one times the replicas a client reaches.
 */
export type RateClass = 'public' | 'dashboard' | 'staff';

/** The budget of requests whose credentials are wrong, per client address: a key or token cannot be guessed at speed. */
const WRONG_CREDENTIALS = 'wrongCredentials';

export interface RateLimitSettings {
  /** Requests per minute; 0 turns the limit off for that class. */
  perMinute: Record<RateClass, number>;
  /** Requests with wrong credentials per minute and client address, answered 401 until spent, then 429; 0 = no limit. */
  wrongCredentialsPerMinute: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds to wait, when refused. */
  retryAfterSeconds?: number;
  limit?: number;
}

function rateClass(role: Identity['role']): RateClass {
  return role === 'public' || role === 'dashboard' ? role : 'staff';
}

export class RateLimits {
  private readonly limiters = new Map<string, { limiter: RateLimiterMemory; perMinute: number }>();

  constructor(settings: RateLimitSettings) {
    const budgets: [string, number][] = [...Object.entries(settings.perMinute), [WRONG_CREDENTIALS, settings.wrongCredentialsPerMinute]];
    for (const [name, perMinute] of budgets) {
      if (perMinute > 0) this.limiters.set(name, { limiter: new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: name }), perMinute });
    }
  }

  /** Spends one request of the caller's budget. */
  take(identity: Identity, address: string | undefined): Promise<RateDecision> {
    const kind = rateClass(identity.role);
    return this.spend(kind, kind === 'public' ? `ip:${address ?? 'unknown'}` : `subject:${identity.subject}`);
  }

  /** Spends one request of the address's budget for wrong credentials. */
  takeWrongCredentials(address: string | undefined): Promise<RateDecision> {
    return this.spend(WRONG_CREDENTIALS, `ip:${address ?? 'unknown'}`);
  }

  private async spend(budget: string, key: string): Promise<RateDecision> {
    const entry = this.limiters.get(budget);
    if (!entry) return { allowed: true };
    try {
      await entry.limiter.consume(key);
      return { allowed: true };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), limit: entry.perMinute };
    }
  }
}
