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

/** A frozen copy of a value that may still be shared with the caller. */
export const frozenCopy = <T>(value: T): T => deepFreeze(structuredClone(value));
