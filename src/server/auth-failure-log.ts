import { createHmac, randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { AuthLimits } from "./auth-limits.js";

/** One refused authentication, as logged: never the credential itself, only its kind. */
export interface AuthFailure {
  source: string;
  procedure: string;
  credential: "api-key" | "client-token" | "none";
  /** Set while the source is backing off. */
  retryAfterMs: number;
}

export interface AuthFailureLog {
  record(failure: AuthFailure): void;
}

export type AuthFailureLogOptions = Pick<AuthLimits, "failureLogsPerSource" | "failureLogLines" | "trackedSources"> & { now: () => number };

const windowMs = 60_000;

/**
 * Logs failed authentication without letting a flood write a line per attempt: in each minute,
 * the first few failures of each source and a fixed number in all; the rest are counted, and
 * one summary line reports them when the minute is over (on a timer, or at the next failure if
 * the clock is not the system's).
 *
 * Sources appear as a keyed hash: lines about one source can be told apart and followed within
 * a process, but an address, which may be personal data, is never written.
 */
export function createAuthFailureLog(logger: Logger, opts: AuthFailureLogOptions): AuthFailureLog {
  const pepper = randomBytes(32);
  const pseudonym = (source: string) => createHmac("sha256", pepper).update(source).digest("base64url").slice(0, 12);
  const perSource = new LRUCache<string, { logged: number; suppressed: number }>({ max: opts.trackedSources });
  let windowEnd = -Infinity;
  let logged = 0;
  let suppressed = 0;
  let timer: NodeJS.Timeout | undefined;

  const endWindow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (suppressed > 0) {
      const sources = [...perSource.values()].filter((s) => s.suppressed > 0).length;
      logger.warn({ suppressed, sources, windowMs }, "authentication failures not logged");
    }
    perSource.clear();
    logged = 0;
    suppressed = 0;
  };

  return {
    record({ source, procedure, credential, retryAfterMs }) {
      const now = opts.now();
      if (now >= windowEnd) {
        endWindow();
        windowEnd = now + windowMs;
      }
      const counts = perSource.get(source) ?? { logged: 0, suppressed: 0 };
      perSource.set(source, counts);
      if (counts.logged < opts.failureLogsPerSource && logged < opts.failureLogLines) {
        counts.logged++;
        logged++;
        logger.warn({ source: pseudonym(source), procedure, credential, ...(retryAfterMs > 0 ? { retryAfterMs } : {}) }, "authentication failed");
        return;
      }
      counts.suppressed++;
      suppressed++;
      // Reports the count even if no failure comes after the flood; a clock that is not the
      // system's (a test's) may not have reached the window's end yet, and the next failure will.
      timer ??= setTimeout(() => {
        timer = undefined;
        if (opts.now() >= windowEnd) endWindow();
      }, windowEnd - now + 10).unref();
    },
  };
}
