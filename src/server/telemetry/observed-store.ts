import { context, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type { Session } from "../../domain/session.js";
import type { EventFeed, Store } from "../../domain/store.js";
import type { Metrics } from "./metrics.js";

export interface StoreObservers {
  metrics?: Metrics;
  tracer?: Tracer;
}

/**
 * The store, with each repository call timed and counted ("sessions.get", "events.read", …)
 * and, while a traced RPC is running, recorded as a child span of it. Committed session writes
 * also feed the lifecycle series (sessions created and closed, decisions, checks): counted at
 * the write that publishes them, so each replica counts only its own writes, each exactly once.
 * Like call-checked-store.ts, but in the server: the domain knows nothing of metrics or traces.
 */
export function observeStore(store: Store, observers: StoreObservers): Store {
  if (!observers.metrics && !observers.tracer) return store;
  const observe = createObserver(observers);
  const sessions = observed("sessions", store.sessions, observe);
  const metrics = observers.metrics;
  if (metrics) {
    // Only what a write published: an insert all its events, an update those beyond `previous`.
    const { insert, update } = sessions;
    sessions.insert = async (session: Session) => {
      await insert(session);
      metrics.sessionWritten(session, 0);
    };
    sessions.update = async (session: Session, previous: Session) => {
      const written = await update(session, previous);
      if (written) metrics.sessionWritten(session, previous.events.length);
      return written;
    };
  }
  const feed = store.events;
  // The feed's synchronous methods (stablePoint and the rest) pass straight through.
  const events: EventFeed = {
    read: observe("events.read", feed.read.bind(feed)),
    checkResumable: observe("events.checkResumable", feed.checkResumable.bind(feed)),
    stablePoint: () => feed.stablePoint(),
    isCursor: (value) => feed.isCursor(value),
    healthy: () => feed.healthy(),
    subscribe: (listener, onDown) => feed.subscribe(listener, onDown),
  };
  return {
    sessions,
    apiKeys: observed("apiKeys", store.apiKeys, observe),
    identity: observed("identity", store.identity, observe),
    configurations: observed("configurations", store.configurations, observe),
    events,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

type AsyncFn = (...args: never[]) => Promise<unknown>;
type Observe = <F extends AsyncFn>(operation: string, fn: F) => F;

/** A plain object of the repository's methods, each observed under "name.method". */
function observed<T extends object>(name: string, repository: T, observe: Observe): T {
  const out: Record<string, unknown> = {};
  let proto: object | null = repository;
  // Own and inherited methods alike: a repository may be a class instance or an object literal.
  while (proto && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value: unknown = Reflect.get(repository, key);
      if (key === "constructor" || key in out || typeof value !== "function") continue;
      out[key] = observe(`${name}.${key}`, (value as AsyncFn).bind(repository));
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as T;
}

function createObserver({ metrics, tracer }: StoreObservers): Observe {
  return (<F extends AsyncFn>(operation: string, fn: F) =>
    (async (...args: Parameters<F>) => {
      const started = performance.now();
      const parent = tracer && trace.getSpan(context.active());
      // Store calls outside any traced RPC (the sweeper, startup) would each be a trace of their own: noise.
      const span = parent && tracer.startSpan(operation, { kind: SpanKind.INTERNAL, attributes: { "sessionflow.store.operation": operation } });
      try {
        const result = await fn(...args);
        metrics?.storeOperation(operation, true, (performance.now() - started) / 1000);
        return result;
      } catch (e) {
        metrics?.storeOperation(operation, false, (performance.now() - started) / 1000);
        // The error's name only: a store's messages may quote stored values.
        span?.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : "error" });
        throw e;
      } finally {
        span?.end();
      }
    }) as F) as Observe;
}
