import type { CheckInput, Violation } from "./checks.js";
import type { FeedEntry, TenantTruth } from "./final-state.js";
import type { Delivery, Subscription } from "./history.js";

/** Stream endings that are part of the contract: the client resumes from its cursor. */
// FEED_UNAVAILABLE: a replica whose event feed broke ends its streams so they resume elsewhere or later.
const resumable = new Set(["SUBSCRIBER_TOO_SLOW", "SHUTTING_DOWN", "TOO_MANY_STREAMS", "FEED_UNAVAILABLE"]);
const terminal = new Set(["RESOLVED", "FAILED"]);

/** What a subscription must have received, and from which delivery on it is checked. */
export interface Expected {
  events: FeedEntry[];
  /** Heartbeat cursors must not pass undelivered events of `events`. */
  heartbeats: boolean;
}

const eventsOf = (sub: Subscription) => sub.segments.flatMap((s) => s.deliveries).filter((d): d is Extract<Delivery, { kind: "event" }> => d.kind === "event");

/** The events a subscription should see, per the final feed; undefined when its start cannot be told. */
export function expectedFor(sub: Subscription, truth: TenantTruth): Expected | undefined {
  if (sub.kind === "WatchSession") {
    const events = truth.feed.filter((e) => e.sessionId === sub.sessionId);
    const after = Number(sub.segments[0]?.after ?? "0");
    const rest = events.filter((e) => e.sequence > after);
    // WatchSession ends at the session's terminal event; what comes after it (a later
    // AUTHENTICATED, a review's DECISION, REPLACED) is not delivered.
    const end = rest.findIndex((e) => terminal.has(e.type));
    return { events: end < 0 ? rest : rest.slice(0, end + 1), heartbeats: false };
  }
  const passes = (e: FeedEntry) => (!sub.filter?.workflow || e.workflow === sub.filter.workflow) && (!sub.filter?.types || sub.filter.types.includes(e.type));
  const first = sub.segments[0];
  // Where it starts, as a test on cursors (which compare in feed order; a cursor need not be an event's).
  let after: (cursor: string) => boolean;
  if (first?.fromBeginning) after = () => true;
  else if (first?.after !== undefined) after = (c) => c > first.after!;
  else {
    // From now: the stream's start is only known from its first message that names a cursor.
    const message = sub.segments.flatMap((s) => s.deliveries).find((d) => d.cursor !== "");
    if (!message) return undefined;
    after = message.kind === "event" ? (c) => c >= message.cursor : (c) => c > message.cursor;
  }
  return { events: truth.feed.filter((e) => after(e.cursor) && passes(e)), heartbeats: true };
}

/** Whether the subscription received as many events as it should have by now (their order is the check's business). */
export function caughtUp(sub: Subscription, expected: Expected): boolean {
  const got = eventsOf(sub);
  return got.length >= expected.events.length;
}

/**
 * Check 3, every subscriber saw every event of its filter exactly once and in order: the
 * events it received across all its resumptions equal the final feed's events for it (the
 * session's from its start sequence up to its terminal event; the tenant's filtered feed after
 * its start cursor), with no gap and no repeat; no heartbeat cursor passes an event not yet
 * delivered (resuming from it would lose that event, SPEC §8); subscriptions live at the end
 * caught up. The feed itself is checked too: per-session sequences 1..n without gaps, n being
 * the session's last sequence, and every cursor once.
 */
export function checkSubscriptions({ history, truths }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const truth of truths.values()) {
    for (const problem of truth.problems.filter((p) => p.check === "subscriptions")) out.push({ check: "subscriptions", message: `final read of tenant ${truth.tenant}: ${problem.message}` });
    if (new Set(truth.feed.map((e) => e.cursor)).size !== truth.feed.length) out.push({ check: "subscriptions", message: `tenant ${truth.tenant}'s feed repeats cursors` });
    const perSession = new Map<string, number[]>();
    for (const e of truth.feed) perSession.set(e.sessionId, [...(perSession.get(e.sessionId) ?? []), e.sequence]);
    for (const [id, session] of truth.sessions) {
      const got = perSession.get(id) ?? [];
      const n = Number(session.lastEventSequence);
      if (got.length !== n || got.some((s, i) => s !== i + 1)) {
        out.push({ check: "subscriptions", message: `tenant ${truth.tenant}'s feed holds session ${id}'s events as [${got.slice(0, 40).join(",")}], expected 1..${n}` });
      }
    }
  }

  for (const sub of history.subscriptions) {
    const truth = truths.get(sub.tenant);
    if (!truth) continue;
    for (const [i, segment] of sub.segments.entries()) {
      // INTERNAL and UNKNOWN are the codes check's (which knows the injected faults).
      if (segment.end?.how === "error" && !resumable.has(segment.end.reason ?? "") && segment.end.code !== "Internal" && segment.end.code !== "Unknown") {
        out.push({ check: "subscriptions", message: `${sub.kind} stream ${sub.id}#${i} on instance ${segment.instance} failed: ${segment.end.code} ${segment.end.reason} ${segment.end.message ?? ""}`, details: { filter: sub.filter, session: sub.sessionId } });
      }
      if (sub.kind === "WatchSession" && segment.end?.how === "end" && !terminal.has(eventsOf({ ...sub, segments: [segment] }).at(-1)?.type ?? "")) {
        out.push({ check: "subscriptions", message: `WatchSession stream ${sub.id}#${i} (session ${sub.sessionId}) ended without delivering the terminal event`, details: { instance: segment.instance, protocol: segment.protocol } });
      }
    }
    const expected = expectedFor(sub, truth);
    if (!expected) continue;
    const got = eventsOf(sub);
    const key = (e: { sessionId: string; sequence: number; type: string }) => `${e.sessionId}#${e.sequence}:${e.type}`;
    const deviation = got.findIndex((e, i) => !expected.events[i] || key(e) !== key(expected.events[i]!));
    if (deviation >= 0) {
      const e = got[deviation]!;
      const want = expected.events[deviation];
      const repeat = got.slice(0, deviation).some((x) => key(x) === key(e));
      const segmentIndex = segmentOf(sub, deviation);
      out.push({
        check: "subscriptions",
        message: `${sub.kind} ${sub.id} ${repeat ? "received a repeat of" : "received"} ${key(e)} where ${want ? `${key(want)} (cursor ${want.cursor})` : "nothing more"} was due: ${repeat ? "a duplicate" : want ? "a gap or reordering" : "an event that is not in the feed"}`,
        details: {
          filter: sub.filter,
          session: sub.sessionId,
          atDelivery: deviation,
          segment: segmentIndex,
          resumedAfter: sub.segments[segmentIndex]?.after,
          previous: summarizeSegment(sub, segmentIndex - 1),
          thisSegment: summarizeSegment(sub, segmentIndex),
        },
      });
      continue;
    }
    if (expected.heartbeats) {
      const v = heartbeatPastUndelivered(sub, expected, truth);
      if (v) out.push(v);
    }
    if (sub.closed?.why === "stopped" && got.length < expected.events.length) {
      const missing = expected.events[got.length]!;
      out.push({
        check: "subscriptions",
        message: `${sub.kind} ${sub.id} did not catch up: it received ${got.length} of ${expected.events.length} events; first missing ${key(missing)} (cursor ${missing.cursor})`,
        details: { filter: sub.filter, session: sub.sessionId, segments: sub.segments.length, last: summarizeSegment(sub, sub.segments.length - 1) },
      });
    }
    if (sub.closed?.why === "terminal" && got.length !== expected.events.length) {
      out.push({ check: "subscriptions", message: `WatchSession ${sub.id} ended at the terminal event after ${got.length} of ${expected.events.length} events`, details: { session: sub.sessionId } });
    }
  }
  return out;
}

/** A heartbeat whose cursor is at or past an expected event the subscription had not received yet. */
function heartbeatPastUndelivered(sub: Subscription, expected: Expected, truth: TenantTruth): Violation | undefined {
  let delivered = 0;
  for (const [i, segment] of sub.segments.entries()) {
    for (const d of segment.deliveries) {
      if (d.kind === "event") {
        delivered++;
        continue;
      }
      if (d.cursor === "") continue;
      // A heartbeat's cursor need not be an event's (a replica may stand between two events):
      // the contract is only that cursors compare in feed order and everything at or below it was delivered.
      const owed = expected.events.filter((e) => e.cursor <= d.cursor).length;
      if (owed > delivered) {
        const lost = expected.events[delivered]!;
        const resumed = sub.segments.slice(i + 1).some((s) => s.after === d.cursor);
        return {
          check: "subscriptions",
          message: `WatchEvents ${sub.id} got a heartbeat with cursor ${d.cursor} before ${owed - delivered} event(s) at or below it were delivered (first: ${lost.sessionId}#${lost.sequence}:${lost.type}, cursor ${lost.cursor})${resumed ? "; it resumed from that cursor" : ""}`,
          details: { filter: sub.filter, segment: i, instance: segment.instance, protocol: segment.protocol, resumedAfter: segment.after, deliveredBefore: delivered },
        };
      }
    }
  }
  return undefined;
}

function segmentOf(sub: Subscription, eventIndex: number): number {
  let seen = 0;
  for (const [i, s] of sub.segments.entries()) {
    seen += s.deliveries.filter((d) => d.kind === "event").length;
    if (seen > eventIndex) return i;
  }
  return sub.segments.length - 1;
}

function summarizeSegment(sub: Subscription, i: number) {
  const s = sub.segments[i];
  if (!s) return undefined;
  const tail = s.deliveries.slice(-3).map((d) => (d.kind === "event" ? `${d.sessionId}#${d.sequence}:${d.type}@${d.cursor}` : `heartbeat@${d.cursor}`));
  return { instance: s.instance, protocol: s.protocol, after: s.after, deliveries: s.deliveries.length, tail, end: s.end };
}
