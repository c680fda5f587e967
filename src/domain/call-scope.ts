import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The call a piece of work is done for, found without threading it through every use case:
 * the server runs each handler inside a scope (see interceptors/deadline.ts), and the store
 * asks the scope before every read or write whether the call is still wanted (call-checked-store.ts).
 */
export interface CallScope {
  /** Why the call's work must stop now (its deadline passed, its caller went away); undefined while it may go on. */
  stopReason(): Error | undefined;
}

const calls = new AsyncLocalStorage<CallScope>();

/** Runs `work`, and everything it awaits or starts, as part of the call `scope` describes. */
export function runInCall<T>(scope: CallScope, work: () => T): T {
  return calls.run(scope, work);
}

/** Throws why the current call must stop. Outside any call (the sweeper, startup) it never throws. */
export function throwIfCallStopped(): void {
  const reason = calls.getStore()?.stopReason();
  if (reason) throw reason;
}
