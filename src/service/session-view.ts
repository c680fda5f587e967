import type * as domain from "../domain/session.js";
import { chargeBytes } from "../domain/work-units.js";
import { SessionSchema, type Session } from "../../gen/sessionflow/v1/session_pb.js";
import { SessionView } from "../../gen/sessionflow/v1/session_service_pb.js";
import { sessionToProto } from "./mapping.js";
import { encodeShared } from "./shared-encoding.js";
import type { Validator } from "./validation.js";

/** How much of a session a read returns (AIP-157); see SessionView in session_service.proto. */
export type ViewName = "BASIC" | "FULL";

/**
 * Page sizes of ListSessions per view. A FULL session is about 2 MiB at worst (every list at
 * its cap, every value at its largest), a BASIC one a few KiB, so either page stays bounded.
 */
export const pageSizes: Record<ViewName, { fallback: number; max: number }> = {
  BASIC: { fallback: 50, max: 100 },
  FULL: { fallback: 10, max: 10 },
};

/** Encoded bytes a FULL page stops short of: a page of large sessions holds fewer, at least one. */
export const fullPageBytes = 1024 * 1024;

/**
 * One page of a listing from its rows (one more than `limit` tells whether more follow), in
 * `view`. A FULL page stops before the session that would take it past fullPageBytes, so its
 * size is bounded by that or by its one session, whatever page size was asked for.
 */
export function sessionPage(rows: readonly domain.Session[], view: ViewName, limit: number): { sessions: Session[]; lastId?: string; more: boolean } {
  const sessions: Session[] = [];
  let bytes = 0;
  for (const row of rows.slice(0, limit)) {
    if (view === "FULL") {
      const size = encodedSize(row);
      if (bytes + size > fullPageBytes && sessions.length > 0) break;
      bytes += size;
    }
    sessions.push(sessionInView(row, view));
  }
  chargeBytes(bytes);
  return { sessions, ...(sessions.length ? { lastId: rows[sessions.length - 1]!.id } : {}), more: rows.length > sessions.length };
}

/**
 * Bills a read of one session in `view` for its size. Only sessions with long histories are
 * measured (a short one is a few KiB, within the call's own price), so ordinary reads never
 * encode twice.
 */
export function chargeRead(session: domain.Session, view: ViewName): void {
  if (view === "FULL" && session.submissions.length + session.events.length > longHistory) chargeBytes(encodedSize(session));
}
const longHistory = 64;

/**
 * A session's encoded size in the FULL view. The embedded store hands out the same frozen
 * aggregate until it changes, so the size is worked out once per version, not on every listing,
 * and encodeShared reuses what the versions before it encoded.
 */
const sizes = new WeakMap<domain.Session, number>();
function encodedSize(session: domain.Session): number {
  let size = sizes.get(session);
  if (size === undefined) sizes.set(session, (size = encodeShared(SessionSchema, sessionToProto(session)).byteLength));
  return size;
}

/** The view a request asks for, or `fallback` when it names none; an unknown value is a violation of `view`. */
export function viewOf(requested: SessionView, fallback: ViewName, v: Validator): ViewName {
  v.check(requested in SessionView, "view", "must be a known session view");
  return requested === SessionView.FULL ? "FULL" : requested === SessionView.BASIC ? "BASIC" : fallback;
}

export function sessionInView(session: domain.Session, view: ViewName, replacedBy?: string): Session {
  return sessionToProto(view === "FULL" ? session : basic(session), replacedBy);
}

/** The session with the lists that grow with each call emptied before mapping, so they are never built. */
function basic(session: domain.Session): domain.Session {
  return {
    ...session,
    submissions: [],
    analyses: [],
    warningScreens: [],
    checks: [],
    completedSteps: [],
    ...(session.risk ? { risk: { ...session.risk, reasons: [] } } : {}),
  };
}
