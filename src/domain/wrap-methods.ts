/** A repository method, as the wrappers below see it. */
export type Method = (...args: never[]) => unknown;

/**
 * A view of `target` whose methods are each wrapped by `wrap(name, method)`; anything else
 * passes through. Each wrapper is made once, on first use, so a call costs a map lookup, not a
 * new closure. The method it wraps is looked up on `target` at each call, so replacing a method
 * on the target (as a test may) still takes effect; assigning one on the view replaces it in
 * the view only. Used for every layer around a repository: the call checks
 * (call-checked-store.ts), the MongoDB store's outages, the server's metrics and traces.
 */
export function wrapMethods<T extends object>(target: T, wrap: (name: string, method: Method) => Method): T {
  const wrappers = new Map<string, unknown>();
  const overrides = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(_target, key) {
      if (overrides.has(key)) return overrides.get(key);
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== "function" || typeof key !== "string") return value;
      let wrapper = wrappers.get(key);
      if (!wrapper) {
        const current = ((...args: unknown[]) => (Reflect.get(target, key) as (...a: unknown[]) => unknown).apply(target, args)) as Method;
        wrappers.set(key, (wrapper = wrap(key, current)));
      }
      return wrapper;
    },
    set(_target, key, value) {
      overrides.set(key, value);
      return true;
    },
  });
}
