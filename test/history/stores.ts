import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import type { Store } from "../../src/domain/store.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";

/**
 * The storage seam of the checker. A factory gets the number of service instances and returns
 * one Store per instance, all over ONE shared backing storage, the way replicas share a database:
 * what one instance writes, every other must read, and each instance's event hub must hear of
 * every instance's events through its own Store's feed.
 *
 * - `memory`: one createMemoryStore() object, handed to every instance.
 * - `mongo`: one MongoDB store per instance (its own cache and change stream) over one fake
 *   replica set whose writes commit out of order after random latency; `disturb()` fails every
 *   change stream, which each replica must ride out (end its streams with a resume cursor,
 *   reopen from its last change) without losing or repeating an event.
 * `--store <name>` selects a factory; `close()` releases whatever it opened, after the instances stopped.
 *
 * The checker inserts the tenants' API keys through `stores[0]` before any instance starts, so
 * the factory's stores must share the API keys too.
 */
export interface StoreSet {
  stores: Store[];
  close(): Promise<void>;
  /** Breaks something the service must ride out; called now and then while the workload runs. */
  disturb?(): void;
}

export type StoreFactory = (instances: number) => StoreSet | Promise<StoreSet>;

export const createMemoryStores: StoreFactory = (instances) => {
  const shared = createMemoryStore();
  return { stores: Array.from({ length: instances }, () => shared), close: () => shared.close() };
};

export const createMongoStores: StoreFactory = async (instances) => {
  const fake = createFakeDatabase({ commitLatencyMs: [0, 3], replyLatencyMs: [0, 2] });
  const stores: Store[] = [];
  for (let i = 0; i < instances; i++) stores.push(await startFakeReplica(fake, { retryMs: 50 }));
  return {
    stores,
    close: async () => {
      for (const store of stores) await store.close();
    },
    disturb: () => fake.failChangeStreams(),
  };
};

export const storeFactories: Record<string, StoreFactory> = {
  memory: createMemoryStores,
  mongo: createMongoStores,
};

/** Methods that answer synchronously and must stay that way. */
const synchronous = new Set(["isCursor", "subscribe"]);

/** A store call whose answer the checker dropped on purpose; servers log it, and the checks know it by name. */
export class InjectedFault extends Error {
  constructor(method: string) {
    super(`the answer of ${method} was lost (injected by the history checker)`);
    this.name = "InjectedFault";
  }
}

/** What happens to each store answer on its way back to the service. */
export interface RoundTrip {
  /** Waits like a network round trip to a database that returned `items` documents. */
  delay(items: number): Promise<void>;
  /** True to lose this answer: the call took effect, but the service gets an error instead. */
  fail(): boolean;
}

/**
 * Makes every store answer travel like a database's: delayed by `trip.delay()` (longer for
 * answers that carry more documents) and, now and then, lost after the call took effect,
 * without changing what the store does. Works over any
 * store: it wraps whatever returns a promise.
 *
 * Why: the in-memory store answers within one turn of the event loop, so requests on different
 * instances barely interleave and races between replicas are rare; a few milliseconds between
 * reading and writing let them happen as against a real database. Reading a page of 500 feed
 * events takes tens of milliseconds, as it does over a network, so a stream replaying a long
 * backlog is still replaying when its heartbeat falls due. A lost answer is the partial
 * failure a real database gives (the write landed, the acknowledgement did not): the request
 * fails, the client retries it, and the retry must finish what the first attempt left undone.
 */
export function withRoundTrips(store: Store, trip: RoundTrip): Store {
  const wrap = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof value !== "function" || synchronous.has(String(prop))) return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            async (answer) => {
              await trip.delay(Array.isArray(answer) ? answer.length : 1);
              if (trip.fail()) throw new InjectedFault(`${name}.${String(prop)}`);
              return answer;
            },
            async (error: unknown) => {
              await trip.delay(0);
              throw error;
            },
          );
        };
      },
    });
  return {
    sessions: wrap(store.sessions, "sessions"),
    apiKeys: wrap(store.apiKeys, "apiKeys"),
    events: wrap(store.events, "events"),
    identity: wrap(store.identity, "identity"),
    configurations: wrap(store.configurations, "configurations"),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
