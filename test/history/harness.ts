import { runChecks, type Violation } from "./checks.js";
import { expectedFor, caughtUp } from "./check-subscriptions.js";
import { createCluster } from "./cluster.js";
import { closeOut, readTruth } from "./final-state.js";
import { createHistory, type History, type Operation } from "./history.js";
import type { CheckThresholds } from "./model.js";
import { createRandom } from "./random.js";
import { createRpc } from "./rpc.js";
import { storeFactories } from "./stores.js";
import { createSightings } from "./subscribers.js";
import { startWorkload } from "./workload.js";

export interface HistoryOptions {
  seed: number;
  seconds: number;
  instances: number;
  /** A key of storeFactories. */
  store: string;
  actors: number;
  sessionWatchers: number;
  feedWatchers: number;
  /** Each store answer is delayed by 0..latencyMs (see withRoundTrips); 0 turns it off. */
  latencyMs: number;
  /** The share of store answers lost after taking effect while the workload runs (see withRoundTrips); 0 turns it off. */
  faultRate: number;
  /** Idle WatchEvents streams get a heartbeat this often, on every instance. */
  heartbeatMs: number;
  sweepIntervalMs: number;
  /** Progress lines; silent when unset. */
  log?: (line: string) => void;
}

export const defaultOptions: Omit<HistoryOptions, "seed"> = {
  seconds: 10,
  instances: 3,
  store: "memory",
  actors: 24,
  sessionWatchers: 6,
  feedWatchers: 8,
  latencyMs: 3,
  faultRate: 0.002,
  heartbeatMs: 200,
  sweepIntervalMs: 250,
};

export interface HistoryReport {
  options: HistoryOptions;
  /** Operations the workload ran (the final reads apart), per kind. */
  opsByKind: Record<string, number>;
  workloadOps: number;
  /** Calls answered by a refusal, per reason, and cut off on purpose. */
  refusals: Record<string, number>;
  finalOps: number;
  subscriptions: number;
  streams: number;
  deliveries: number;
  sessions: number;
  workloadSeconds: number;
  totalSeconds: number;
  violations: Violation[];
  /** Things worth knowing that are not violations (the checker's own hiccups, server log lines). */
  notes: string[];
  /** The whole history, for --json. */
  history: Pick<History, "ops" | "subscriptions">;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One run: a cluster, the workload for `seconds`, the final state, the checks. Every wait is
 * bounded, and the cluster is shut down before it returns.
 */
export async function runHistoryCheck(options: HistoryOptions): Promise<HistoryReport> {
  const log = options.log ?? (() => {});
  const stores = storeFactories[options.store];
  if (!stores) throw new Error(`unknown store "${options.store}"; known: ${Object.keys(storeFactories).join(", ")}`);
  const random = createRandom(options.seed);
  const notes: string[] = [];
  const started = Date.now();
  const cluster = await createCluster({
    instances: options.instances,
    stores,
    latencyMs: options.latencyMs,
    faultRate: options.faultRate,
    random: random.fork(),
    heartbeatMs: options.heartbeatMs,
    sweepIntervalMs: options.sweepIntervalMs,
  });
  try {
    const history = createHistory();
    const rpc = createRpc(cluster.instances, history);

    const thresholds = new Map<string, CheckThresholds>();
    for (const tenant of cluster.tenants) {
      const answer = await rpc.call(
        {
          kind: "GetThresholds",
          tenant: tenant.id,
          auth: tenant.key,
          request: {},
          invoke: (s, o) => s.configuration.getThresholds({}, o),
          fields: () => ({}),
        },
        rpc.endpoints[0]!,
        { actor: "final", pattern: "final" },
      );
      if (!answer.ok || !answer.value.effective) throw new Error(`GetThresholds failed for ${tenant.id}`);
      const e = answer.value.effective;
      thresholds.set(tenant.id, {
        LIVENESS: e.liveness ?? 0.8,
        FACE_MATCH: e.faceMatch ?? 0.85,
        DOCUMENT: e.document ?? 0.75,
        retryBand: e.retryBand ?? 0.1,
        maxRetries: e.maxRetries ?? 5,
      });
    }

    log(`seed ${options.seed}: ${options.instances} instances on the ${options.store} store (latency 0..${options.latencyMs} ms, fault rate ${options.faultRate}), ${options.actors} actors, ${options.sessionWatchers}+${options.feedWatchers} subscribers, ${options.seconds} s`);
    const sightings = createSightings();
    cluster.faults.on = options.faultRate > 0;
    const workload = startWorkload({
      random: random.fork(),
      rpc,
      history,
      tenants: cluster.tenants,
      thresholds,
      sightings,
      actors: options.actors,
      sessionWatchers: options.sessionWatchers,
      feedWatchers: options.feedWatchers,
    });
    const workloadStart = Date.now();
    // Now and then, break what the store can break (on MongoDB: every replica's change stream).
    let disturbances = 0;
    const disturbing = (async () => {
      while (Date.now() - workloadStart < options.seconds * 1000 - 1500) {
        await sleep(random.int(700, 2500));
        if (!cluster.disturb()) return;
        disturbances++;
      }
    })();
    await sleep(options.seconds * 1000);
    await disturbing;
    const workloadEnd = Date.now();
    if (disturbances) notes.push(`the store was disturbed ${disturbances}× (every change stream failed and had to resume)`);
    // The final state is read without faults: what it shows must be the service's doing alone.
    cluster.faults.on = false;
    notes.push(`${cluster.faults.injected} store answers were lost on purpose (fault rate ${options.faultRate})`);
    if (!(await workload.stopActors(30_000))) notes.push("some actors were still busy 30 s after the workload stopped");
    log(`workload stopped after ${history.ops.length} operations; reading the final state`);

    // Calls the clients cut off may still be running on a server; give them a moment to land.
    await sleep(500);
    await closeOut(rpc, cluster.tenants, random.fork());
    const truths = await readTruth(rpc, history, cluster.tenants);

    // Subscribers still streaming should now catch up with the final state.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const behind = history.subscriptions.filter((sub) => {
        if (sub.closed) return false;
        const truth = truths.get(sub.tenant);
        const expected = truth && expectedFor(sub, truth);
        return expected !== undefined && !caughtUp(sub, expected);
      });
      if (behind.length === 0 || Date.now() > deadline) break;
      await sleep(100);
    }
    if (!(await workload.stopSubscribers(10_000))) notes.push("some subscribers did not stop within 10 s");

    const violations = runChecks({ history, truths, serverErrors: cluster.serverErrors(), injectedFaults: cluster.faults.log });
    const answeredIds = new Set(history.ops.map((op) => `op-${op.id}`));
    const unattached = new Map<string, number>();
    for (const e of cluster.serverErrors()) {
      if (e.rid && answeredIds.has(e.rid)) continue;
      const what = `${e.procedure ?? "no call"}${e.rid && !e.rid.startsWith("op-") ? " (a stream)" : ""}: ${e.message.split(" | ")[0]}`;
      unattached.set(what, (unattached.get(what) ?? 0) + 1);
    }
    for (const [what, n] of unattached) notes.push(`servers logged ${n}× outside an answered call: ${what}`);
    const workloadOps = history.ops.filter((op) => op.actor !== "final" && op.invokeMs < workloadEnd);
    const opsByKind: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    for (const op of workloadOps) {
      opsByKind[op.kind] = (opsByKind[op.kind] ?? 0) + 1;
      const r = op.result;
      if (r && !r.ok) refusals[r.cut ? "(cut by client)" : r.reason || r.code] = (refusals[r.cut ? "(cut by client)" : r.reason || r.code] ?? 0) + 1;
    }
    return {
      options,
      opsByKind,
      workloadOps: workloadOps.length,
      refusals,
      finalOps: history.ops.filter((op: Operation) => op.actor === "final").length,
      subscriptions: history.subscriptions.length,
      streams: history.subscriptions.reduce((n, s) => n + s.segments.length, 0),
      deliveries: history.subscriptions.reduce((n, s) => n + s.segments.reduce((m, seg) => m + seg.deliveries.length, 0), 0),
      sessions: [...truths.values()].reduce((n, t) => n + t.sessions.size, 0),
      workloadSeconds: (workloadEnd - workloadStart) / 1000,
      totalSeconds: (Date.now() - started) / 1000,
      violations,
      notes,
      history: { ops: history.ops, subscriptions: history.subscriptions },
    };
  } finally {
    await cluster.close();
  }
}
