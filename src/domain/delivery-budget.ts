import { LRUCache } from "lru-cache";

/** How many stream messages one budget may deliver: per second sustained, and at once after a quiet spell. */
export interface DeliveryRate {
  ratePerSecond: number;
  burst: number;
}

/**
 * A tenant's stream messages by default. Each message is a write on the event loop all tenants
 * share (tens of microseconds through the transport): 5,000 a second took a 2-core replica's
 * loop whole beside its calls (`npm run bench:noisy`), 2,000 leave the other tenants room. That
 * is still every event of a tenant calling at its full call budget, for two WatchEvents consumers.
 */
export const defaultDeliveryRate: DeliveryRate = { ratePerSecond: 2_000, burst: 10_000 };

/**
 * Token buckets for stream deliveries, one per key (a tenant's own streams, or its front ends'
 * together). Every message a stream sends costs work on the one event loop all tenants share,
 * and one write can reach thousands of streams, so a tenant's deliveries are paced here like
 * its calls are: a stream past its budget waits, its queue fills, and if it falls too far
 * behind it is ended with SUBSCRIBER_TOO_SLOW to resume from its cursor.
 */
export interface DeliveryBudget {
  /** Spends one delivery: undefined when it was there to spend, or a promise that resolves when it is. */
  take(key: string): Promise<void> | undefined;
}

interface Bucket {
  tokens: number;
  at: number;
  waiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

/** Keys remembered; beyond these the least recently used is forgotten and starts again full. */
const maxKeys = 10_000;

export function createDeliveryBudget({ ratePerSecond, burst }: DeliveryRate, now: () => number = () => performance.now()): DeliveryBudget {
  const buckets = new LRUCache<string, Bucket>({ max: maxKeys });
  const refill = (b: Bucket) => {
    const t = now();
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) * ratePerSecond) / 1000);
    b.at = t;
  };
  // One timer per bucket hands tokens to waiters in arrival order as they accrue.
  const schedule = (b: Bucket) => {
    if (b.timer) return;
    const waitMs = Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / ratePerSecond));
    b.timer = setTimeout(() => {
      b.timer = undefined;
      refill(b);
      while (b.tokens >= 1 && b.waiters.length > 0) {
        b.tokens--;
        b.waiters.shift()!();
      }
      if (b.waiters.length > 0) schedule(b);
    }, waitMs);
    b.timer.unref();
  };
  return {
    take(key) {
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { tokens: burst, at: now(), waiters: [] }));
      refill(b);
      if (b.waiters.length === 0 && b.tokens >= 1) {
        b.tokens--;
        return undefined;
      }
      const bucket = b;
      return new Promise<void>((resolve) => {
        bucket.waiters.push(resolve);
        schedule(bucket);
      });
    },
  };
}
