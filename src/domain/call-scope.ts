import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The call a piece of work is done for, found without threading it through every use case:
 * the server runs each handler inside a scope (see interceptors/deadline.ts), and the store
 * asks the scope before every read or write whether the call is still wanted (call-checked-store.ts).
 */
export interface CallScope {
  /** Why the call's work must stop now (its deadline passed, its caller went away); undefined while it may go on. */
  stopReason(): Error | undefined;
  /**
   * Work the call did beyond its fixed price, in units of one simple call (see work-units.ts):
   * sessions scanned, large answers encoded. The server charges it to the caller's budget
   * once the call ends, so a tenant's dear calls count for what they cost the shared event loop.
   */
  work: number;
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

/** Adds `units` of work to the current call's bill. Outside any call (the sweeper, the hub) nobody pays. */
export function chargeWork(units: number): void {
  const scope = calls.getStore();
  if (scope) scope.work += units;
}

/** The work the current call has been charged so far; 0 outside any call. */
export function workCharged(): number {
  return calls.getStore()?.work ?? 0;
}
