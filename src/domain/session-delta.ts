import { isDeepStrictEqual, types } from "node:util";
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
  // previous's fields, then those only next has: the order the stored versions list them in.
  // for-in lists own keys in Object.keys order without making the array of them on every write.
  for (const key in previous) if (hasOwn(previous, key)) compareField(delta, previous, next, key as keyof Session);
  for (const key in next) if (hasOwn(next, key) && !hasOwn(previous, key)) compareField(delta, previous, next, key as keyof Session);
  return delta;
}

/** Adds what happened to one field between `previous` and `next` to `delta`. */
function compareField(delta: SessionDelta, previous: Session, next: Session, key: keyof Session): void {
  const before = previous[key];
  const after = next[key];
  if (before === after || immutable.has(key)) return;
  if (isAppendOnly(key)) {
    const old = before as readonly unknown[];
    const now = after as readonly unknown[];
    const kept = old.length === 0 || (now.length >= old.length && now[old.length - 1] === old[old.length - 1]);
    // A list rewritten rather than appended to is a bug in the rules, not something to persist.
    if (!kept) throw new Error(`sessionDelta: ${key} was rewritten, not appended to`);
    if (now.length > old.length) (delta.append as Record<string, unknown[]>)[key] = now.slice(old.length);
    return;
  }
  if (after === undefined) delta.unset.push(key);
  else if (!sameData(before, after)) (delta.set as Record<string, unknown>)[key] = after;
}

/**
 * isDeepStrictEqual, walked here for what aggregates hold (plain objects, arrays, primitives):
 * node's general comparison costs several times more on the small values every write compares.
 * Anything else is compared by isDeepStrictEqual itself, after a date's time, which tells apart
 * the dates most writes change (updateTime, decideTime) without its general walk. Unlike it, this
 * does not look for properties other than indices on arrays, which aggregates' lists never have.
 */
function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return isDeepStrictEqual(a, b);
  const proto: unknown = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return false;
  if (proto === Array.prototype) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      // A hole is isDeepStrictEqual's to judge (aggregates' lists, built by spreads, have none).
      if (!(i in x) || !(i in y)) return isDeepStrictEqual(a, b);
      if (!sameData(x[i], y[i])) return false;
    }
    return true;
  }
  if (proto === Date.prototype && types.isDate(a) && types.isDate(b) && a.getTime() !== b.getTime()) return false;
  if (proto !== Object.prototype && proto !== null) return isDeepStrictEqual(a, b);
  if (Object.getOwnPropertySymbols(a).length > 0 || Object.getOwnPropertySymbols(b).length > 0) return isDeepStrictEqual(a, b);
  // for-in rather than Object.keys: no key arrays made for each object compared. It also lists
  // inherited enumerable keys, which plain objects have none of, so own ones are counted apart.
  let count = 0;
  for (const key in a) {
    if (!hasOwn(a, key)) continue;
    if (!hasOwn(b, key) || !sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
    count++;
  }
  for (const key in b) if (hasOwn(b, key)) count--;
  return count === 0;
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);
