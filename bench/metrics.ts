import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { issueApiKey } from "../src/domain/api-key.js";
import { createManualClock } from "../src/domain/clock.js";
import { createUuidV7Generator } from "../src/domain/ids.js";
import { defaultLifetimePolicy } from "../src/domain/policy.js";
import type { CheckOutcome, CheckType, DecisionValue, Session, SessionState } from "../src/domain/session.js";
import { createSession } from "../src/domain/stitching.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { MetricsInterval } from "../gen/sessionflow/v1/metrics_pb.js";
import { MetricsService } from "../gen/sessionflow/v1/metrics_service_pb.js";

/**
 * GetMetrics latency on the embedded store: N sessions of one tenant spread over 30 days (every
 * decision, retries, failed checks, 5 markets, 4 configuration versions, 2 workflows), inserted
 * straight into the store, then GetMetrics over gRPC, one call at a time, for the whole range by
 * day, by hour, and for one workflow and market.
 * Usage: tsx bench/metrics.ts [sessions] [calls]   (npm run bench:metrics)
 */
const n = Number(process.argv[2] ?? 100_000);
const calls = Number(process.argv[3] ?? 20);

const start = new Date("2026-03-01T00:00:00Z");
const days = 30;
const clock = createManualClock(new Date(start.getTime() + days * 86_400_000));
const store = createMemoryStore({ now: () => clock.now() });
const ids = createUuidV7Generator(() => clock.now().getTime());

const markets = ["GB", "DE", "HU", "FR", ""];
const outcomes: [SessionState, DecisionValue, boolean][] = [
  ["RESOLVED", "APPROVE", false],
  ["RESOLVED", "APPROVE", true],
  ["RESOLVED", "DECLINE", false],
  ["RESOLVED", "DECLINE", true],
  ["RESOLVED", "REVIEW", false],
  ["OPEN", "PENDING", false],
  ["FAILED", "ABANDONED", false],
];
const checkSets: [CheckType, CheckOutcome][][] = [
  [["LIVENESS", "PASSED"], ["FACE_MATCH", "PASSED"], ["DOCUMENT", "PASSED"]],
  [["LIVENESS", "RETRY"], ["LIVENESS", "PASSED"], ["DOCUMENT", "PASSED"]],
  [["DOCUMENT", "FAILED"]],
  [],
];

for (let i = 0; i < n; i++) {
  const created = new Date(start.getTime() + Math.floor((i / n) * days * 86_400_000));
  const [state, decision, reviewed] = outcomes[i % outcomes.length]!;
  const base = createSession({ tenantId: "bench", id: ids.next(), workflow: i % 3 ? "bank-signup" : "kyc", market: markets[i % markets.length]!, origin: "SUBMISSION", policy: defaultLifetimePolicy }, created);
  const checks = checkSets[i % checkSets.length]!.map(([type, outcome], j) => ({ id: `c${j + 1}`, type, score: 0.5, outcome, vendor: "sdk", reportTime: created, threshold: 0.6 }));
  const session: Session = {
    ...base,
    state,
    decision: { decision, reason: "BENCH", configurationVersion: i % 4, decideTime: created, ...(reviewed ? { reviewer: "analyst" } : {}) },
    checks,
    forcedRetries: checks.filter((c) => c.outcome === "RETRY").length,
  };
  await store.sessions.insert(session);
}

const { secret, key } = issueApiKey("bench", ["metrics"], clock.now());
await store.apiKeys.insert(key);
// The benchmark measures the scan, not the tenant's call budget.
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };
const app = createApp({ store, clock, logger: createLogger("silent"), sweepIntervalMs: 0, callLimits: { tenant: unlimited } });
const { port } = await app.server.listen(0, "127.0.0.1");
const client = createClient(MetricsService, createGrpcTransport({
  baseUrl: `http://127.0.0.1:${port}`,
  interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${secret}`), next(req))],
}));

const range = { startTime: timestampFromDate(start), endTime: timestampFromDate(clock.now()) };
const cases: { name: string; request: typeof range & { interval: MetricsInterval; workflow?: string; market?: string } }[] = [
  { name: "30 days by day", request: { ...range, interval: MetricsInterval.DAY } },
  { name: "30 days by hour (720 buckets)", request: { ...range, interval: MetricsInterval.HOUR } },
  { name: "30 days, one workflow and market", request: { ...range, interval: MetricsInterval.DAY, workflow: "kyc", market: "GB" } },
];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

console.log(`GetMetrics over ${n} sessions (embedded store, gRPC, one call at a time, ${calls} calls per case)`);
for (const { name, request } of cases) {
  for (let i = 0; i < 3; i++) await client.getMetrics(request); // warm up
  const times: number[] = [];
  let sessions = 0n;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const r = await client.getMetrics(request);
    times.push(performance.now() - t0);
    sessions = r.total!.sessions;
  }
  times.sort((a, b) => a - b);
  // The store's part alone: the scan and the counting, without the report, encoding and transport.
  const query = {
    start: timestampDate(request.startTime),
    end: timestampDate(request.endTime),
    interval: request.interval === MetricsInterval.HOUR ? ("HOUR" as const) : ("DAY" as const),
    now: clock.now(),
    ...(request.workflow ? { workflow: request.workflow } : {}),
    ...(request.market ? { market: request.market } : {}),
  };
  const scans: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await store.sessions.tallyMetrics("bench", query);
    scans.push(performance.now() - t0);
  }
  scans.sort((a, b) => a - b);
  console.log(
    `  ${name}: ${sessions} sessions counted; GetMetrics p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms` +
      ` (the store's scan alone: p50 ${percentile(scans, 50).toFixed(1)} ms, p99 ${percentile(scans, 99).toFixed(1)} ms)`,
  );
}
await app.shutdown(100);
await store.close();
