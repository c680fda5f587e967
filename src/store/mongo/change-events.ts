import type { ChangeStreamDocument, Timestamp } from "mongodb";
import type { FeedEvent } from "../../domain/event-feed.js";
import { fromStoredEvent, type SessionDoc, type StoredEvent } from "./documents.js";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/**
 * A feed cursor from a change's cluster time (seconds, increment: unique and ordered across the
 * replica set) and the event's index within the write. `t` and `i` are the unsigned halves, so
 * cursors stay ordered past 2038, when the signed high word turns negative.
 */
export const clusterCursor = (ts: Timestamp, index: number) => hex(ts.t, 8) + hex(ts.i, 8) + hex(index, 8);

/** The cursor just below every event of a write at `ts`: where a feed started at `ts` stands. */
export function cursorBefore(ts: Timestamp): string {
  if (ts.i > 0) return hex(ts.t, 8) + hex(ts.i - 1, 8) + "ffffffff";
  return ts.t > 0 ? hex(ts.t - 1, 8) + "ffffffffffffffff" : "0".repeat(24);
}

/** The seconds part of a cursor: when its write happened, on the server's clock. */
export const cursorSeconds = (cursor: string) => parseInt(cursor.slice(0, 8), 16);

export const cursorPattern = /^[0-9a-f]{24}$/;

/**
 * The events a committed write added, from its change event: all of an inserted document's,
 * and for an update the list entries it appended, which the server reports as `events.<n>`
 * (or, should it report the whole list, those from `eventsBefore` on).
 */
export function feedEventsOf(change: ChangeStreamDocument<SessionDoc>): FeedEvent[] {
  const ts = change.clusterTime;
  if (!ts) return [];
  let added: StoredEvent[] = [];
  let sessionId: string;
  if (change.operationType === "insert" || change.operationType === "replace") {
    if (!change.fullDocument) return [];
    sessionId = change.fullDocument._id;
    added = change.fullDocument.events.slice(change.operationType === "insert" ? 0 : change.fullDocument.eventsBefore);
  } else if (change.operationType === "update") {
    sessionId = String(change.documentKey._id);
    const fields = change.updateDescription.updatedFields ?? {};
    const whole = (fields as { events?: StoredEvent[] }).events;
    if (whole) {
      added = whole.slice(Number((fields as { eventsBefore?: number }).eventsBefore ?? 0));
    } else {
      added = Object.entries(fields)
        .filter(([path]) => /^events\.\d+$/.test(path))
        .sort(([a], [b]) => Number(a.slice(7)) - Number(b.slice(7)))
        .map(([, value]) => value as StoredEvent);
    }
  } else {
    return [];
  }
  return added.map((stored, index) => ({
    tenantId: stored.tenantId,
    sessionId,
    workflow: stored.workflow,
    cursor: clusterCursor(ts, index),
    event: fromStoredEvent(stored),
  }));
}
