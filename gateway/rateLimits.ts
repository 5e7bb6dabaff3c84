import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Identity } from '../platform/identity';

/**
 * Per-client request budgets, per minute: for a caller with credentials the budget is theirs (an API key
 * label or a JWT subject), for the public it is per IP address. A caller over budget gets HTTP 429 with
 * Retry-After. Counters live in this gateway process: with several replicas behind a load balancer each
 * holds its own, so the effective budget is the per-replica one times the replicas a client reaches.
 */
export type RateClass = 'public' | 'dashboard' | 'staff';

export interface RateLimitSettings {
  /** Requests per minute; 0 turns the limit off for that class. */
  perMinute: Record<RateClass, number>;
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
  private readonly limiters = new Map<RateClass, RateLimiterMemory>();

  constructor(private readonly settings: RateLimitSettings) {
    for (const [name, points] of Object.entries(settings.perMinute) as [RateClass, number][]) {
      if (points > 0) this.limiters.set(name, new RateLimiterMemory({ points, duration: 60, keyPrefix: name }));
    }
  }

  /** Spends one request of the caller's budget. */
  async take(identity: Identity, address: string | undefined): Promise<RateDecision> {
    const kind = rateClass(identity.role);
    const limiter = this.limiters.get(kind);
    if (!limiter) return { allowed: true };
    const key = kind === 'public' ? `ip:${address ?? 'unknown'}` : `subject:${identity.subject}`;
    try {
      await limiter.consume(key);
      return { allowed: true };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), limit: this.settings.perMinute[kind] };
    }
  }
}
