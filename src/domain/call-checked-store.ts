import { throwIfCallStopped } from "./call-scope.js";
import { wrapMethods } from "./wrap-methods.js";
import type { Store } from "./store.js";

/**
 * The store, with every repository call first checking that the call it serves is still
 * wanted: once a deadline has passed, a handler stops at its next read or write instead of
 * running on for nobody. Each write is atomic, so a call cut between two writes leaves what a
 * crash there would, and a retry with the same request id completes it (the use cases redo
 * their follow-up writes on replays).
 *
 * The event feed is left unchecked: streams end on their own signal, and the feed also serves
 * the hub, which belongs to no call.
 */
export function withCallChecks(store: Store): Store {
  return {
    sessions: checked(store.sessions),
    apiKeys: checked(store.apiKeys),
    identity: checked(store.identity),
    configurations: checked(store.configurations),
    events: store.events,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

function checked<T extends object>(repository: T): T {
  return wrapMethods(repository, (_name, method) => (...args: never[]) => {
    throwIfCallStopped();
    return method(...args);
  });
}
