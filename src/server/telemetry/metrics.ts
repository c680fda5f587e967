import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { FastCounter, FastHistogram, type CounterChild, type HistogramChild } from "./series.js";
import type { Session } from "../../domain/session.js";
import { processRegistry } from "./process-metrics.js";

/**
 * The Prometheus series of one app, in a registry of its own (tests run many apps in one
 * process). Labels come from fixed sets only (procedures, codes, repository methods, enum
 * values, analyzer names): never a session id, tenant, key or anything a client chose.
 */
export interface Metrics {
  /** A finished RPC; `seconds` only for unary calls (a stream's lifetime is no latency). */
  rpcFinished(procedure: string, code: string, seconds?: number): void;
  /** Counts a response stream as open; returns the function that counts it closed (once). */
  streamOpened(procedure: string, caller: Caller): () => void;
  /** The series of one repository method ("sessions.get"): resolved once, then each call it times costs a few additions. */
  storeOperation(operation: string): StoreOperationSeries;
  /** A committed write of `session`: its events from index `firstNew` on are the ones it published. */
  sessionWritten(session: Session, firstNew: number): void;
  analyzerFinished(analyzer: string, result: "ok" | "error" | "timeout", seconds: number): void;
  feedDelivered(lagSeconds: number): void;
  feedWentDown(): void;
  /** A connection refused because every connection had a call in progress. */
  connectionRefused(): void;
  /** The text exposition: this app's series, then the process's. */
  exposition(): Promise<string>;
  readonly contentType: string;
}

export interface StoreOperationSeries {
  finished(ok: boolean, seconds: number): void;
}

/** Who holds a stream: a tenant's API key, a front end's client token, or nobody (public health checks). */
export type Caller = "tenant" | "client" | "anonymous";

export interface MetricsOptions {
  /** Whether the event feed is up right now (EventFeed.healthy). */
  feedHealthy: () => boolean;
}

const prefix = "sessionflow_";
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics({ feedHealthy }: MetricsOptions): Metrics {
  // Made now rather than at the first scrape, so GC and event-loop delay are measured from the start.
  const processSeries = processRegistry();
  const registers = [new Registry()];
  // The series every call feeds are Fast* (series.ts): a few additions per observation.
  const rpcs = new FastCounter(`${prefix}rpcs_total`, "RPCs finished, by procedure and status code.", ["procedure", "code"], registers);
  const rpcSeconds = new FastHistogram(
    `${prefix}rpc_duration_seconds`,
    "Time from a unary RPC reaching the interceptors to its response, by procedure.",
    ["procedure"],
    latencyBuckets,
    registers,
  );
  const streams = new Gauge({ name: `${prefix}open_streams`, help: "Response streams open now, by procedure and caller.", labelNames: ["procedure", "caller"], registers });
  const storeOps = new FastCounter(`${prefix}store_operations_total`, "Store calls, by repository method and result.", ["operation", "result"], registers);
  const storeSeconds = new FastHistogram(`${prefix}store_operation_duration_seconds`, "Store call latency, by repository method.", ["operation"], latencyBuckets, registers);
  const created = new Counter({ name: `${prefix}sessions_created_total`, help: "Sessions opened, by origin.", labelNames: ["origin"], registers });
  const closed = new Counter({
    name: `${prefix}sessions_closed_total`,
    help: "Sessions closed, by outcome, failure reason (none when resolved) and the decision they held when closing.",
    labelNames: ["outcome", "failure_reason", "decision"],
    registers,
  });
  const decisions = new Counter({ name: `${prefix}decisions_total`, help: "Decisions made or changed (DECISION events), by decision.", labelNames: ["decision"], registers });
  const retries = new Counter({ name: `${prefix}forced_retries_total`, help: "Check results that forced a re-capture.", registers });
  const checks = new Counter({ name: `${prefix}check_results_total`, help: "Check results reported, by check type and result.", labelNames: ["type", "result"], registers });
  const analyzers = new Histogram({
    name: `${prefix}analyzer_duration_seconds`,
    help: "Analyzer run time, by analyzer and result (ok, error, timeout).",
    labelNames: ["analyzer", "result"],
    buckets: latencyBuckets,
    registers,
  });
  const feedLag = new FastHistogram(
    `${prefix}event_feed_lag_seconds`,
    "Time from an event's creation to its arrival at this replica's event feed.",
    [],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  ).child();
  new Gauge({
    name: `${prefix}event_feed_up`,
    help: "1 while the event feed delivers every committed event to this replica, 0 while it is down.",
    registers,
    collect() {
      this.set(feedHealthy() ? 1 : 0);
    },
  });
  const feedDowns = new Counter({ name: `${prefix}event_feed_down_total`, help: "Times the event feed broke.", registers });
  const refusedConnections = new Counter({ name: `${prefix}connections_refused_total`, help: "Connections refused at the cap because every connection had a call in progress.", registers });

  // Each procedure's series, looked up by name alone: no label string is built per call. Every
  // child is made at its first observation, as prom-client's appear in the exposition: a
  // streaming procedure, never timed, has no latency series.
  const procedures = new Map<string, { latency?: HistogramChild; codes: Map<string, CounterChild> }>();

  return {
    rpcFinished(procedure, code, seconds) {
      let series = procedures.get(procedure);
      if (!series) procedures.set(procedure, (series = { codes: new Map() }));
      let count = series.codes.get(code);
      if (!count) series.codes.set(code, (count = rpcs.child(procedure, code)));
      count.inc();
      if (seconds !== undefined) (series.latency ??= rpcSeconds.child(procedure)).observe(seconds);
    },
    streamOpened(procedure, caller) {
      const gauge = streams.labels(procedure, caller);
      gauge.inc();
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        gauge.dec();
      };
    },
    storeOperation(operation) {
      // Children made at their first observation, as prom-client's appear: a method never called
      // has no series, one that never failed no error series.
      let ok: CounterChild | undefined;
      let failed: CounterChild | undefined;
      let latency: HistogramChild | undefined;
      return {
        finished(succeeded, seconds) {
          if (succeeded) (ok ??= storeOps.child(operation, "ok")).inc();
          else (failed ??= storeOps.child(operation, "error")).inc();
          (latency ??= storeSeconds.child(operation)).observe(seconds);
        },
      };
    },
    sessionWritten(session, firstNew) {
      for (let i = firstNew; i < session.events.length; i++) {
        const event = session.events[i]!;
        if (event.type === "OPENED") created.inc({ origin: session.origin });
        else if ((event.type === "RESOLVED" || event.type === "FAILED") && event.outcome) {
          closed.inc({ outcome: event.outcome.kind, failure_reason: event.outcome.failureReason ?? "none", decision: session.decision.decision });
        } else if (event.type === "DECISION" && event.decision) decisions.inc({ decision: event.decision.decision });
        else if (event.type === "CHECK" && event.check) {
          checks.inc({ type: event.check.type, result: event.check.outcome });
          if (event.check.outcome === "RETRY") retries.inc();
        }
      }
    },
    analyzerFinished(analyzer, result, seconds) {
      analyzers.observe({ analyzer, result }, seconds);
    },
    feedDelivered(lagSeconds) {
      feedLag.observe(Math.max(0, lagSeconds));
    },
    feedWentDown() {
      feedDowns.inc();
    },
    connectionRefused() {
      refusedConnections.inc();
    },
    async exposition() {
      const [own, shared] = await Promise.all([registers[0]!.metrics(), processSeries.metrics()]);
      // Each ends with a newline; a blank line keeps the two blocks apart.
      return `${own}\n${shared}`;
    },
    contentType: registers[0]!.contentType,
  };
}
