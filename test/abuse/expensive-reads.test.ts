import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { MetricsInterval } from "../../gen/sessionflow/v1/metrics_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { UsagePeriod } from "../../gen/sessionflow/v1/billing_pb.js";
import { SessionService, SessionView } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SessionState } from "../../gen/sessionflow/v1/session_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { crowd } from "../support/crowd.js";

const sessionsOfNoisy = 50_000;

describe("expensive reads of one tenant", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    const roomy = { ratePerSecond: 100_000, burst: 100_000, maxCalls: 1_000 };
    server = await startAbuseServer({ callLimits: { tenant: roomy } });
    await crowd(server.store, "acme", sessionsOfNoisy);
  }, 30_000);
  afterAll(() => server.close());

  it("do not block the event loop while another tenant's calls run", async () => {
    const transport = transportFor("grpc-h2", server.url, server.key);
    const billing = createClient(BillingService, transport);
    const noisy = createClient(SessionService, transport);
    const metrics = createClient(MetricsService, transport);
    const quietTransport = transportFor("grpc-h2", server.url, server.otherKey);
    const quiet = createClient(SessionService, quietTransport);
    const { session } = await createClient(SubmissionService, quietTransport).submit({ workflow: "kyc" });
    const range = { startTime: timestampFromDate(new Date(Date.now() - 40 * 86_400_000)), endTime: timestampFromDate(new Date()) };
    // Warm every path once, so JIT compilation is not what gets measured.
    await billing.getUsage({ ...range, period: UsagePeriod.DAY });
    await metrics.getMetrics({ ...range, interval: MetricsInterval.HOUR });
    await noisy.listSessions({ pageSize: 100, market: "FR" });
    await quiet.getSession({ sessionId: session!.id });

    // The quiet tenant's GetSession in a loop while `noise` runs, with the event loop's delay measured.
    const measure = async (noise: () => Promise<unknown>) => {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      const latencies: number[] = [];
      let done = false;
      delay.enable();
      await new Promise((resolve) => setTimeout(resolve, 10)); // the monitor's first tick only sets its start
      const noisy = noise().finally(() => (done = true));
      while (!done) {
        const started = performance.now();
        await quiet.getSession({ sessionId: session!.id });
        latencies.push(performance.now() - started);
      }
      await noisy;
      delay.disable();
      latencies.sort((a, b) => a - b);
      const ms = (ns: number) => ns / 1e6;
      return { maxDelay: ms(delay.max), p99Delay: ms(delay.percentile(99)), calls: latencies.length, p50: latencies[Math.floor(latencies.length / 2)]!, max: latencies.at(-1)! };
    };
    const baseline = await measure(() => new Promise((resolve) => setTimeout(resolve, 500)));
    const withNoise = await measure(async () => {
      for (let i = 0; i < 4; i++) {
        await Promise.all([
          billing.getUsage({ ...range, period: UsagePeriod.DAY }),
          billing.getUsage({ ...range, period: UsagePeriod.MONTH, workflow: "kyc" }),
          metrics.getMetrics({ ...range, interval: MetricsInterval.HOUR }),
          // A filter nothing matches: the whole tenant is scanned for one page.
          noisy.listSessions({ pageSize: 100, market: "FR" }),
          noisy.listSessions({ pageSize: 100, states: [SessionState.RESOLVED], view: SessionView.BASIC }),
          // The oldest sessions: scanned past every newer one.
          noisy.listSessions({ pageSize: 100, createTimeEnd: timestampFromDate(new Date(Date.now() - 34 * 86_400_000)) }),
        ]);
      }
    });
    const show = (r: typeof baseline) =>
      `event-loop delay max ${r.maxDelay.toFixed(1)} ms, p99 ${r.p99Delay.toFixed(1)} ms; quiet GetSession ${r.calls} calls, p50 ${r.p50.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`;
    console.info(`quiet tenant alone: ${show(baseline)}\nwith the noisy tenant's reads: ${show(withNoise)}`);
    // One usage query over 50,000 sessions used to hold the loop for 100-200 ms, and each listing
    // sorted them all, so most of the delay came in such stretches. Shared machines stall a test
    // process on their own (tens of ms), so the bounds leave room above the quiet tenant alone.
    expect(withNoise.p99Delay).toBeLessThan(Math.max(50, baseline.p99Delay + 25));
    expect(withNoise.p50).toBeLessThan(3 * baseline.p50 + 10);
  }, 30_000);

  it("still answer exactly: usage counts every billable session, and paging visits each session once", async () => {
    const billing = createClient(BillingService, transportFor("grpc-h2", server.url, server.key));
    const range = { startTime: timestampFromDate(new Date(Date.now() - 40 * 86_400_000)), endTime: timestampFromDate(new Date()) };
    const usage = await billing.getUsage({ ...range, period: UsagePeriod.MONTH });
    expect(usage.totalBillableEvents).toBe(BigInt(sessionsOfNoisy));
    const kyc = await billing.getUsage({ ...range, period: UsagePeriod.DAY, workflow: "kyc" });
    expect(kyc.totalBillableEvents).toBe(BigInt(sessionsOfNoisy / 2));
    expect(kyc.rows.every((r) => r.workflow === "kyc")).toBe(true);
    const metrics = createClient(MetricsService, transportFor("grpc-h2", server.url, server.key));
    expect((await metrics.getMetrics(range)).total!.sessions).toBe(BigInt(sessionsOfNoisy));
    expect((await metrics.getMetrics({ ...range, workflow: "kyc" })).total!.sessions).toBe(BigInt(sessionsOfNoisy / 2));

    const noisy = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    const seen = new Set<string>();
    let pageToken = "";
    let previous = "~";
    do {
      const page = await noisy.listSessions({ pageSize: 100, workflow: "kyc", pageToken });
      for (const s of page.sessions) {
        expect(s.id < previous).toBe(true); // newest first, strictly
        previous = s.id;
        seen.add(s.id);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen.size).toBe(sessionsOfNoisy / 2);
  }, 30_000);
});
