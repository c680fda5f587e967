import { isDeepStrictEqual } from "node:util";
import type { Session } from "./session.js";

/** The lists a change only ever appends to; everything else in the aggregate is small and bounded. */
export const appendOnlyLists = ["submissions", "events", "audit", "analyses", "checks", "completedSteps"] as const;
export type AppendOnlyList = (typeof appendOnlyLists)[number];

/** Fields a session never changes after it is created, so no write carries them. */
const immutable = new Set<keyof Session>(["tenantId", "id", "workflow", "origin", "createTime", "billable", "replaces", "parentSessionId"]);

/** What one write changed: replaced top-level fields, removed ones, and what each list gained. */
export interface SessionDelta {
  set: Partial<Session>;
  unset: (keyof Session)[];
  append: Partial<{ [K in AppendOnlyList]: Session[K] }>;
}

const isAppendOnly = (key: string): key is AppendOnlyList => (appendOnlyLists as readonly string[]).includes(key);

/**
 * The delta from `previous` to `next`, so a store writes (and sends) only what changed, in
 * proportion to the change rather than to the session's history. The domain builds a new
 * version by spreading the old one, so unchanged fields are the same objects and a list's
 * old entries are shared: the check costs one comparison per field, never a walk of the history.
 */
export function sessionDelta(previous: Session, next: Session): SessionDelta {
  const delta: SessionDelta = { set: {}, unset: [], append: {} };
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)] as (keyof Session)[]);
  for (const key of keys) {
    const before = previous[key];
    const after = next[key];
    if (before === after || immutable.has(key)) continue;
    if (isAppendOnly(key)) {
      const old = before as readonly unknown[];
      const now = after as readonly unknown[];
      const kept = old.length === 0 || (now.length >= old.length && now[old.length - 1] === old[old.length - 1]);
      // A list rewritten rather than appended to is a bug in the rules, not something to persist.
      if (!kept) throw new Error(`sessionDelta: ${key} was rewritten, not appended to`);
      if (now.length > old.length) (delta.append as Record<string, unknown[]>)[key] = now.slice(old.length);
      continue;
    }
    if (after === undefined) delta.unset.push(key);
    else if (!isDeepStrictEqual(before, after)) (delta.set as Record<string, unknown>)[key] = after;
  }
  return delta;
}
