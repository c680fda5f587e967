import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import type { Session } from "../../domain/session.js";
import { wrapMethods, type Method } from "../../domain/wrap-methods.js";
import type { EventFeed, Store } from "../../domain/store.js";
import type { Metrics, StoreOperationSeries } from "./metrics.js";

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
  // Every repository the store has, under its own name, including any added after this was written.
  const observedStore: Record<string, unknown> = { ...store };
  for (const [name, value] of Object.entries(store)) {
    if (name !== "events" && typeof value === "object" && value !== null) observedStore[name] = observed(name, value, observe);
  }
  const sessions = observedStore["sessions"] as Store["sessions"];
  const metrics = observers.metrics;
  if (metrics) {
    // Only what a write published: an insert all its events, an update those beyond `previous`.
    // Chained with then rather than awaited: one promise per write, not two (see interceptors/next-call.ts).
    const { insert, update } = sessions;
    sessions.insert = (session: Session) => insert(session).then(() => metrics.sessionWritten(session, 0));
    sessions.update = (session: Session, previous: Session) =>
      update(session, previous).then((written) => {
        if (written) metrics.sessionWritten(session, previous.events.length);
        return written;
      });
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
  observedStore["events"] = events;
  return observedStore as unknown as Store;
}

type AsyncFn = (...args: never[]) => Promise<unknown>;
type Observe = <F extends AsyncFn>(operation: string, fn: F) => F;

/** The repository, each of its methods observed under "name.method"; anything else passes through. */
function observed<T extends object>(name: string, repository: T, observe: Observe): T {
  return wrapMethods(repository, (method, call) => observe(`${name}.${method}`, call as unknown as AsyncFn) as unknown as Method);
}

function createObserver({ metrics, tracer }: StoreObservers): Observe {
  return (<F extends AsyncFn>(operation: string, fn: F) => {
    const series = metrics?.storeOperation(operation);
    return ((...args: Parameters<F>) => {
      const started = performance.now();
      // Store calls outside any traced RPC (the sweeper, startup) would each be a trace of their own: noise.
      const span = tracer && trace.getSpan(context.active()) ? tracer.startSpan(operation, { kind: SpanKind.INTERNAL, attributes: { "sessionflow.store.operation": operation } }) : undefined;
      let result: unknown;
      try {
        result = fn(...args);
      } catch (e) {
        finish(series, started, span, e);
        throw e;
      }
      // Every repository method returns a promise; anything else a store adds passes through as it is.
      if (!(result instanceof Promise)) {
        finish(series, started, span);
        return result;
      }
      return result.then(
        (value) => (finish(series, started, span), value),
        (e: unknown) => {
          finish(series, started, span, e);
          throw e;
        },
      );
    }) as F;
  }) as Observe;
}

/** Counts and times one store call and ends its span; a module function, not a closure per call. */
function finish(series: StoreOperationSeries | undefined, started: number, span: Span | undefined, error?: unknown): void {
  series?.finished(error === undefined, (performance.now() - started) / 1000);
  // The error's name only: a store's messages may quote stored values.
  if (error !== undefined) span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : "error" });
  span?.end();
}
