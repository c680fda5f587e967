import { PerformanceObserver } from "node:perf_hooks";
import { builtInAnalyzers } from "../src/domain/analyzers.js";
import { systemClock } from "../src/domain/clock.js";
import { createUuidV7Generator } from "../src/domain/ids.js";
import { createPolicies } from "../src/domain/policy.js";
import { createSessionUseCases } from "../src/domain/sessions.js";
import type { SubmitCommand } from "../src/domain/stitching.js";
import type { Store } from "../src/domain/store.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { createFakeDatabase, startFakeReplica } from "../test/support/fake-replicas.js";

/**
 * What one continuing Submit costs as its session's history grows (issue: every write must cost
 * the change, not the history). For each store and for sessions already holding 1, 50 and 199
 * submissions, it runs one more Submit on each of N sessions, sequentially, through the same
 * use case the RPC calls, and reports latency (p50/p99), CPU time per call (process CPU over the
 * loop: no client in the process) and, for MongoDB (the fake replica set, instant commits), the
 * BSON bytes sent to the server per call. The fake server runs in this process too, so the time
 * it spends executing commands (a real server's work, on another machine) is subtracted from
 * both latency and CPU. Garbage collection is reported apart: on MongoDB most of it is the fake's
 * (it copies the whole document through BSON on every update, as a server rewrites it), which a
 * CPU profile shows. The ratio column compares with 1 prior submission.
 *
 * Usage: npm run bench:writes -- [sessions per point, default 60]
 */
const perPoint = Number(process.argv[2] ?? 60);
const priors = [1, 50, 199];

let n = 0;
const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+44 7700 900123" };
const command = (sessionId?: string): Omit<SubmitCommand, "fingerprint"> => ({
  tenantId: "bench",
  principal: "key:bench",
  procedure: "/sessionflow.v1.SubmissionService/Submit",
  ...(sessionId ? { sessionId } : {}),
  workflow: "bank-signup",
  market: "GB",
  requestId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  clientRequestId: true,
  identity,
  device: { deviceId: "device-1", ipAddress: "203.0.113.7", userAgent: "Mozilla/5.0", automationFlags: [] },
  step: `step-${n % 7}`,
  complete: false,
});

interface Point {
  prior: number;
  p50: number;
  p99: number;
  /** Process CPU less the fake server's busy time and less garbage collection. */
  cpuMicros: number;
  gcMicros: number;
  bytes?: number;
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ["gc"] });

interface Server {
  bytesSent(): number;
  busyMs(): number;
}

async function measure(store: Store, server?: Server): Promise<Point[]> {
  const sessions = createSessionUseCases({
    store,
    clock: systemClock,
    ids: createUuidV7Generator(() => Date.now()),
    policies: createPolicies({ submissionSeconds: 3600, linkSeconds: 3600, transferSeconds: 3600 }),
    analysis: { analyzers: builtInAnalyzers, timeoutMs: 1000 },
  });
  const points: Point[] = [];
  for (const prior of priors) {
    const ids: string[] = [];
    for (let i = 0; i < perPoint; i++) {
      const id = (await sessions.submit(command())).session.id;
      for (let j = 1; j < prior; j++) await sessions.submit(command(id));
      ids.push(id);
    }
    for (const id of ids.slice(0, 5)) await sessions.submit(command(id)); // warm-up, then measure fresh ones
    const fresh = [];
    for (let i = 0; i < perPoint; i++) {
      const id = (await sessions.submit(command())).session.id;
      for (let j = 1; j < prior; j++) await sessions.submit(command(id));
      fresh.push(id);
    }
    const latencies: number[] = [];
    const bytesBefore = server?.bytesSent() ?? 0;
    const busyBefore = server?.busyMs() ?? 0;
    const gcBefore = gcMs;
    const cpu = process.cpuUsage();
    for (const id of fresh) {
      const busy = server?.busyMs() ?? 0;
      const start = process.hrtime.bigint();
      await sessions.submit(command(id));
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6 - ((server?.busyMs() ?? 0) - busy));
    }
    const used = process.cpuUsage(cpu);
    const serverMicros = ((server?.busyMs() ?? 0) - busyBefore) * 1000;
    const gcMicros = (gcMs - gcBefore) * 1000;
    latencies.sort((a, b) => a - b);
    points.push({
      prior,
      p50: latencies[Math.floor(latencies.length * 0.5)]!,
      p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!,
      cpuMicros: (used.user + used.system - serverMicros - gcMicros) / perPoint,
      gcMicros: gcMicros / perPoint,
      ...(server ? { bytes: (server.bytesSent() - bytesBefore) / perPoint } : {}),
    });
  }
  return points;
}

function report(name: string, points: Point[]) {
  const base = points[0]!;
  console.log(`\n${name}`);
  console.log("prior submissions | p50 ms | p99 ms | CPU µs/call | GC µs/call | bytes sent/call | ratio at p50 / CPU / bytes vs 1 prior");
  for (const p of points) {
    const bytes = p.bytes === undefined ? "—" : p.bytes.toFixed(0);
    const ratio = [p.p50 / base.p50, p.cpuMicros / base.cpuMicros, p.bytes !== undefined ? p.bytes / base.bytes! : NaN]
      .map((r) => (Number.isNaN(r) ? "—" : `×${r.toFixed(2)}`))
      .join(" / ");
    console.log(`${String(p.prior).padStart(17)} | ${p.p50.toFixed(3).padStart(6)} | ${p.p99.toFixed(3).padStart(6)} | ${p.cpuMicros.toFixed(0).padStart(11)} | ${p.gcMicros.toFixed(0).padStart(10)} | ${bytes.padStart(15)} | ${ratio}`);
  }
}

report("embedded store", await measure(createMemoryStore()));
const fake = createFakeDatabase();
const mongo = await startFakeReplica(fake);
report(
  "MongoDB store (fake replica set, instant commits; its own execution time subtracted; bytes = BSON the driver sends)",
  await measure(mongo, { bytesSent: () => fake.bytesSent, busyMs: () => fake.serverBusyMs }),
);
await mongo.close();
