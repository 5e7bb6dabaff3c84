import { createHash } from 'node:crypto';
import type { Role } from '../platform/identity';
import type { DataVersions } from './versions';

/**
 * Answers to public and dashboard queries, kept for reuse. The scorecard is read far more often than the
 * records behind it change, so the same dashboard query is answered from here until one of the agencies
 * behind it commits a write.
 *
 * - Who may see an answer decides its key: the role class (public sees small counts withheld, dashboards
 *   see them exact), then the document, operation name and variables. Other roles (agencies, caseworkers,
 *   auditors) read personal data and are never cached.
 * - An entry remembers the data version of every subgraph its query plan asked; it is used only while all of
 *   them are unchanged (see versions.ts), and never after its time to live.
 * - Only answers without errors are kept, and only of queries.
 */
export type CacheableRole = 'public' | 'dashboard';

export function cacheableRole(role: Role): CacheableRole | undefined {
  return role === 'public' || role === 'dashboard' ? role : undefined;
}

export interface CachedAnswer {
  body: string;
  versions: Map<string, number>;
  expiresAt: number;
}

export interface ResponseCacheOptions {
  ttlMs: number;
  /** The most bytes of answers kept; the least recently used go first. */
  maxBytes: number;
}

export interface ResponseCacheStats {
  hits: number;
  misses: number;
  stored: number;
  entries: number;
  bytes: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;
  private readonly counters = { hits: 0, misses: 0, stored: 0 };

  constructor(
    private readonly options: ResponseCacheOptions,
    private readonly versions: DataVersions,
  ) {}

  get enabled(): boolean {
    return this.options.ttlMs > 0;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  key(role: CacheableRole, operation: { query?: unknown; operationName?: unknown; variables?: unknown }): string {
    return createHash('sha256')
      .update(JSON.stringify([role, operation.query ?? null, operation.operationName ?? null, operation.variables ?? null]))
      .digest('base64url');
  }

  get(key: string, now = Date.now()): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    const fresh = entry && entry.expiresAt > now && [...entry.versions].every(([name, version]) => this.versions.get(name) === version);
    if (!entry || !fresh) {
      if (entry) this.delete(key);
      this.counters.misses += 1;
      return undefined;
    }
    // Map order is the recency order: move the entry to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.counters.hits += 1;
    return entry;
  }

  /**
   * Keeps an answer computed under `versionsBefore` (the versions known when the request started) for the
   * subgraphs it asked. An answer behind a subgraph whose version is unknown is not kept.
   */
  set(key: string, body: string, services: Iterable<string>, versionsBefore: Map<string, number>, now = Date.now()): boolean {
    const versions = new Map<string, number>();
    for (const name of services) {
      const version = versionsBefore.get(name);
      if (version === undefined) return false;
      versions.set(name, version);
    }
    if (body.length > this.options.maxBytes / 10) return false;
    this.delete(key);
    this.entries.set(key, { body, versions, expiresAt: now + this.options.ttlMs });
    this.bytes += body.length;
    this.counters.stored += 1;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.delete(oldest);
    }
    return true;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.body.length;
    this.entries.delete(key);
  }

  stats(): ResponseCacheStats {
    return { ...this.counters, entries: this.entries.size, bytes: this.bytes };
  }
}
