import { LRUCache } from "lru-cache";

/** What a sampler writes at most per window: lines about one key, and lines in all. */
export interface LogSamplerOptions {
  perKey: number;
  lines: number;
  /** Keys remembered; beyond these the least recently seen is forgotten (and may log again). */
  trackedKeys: number;
  now: () => number;
  /** Called once a window ends in which lines were held back. */
  onSuppressed(summary: { suppressed: number; keys: number; windowMs: number }): void;
}

export interface LogSampler {
  /** Whether a line about `key` may be written now; when not, it is counted for the window's summary. */
  admit(key: string): boolean;
}

const windowMs = 60_000;

/**
 * Keeps a flood of like events from writing a line each: in each minute, the first few lines
 * per key and a fixed number in all; the rest are counted, and one summary reports them when
 * the minute is over (on a timer, or at the next event if the clock is not the system's).
 */
export function createLogSampler(opts: LogSamplerOptions): LogSampler {
  const perKey = new LRUCache<string, { logged: number; suppressed: number }>({ max: opts.trackedKeys });
  let windowEnd = -Infinity;
  let logged = 0;
  let suppressed = 0;
  let timer: NodeJS.Timeout | undefined;

  const endWindow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (suppressed > 0) {
      const keys = [...perKey.values()].filter((k) => k.suppressed > 0).length;
      opts.onSuppressed({ suppressed, keys, windowMs });
    }
    perKey.clear();
    logged = 0;
    suppressed = 0;
  };

  return {
    admit(key) {
      const now = opts.now();
      if (now >= windowEnd) {
        endWindow();
        windowEnd = now + windowMs;
      }
      const counts = perKey.get(key) ?? { logged: 0, suppressed: 0 };
      perKey.set(key, counts);
      if (counts.logged < opts.perKey && logged < opts.lines) {
        counts.logged++;
        logged++;
        return true;
      }
      counts.suppressed++;
      suppressed++;
      // Reports the count even if nothing comes after the flood; a clock that is not the
      // system's (a test's) may not have reached the window's end yet, and the next event will.
      timer ??= setTimeout(() => {
        timer = undefined;
        if (opts.now() >= windowEnd) endWindow();
      }, windowEnd - now + 10).unref();
      return false;
    },
  };
}
