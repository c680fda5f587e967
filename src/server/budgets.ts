import { LRUCache } from "lru-cache";
import type { Budget } from "./call-limits.js";

/** How long to suggest waiting when calls in progress are at their cap: no end time is known, and one usually ends within this. */
export const busyRetryMs = 100;

/**
 * A call let through, to be released when it ends with the work it did beyond its price (see
 * domain/work-units.ts), or why it was not and when to retry.
 */
export type Admission = { release(work?: number): void } | Refused;

/**
 * A refused call: why, when to retry, and `earlyMs` > 0 when the caller had been refused before
 * and came back that much before the time it was given.
 */
export interface Refused {
  refused: "rate" | "calls";
  retryAfterMs: number;
  earlyMs: number;
}

export interface Budgets {
  /**
   * Lets one call costing `cost` through, or refuses it. A call that `holds` counts as in
   * progress until released, and its work is spent then: a dear call may leave its caller's
   * bucket in debt (down to minus one burst), which later calls wait out. Nothing is spent on
   * a refused call.
   */
  admit(key: string, cost: number, holds: boolean, now: number): Admission;
  /** Callers remembered; for tests. */
  readonly size: number;
}

interface Account {
  tokens: number;
  at: number;
  calls: number;
  /** The time the caller's latest refusal told it to come back (RetryInfo). */
  retryAt: number;
}

const released = { release() {} };

/**
 * One budget per key (a tenant, or a client token), remembered for the `maxKeys` callers seen
 * most recently, so memory stays bounded whatever keys arrive. A forgotten caller starts again
 * with a full bucket: forgetting never makes a budget smaller.
 */
export function createBudgets(budget: Budget, maxKeys: number): Budgets {
  const accounts = new LRUCache<string, Account>({ max: maxKeys });
  return {
    admit(key, cost, holds, now) {
      let account = accounts.get(key);
      if (!account) accounts.set(key, (account = { tokens: budget.burst, at: now, calls: 0, retryAt: 0 }));
      account.tokens = Math.min(budget.burst, account.tokens + ((now - account.at) * budget.ratePerSecond) / 1000);
      account.at = now;
      // A call dearer than the whole bucket costs the bucket, or it could never pass.
      const price = Math.min(cost, budget.burst);
      if (account.tokens < price) return refuse(account, "rate", Math.ceil(((price - account.tokens) * 1000) / budget.ratePerSecond), now);
      if (holds && account.calls >= budget.maxCalls) return refuse(account, "calls", busyRetryMs, now);
      account.tokens -= price;
      if (!holds) return released;
      account.calls++;
      const held = account;
      let done = false;
      return {
        release(work = 0) {
          if (done) return;
          done = true;
          held.calls--;
          if (work > 0) held.tokens = Math.max(-budget.burst, held.tokens - work);
        },
      };
    },
    get size() {
      return accounts.size;
    },
  };
}

function refuse(account: Account, refused: Refused["refused"], retryAfterMs: number, now: number): Refused {
  const earlyMs = Math.max(0, account.retryAt - now);
  account.retryAt = Math.max(account.retryAt, now + retryAfterMs);
  return { refused, retryAfterMs, earlyMs };
}
