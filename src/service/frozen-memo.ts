import { LRUCache } from "lru-cache";
import { frozenUntil, ListRuns } from "./list-runs.js";

/**
 * Conversions remembered for frozen inputs. The embedded store keeps aggregates frozen and shares
 * their unchanged parts between versions (src/store/freeze.ts), so an old submission, analysis or
 * check is the same object in every later version: converting each one once makes a response cost
 * its change rather than the session's history. Only frozen inputs are remembered, as only they
 * cannot change behind the cache, and the caches are keyed weakly, so they live no longer than the
 * stored versions do. A remembered result is frozen too, as every later response shares it: a
 * caller that wants to change one copies it (see client-view.ts).
 */

/** `convert` for one value, remembered when the value is frozen. */
export function memoFrozen<T extends object, R extends object>(convert: (value: T) => R): (value: T) => R {
  return memoIn<T, R>(new WeakMap<T, R>(), convert);
}

/**
 * `convert` for one value, remembered when the value is frozen, for the `max` values converted
 * most recently. For results as large as a whole session: remembered weakly, every version a
 * client ever read would keep its message (and its encoding, shared-encoding.ts) for as long as
 * the store keeps the version, so what reads cost in memory would be the client's to choose.
 */
export function memoRecent<T extends object, R extends object>(convert: (value: T) => R, max: number): (value: T) => R {
  return memoIn<T, R>(new LRUCache<T, R>({ max }), convert);
}

/** `convert`, its results for frozen values kept in `cache` (a WeakMap, or a bounded LRU). */
function memoIn<T extends object, R extends object>(cache: { get(key: T): R | undefined; set(key: T, value: R): unknown }, convert: (value: T) => R): (value: T) => R {
  return (value) => {
    if (!Object.isFrozen(value)) return convert(value);
    let result = cache.get(value);
    if (result === undefined) cache.set(value, (result = freezeMessage(convert(value))));
    return result;
  };
}

/**
 * `convert` over a list, its frozen leading items remembered as one run (see list-runs.ts): for a
 * list that only grows, all but its newest items. A list rewritten instead (warning screens) is
 * converted again when it changes. The array returned is the caller's own unless every item was
 * remembered: then it is the remembered one, frozen.
 */
export function memoList<T extends object, R extends object>(convert: (value: T) => R): (list: readonly T[]) => R[] {
  const runs = new ListRuns<T, readonly R[]>();
  return (list) => {
    const hit = runs.find(list);
    if (hit?.length === list.length) return hit.result as R[];
    const out = hit ? hit.result.slice() : [];
    const frozen = frozenUntil(list, out.length);
    for (let i = out.length; i < list.length; i++) out.push(i < frozen ? freezeMessage(convert(list[i]!)) : convert(list[i]!));
    if (frozen > (hit?.length ?? 0)) runs.remember(list, frozen, Object.freeze(out.slice(0, frozen)));
    return out;
  };
}

/** Freezes a message and what it holds, stopping at what is frozen already (shared parts, frozen inputs' lists). */
function freezeMessage<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) freezeMessage(child);
  return value;
}
