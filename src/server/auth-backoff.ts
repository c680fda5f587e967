import { LRUCache } from "lru-cache";
import type { AuthLimits } from "./auth-limits.js";

export interface AuthBackoff {
  /** Milliseconds until `source` may fail again; 0 while it has allowance left. */
  retryAfterMs(source: string): number;
  /** Spends one failure of the source's allowance; returns retryAfterMs afterwards. */
  fail(source: string): number;
  /** Sources remembered. */
  size(): number;
}

export type AuthBackoffOptions = Pick<AuthLimits, "failureBurst" | "failuresPerMinute" | "trackedSources"> & { now: () => number };

/**
 * A token bucket per source, kept as one number (GCRA): the time at which its allowance would
 * be whole again. Each failure moves it one interval later; a source may fail while it lies
 * less than a burst ahead of now. Sources live in an LRU, so a flood from many addresses costs
 * bounded memory; a forgotten source starts again with a full allowance.
 */
export function createAuthBackoff(opts: AuthBackoffOptions): AuthBackoff {
  const interval = 60_000 / opts.failuresPerMinute;
  const slack = (opts.failureBurst - 1) * interval;
  const full = new LRUCache<string, number>({ max: opts.trackedSources });
  const wait = (source: string, now: number) => Math.max(0, Math.ceil((full.get(source) ?? now) - slack - now));
  return {
    retryAfterMs: (source) => wait(source, opts.now()),
    fail(source) {
      const now = opts.now();
      full.set(source, Math.max(full.get(source) ?? now, now) + interval);
      return wait(source, now);
    },
    size: () => full.size,
  };
}
