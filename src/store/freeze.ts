/**
 * Freezes a value and everything it holds, stopping at what is frozen already. The embedded
 * store keeps aggregates frozen so it can hand them out without copying (a read or a write then
 * costs the change, not the session's history) and no caller can change stored state behind its
 * back: a write to a frozen object throws in strict-mode code.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
  return value;
}

/**
 * A frozen copy of a value that may still be shared with the caller. Aggregates are trees of
 * plain objects, arrays and dates, which are copied and frozen in one walk here: structuredClone
 * costs several times more on the small values a write copies. Anything else (a Map, a class
 * instance) goes through structuredClone as before, and a function still throws as it did.
 */
export const frozenCopy = <T>(value: T): T => copyFrozen(value) as T;

function copyFrozen(value: unknown): unknown {
  if (typeof value !== "object") return typeof value === "function" || typeof value === "symbol" ? structuredClone(value) : value;
  if (value === null) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const source = value as unknown[];
    const out = new Array<unknown>(source.length);
    for (let i = 0; i < source.length; i++) out[i] = copyFrozen(source[i]);
    return Object.freeze(out);
  }
  if (proto === Object.prototype || proto === null) {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    if (keys.length > manyKeys && proto === Object.prototype && Object.getOwnPropertySymbols(source).length === 0) return copyWide(source, keys);
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = copyFrozen(source[key]);
    return Object.freeze(out);
  }
  if (proto === Date.prototype) return Object.freeze(new Date((value as Date).getTime()));
  return deepFreeze(structuredClone(value));
}

/**
 * Past this many keys, an object built key by key as above falls into V8's dictionary mode (a
 * hash table), and a session aggregate has about 27: every later read of a stored session, and
 * every copy the rules make of it, would then be slow. Such objects are cloned with a spread,
 * which keeps the source's fast layout, and then their values are copied.
 */
const manyKeys = 12;

function copyWide(source: Record<string, unknown>, keys: readonly string[]): unknown {
  const out: Record<string, unknown> = { ...source };
  for (const key of keys) {
    const value = out[key];
    if (typeof value === "object" || typeof value === "function" || typeof value === "symbol") out[key] = copyFrozen(value);
  }
  return Object.freeze(out);
}
