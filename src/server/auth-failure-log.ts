import { createHmac, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { AuthLimits } from "./auth-limits.js";
import { createLogSampler } from "./log-sampler.js";

/** One refused authentication, as logged: never the credential itself, only its kind. */
export interface AuthFailure {
  source: string;
  procedure: string;
  credential: "api-key" | "client-token" | "link-token" | "none";
  /** Set while the source is backing off. */
  retryAfterMs: number;
}

export interface AuthFailureLog {
  record(failure: AuthFailure): void;
}

export type AuthFailureLogOptions = Pick<AuthLimits, "failureLogsPerSource" | "failureLogLines" | "trackedSources"> & { now: () => number };

/**
 * Logs failed authentication without letting a flood write a line per attempt (see
 * log-sampler.ts): the first few failures of each source per minute and a fixed number in all,
 * the rest reported in one summary line.
 *
 * Sources appear as a keyed hash: lines about one source can be told apart and followed within
 * a process, but an address, which may be personal data, is never written.
 */
export function createAuthFailureLog(logger: Logger, opts: AuthFailureLogOptions): AuthFailureLog {
  const pepper = randomBytes(32);
  const pseudonym = (source: string) => createHmac("sha256", pepper).update(source).digest("base64url").slice(0, 12);
  const sampler = createLogSampler({
    perKey: opts.failureLogsPerSource,
    lines: opts.failureLogLines,
    trackedKeys: opts.trackedSources,
    now: opts.now,
    onSuppressed: ({ suppressed, keys, windowMs }) => logger.warn({ suppressed, sources: keys, windowMs }, "authentication failures not logged"),
  });
  return {
    record({ source, procedure, credential, retryAfterMs }) {
      if (!sampler.admit(source)) return;
      logger.warn({ source: pseudonym(source), procedure, credential, ...(retryAfterMs > 0 ? { retryAfterMs } : {}) }, "authentication failed");
    },
  };
}
