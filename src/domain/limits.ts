import { DomainError } from "./errors.js";
import type { Session } from "./session.js";

/**
 * Caps on everything a session accumulates, so that no sequence of calls can grow one
 * aggregate (one MongoDB document) without bound. The README states the worst-case size these
 * allow; test/store/document-size.test.ts fills every list to its cap and measures it.
 */
export const sessionLimits = {
  /** Submissions one session holds. */
  submissions: 200,
  /** Check results reported to one session. */
  checks: 50,
  /** Links issued for one session (URL recovery). */
  links: 20,
  /** Audit records written by requests; every mutating call adds exactly one. */
  auditRecords: 320,
  /** Lifecycle events; a single call adds a handful (analyses, screens, decision, outcome). */
  events: 1000,
  /**
   * Room kept past the request caps for what the service itself writes (expiry, the REPLACED
   * marker, the decision that goes with them), so a full session can still be closed.
   */
  systemReserve: 8,
} as const;

const full = (what: string, cap: number) =>
  new DomainError("SESSION_FULL", `the session holds the most ${what} it may (${cap}); start a new session`, [], { limit: what, max: String(cap) });

/** Refuses a request's change when the session has no room for another audited request. */
export function requireRoomForRequest(session: Session): void {
  if (session.audit.length >= sessionLimits.auditRecords) throw full("audit records", sessionLimits.auditRecords);
}

/** Refuses a request's result that holds more events than a request may leave room for. */
export function requireEventRoom(next: Session): void {
  const cap = sessionLimits.events - sessionLimits.systemReserve;
  if (next.events.length > cap) throw full("events", cap);
}

export function requireRoomFor(session: Session, list: "submissions" | "checks" | "links"): void {
  const count = list === "submissions" ? session.submissions.length : list === "checks" ? session.checks.length : session.linkVersion;
  if (count >= sessionLimits[list]) throw full(list, sessionLimits[list]);
}
