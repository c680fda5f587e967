import type { UpdateFilter } from "mongodb";
import { sessionDelta } from "../../domain/session-delta.js";
import { closedStates, type Session } from "../../domain/session.js";
import { clean, toStoredEvent, type SessionDoc } from "./documents.js";

/**
 * The update command for a write from `previous` to `next`: `$set` of the fields that changed
 * and `$push` of what each list gained, so the bytes sent, the oplog entry and the change event
 * are all in proportion to the change, not to the session's history.
 */
export function sessionUpdate(previous: Session, next: Session): UpdateFilter<SessionDoc> {
  const delta = sessionDelta(previous, next);
  const $set: Record<string, unknown> = clean({ ...delta.set });
  if (delta.set.state !== undefined) $set["open"] = !closedStates.has(next.state);
  const $push: Record<string, { $each: unknown[] }> = {};
  for (const [list, items] of Object.entries(delta.append) as [string, unknown[]][]) {
    $push[list] = { $each: list === "events" ? (items as Session["events"]).map((e) => toStoredEvent(next, e)) : clean(items) };
  }
  if (delta.append.events) $set["eventsBefore"] = previous.events.length;
  const update: Record<string, unknown> = { $set };
  if (Object.keys($push).length) update["$push"] = $push;
  if (delta.unset.length) update["$unset"] = Object.fromEntries(delta.unset.map((key) => [key, ""]));
  return update as UpdateFilter<SessionDoc>;
}
