import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { CheckOutcome, CheckType } from "../../gen/sessionflow/v1/risk_pb.js";
import { createLogger } from "../../src/logger.js";
import { createApp } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { clientsFor, transportFor } from "../support/clients.js";
import { labelSets, scrape, valueOf } from "../support/prometheus.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const submit = "sessionflow.v1.SubmissionService/Submit";
const identity = { fullName: "Alice Liddell", email: "alice.liddell@example.com" };

describe("Prometheus /metrics", () => {
  let server: TestServer | undefined;
  afterEach(() => server?.close());

  it("counts the RPCs made by procedure and code, over every protocol, and times unary calls", async () => {
    server = await startTestServer();
    const before = await scrape(server.baseUrl);
    expect(valueOf(before, "sessionflow_rpcs_total", { procedure: submit })).toBe(0);

    await clientsFor("connect-json-h1", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    await clientsFor("grpc-h2", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    await clientsFor("grpc-web-h1", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    await expect(clientsFor("grpc-h2", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(clientsFor("connect-json-h1", server.baseUrl, "wrong").submissions.submit({ workflow: "kyc" })).rejects.toMatchObject({ code: Code.Unauthenticated });

    const after = await scrape(server.baseUrl);
    expect(after.get("sessionflow_rpcs_total")?.type).toBe("counter");
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "ok" })).toBe(3);
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "invalid_argument" })).toBe(1);
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "unauthenticated" })).toBe(1);
    expect(after.get("sessionflow_rpc_duration_seconds")?.type).toBe("histogram");
    expect(valueOf(after, "sessionflow_rpc_duration_seconds", { procedure: submit })).toBe(5);
    expect(valueOf(after, "sessionflow_sessions_created_total", { origin: "SUBMISSION" })).toBe(3);
    // Store calls, timed by repository method.
    expect(valueOf(after, "sessionflow_store_operations_total", { operation: "sessions.insert", result: "ok" })).toBe(3);
    expect(valueOf(after, "sessionflow_store_operation_duration_seconds", { operation: "sessions.insert" })).toBe(3);
    // The process's own series come along (CPU, memory, event-loop delay).
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);
    expect(after.has("nodejs_eventloop_lag_p99_seconds")).toBe(true);
    expect(valueOf(after, "sessionflow_event_feed_up")).toBe(1);
  });

  it("counts the native gRPC port's calls alike, refusals made before any interceptor included", async () => {
    server = await startTestServer({ maxRequestBytes: 4096 });
    const native = clientsFor("native-grpc", server.grpcUrl, server.keys.acme);
    await native.submissions.submit({ workflow: "kyc", identity });
    await expect(native.submissions.submit({ workflow: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(native.submissions.submit({ workflow: "kyc", identity: { fullName: "x".repeat(10_000) } })).rejects.toMatchObject({ code: Code.ResourceExhausted });
    const after = await scrape(server.baseUrl);
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "ok" })).toBe(1);
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "invalid_argument" })).toBe(1);
    expect(valueOf(after, "sessionflow_rpcs_total", { procedure: submit, code: "resource_exhausted" })).toBe(1);
  });

  it("counts check results, forced retries, decisions and closed sessions by outcome", async () => {
    server = await startTestServer();
    const c = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
    const checks = createClient(CheckService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    const s = await c.submissions.submit({ workflow: "kyc", identity, step: "selfie" });
    const id = s.session!.id;
    for (let i = 0; i < 5; i++) {
      expect((await checks.reportCheckResult({ sessionId: id, type: CheckType.LIVENESS, score: 0.75 })).check!.outcome).toBe(CheckOutcome.RETRY);
    }
    expect((await checks.reportCheckResult({ sessionId: id, type: CheckType.LIVENESS, score: 0.75 })).check!.outcome).toBe(CheckOutcome.FAILED);
    await c.submissions.submit({ workflow: "kyc", identity, complete: true }); // approved and resolved

    const m = await scrape(server.baseUrl);
    expect(valueOf(m, "sessionflow_check_results_total", { type: "LIVENESS", result: "RETRY" })).toBe(5);
    expect(valueOf(m, "sessionflow_check_results_total", { type: "LIVENESS", result: "FAILED" })).toBe(1);
    expect(valueOf(m, "sessionflow_forced_retries_total")).toBe(5);
    expect(valueOf(m, "sessionflow_decisions_total", { decision: "DECLINE" })).toBe(1);
    expect(valueOf(m, "sessionflow_decisions_total", { decision: "APPROVE" })).toBe(1);
    expect(valueOf(m, "sessionflow_sessions_closed_total", { outcome: "RESOLVED", failure_reason: "none", decision: "APPROVE" })).toBe(1);
    const analyzers = labelSets(m, "sessionflow_analyzer_duration_seconds").filter((l) => l["result"] === "ok");
    expect(analyzers.map((l) => l["analyzer"]).sort()).toEqual(["device-automation", "disposable-email"]);
    // The feed carried every event to this replica, each timed on arrival.
    expect(valueOf(m, "sessionflow_event_feed_lag_seconds")).toBeGreaterThanOrEqual(9);

    // Labels come from fixed sets: no session id, tenant or key appears anywhere.
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(text).not.toContain(id);
    expect(text).not.toContain("acme");
    expect(text).not.toContain(server.keys.acme);
  });

  it("counts a replayed Submit's session once", async () => {
    server = await startTestServer();
    const c = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
    const request = { requestId: "5b0e8f3c-2a51-4c55-9d7e-3f1c2b4a6d80", workflow: "kyc", identity };
    const first = await c.submissions.submit(request);
    expect((await c.submissions.submit(request)).session!.id).toBe(first.session!.id);
    const m = await scrape(server.baseUrl);
    expect(valueOf(m, "sessionflow_rpcs_total", { procedure: submit, code: "ok" })).toBe(2);
    expect(valueOf(m, "sessionflow_sessions_created_total", { origin: "SUBMISSION" })).toBe(1);
  });

  it("counts sessions abandoned by expiry as closed USER_ERROR / ABANDONED", async () => {
    server = await startTestServer({ lifetimes: { submissionSeconds: 60 } });
    await clientsFor("connect-json-h1", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    server.clock.advance(61_000);
    expect(await server.app.sweep()).toBe(1);
    const m = await scrape(server.baseUrl);
    expect(valueOf(m, "sessionflow_sessions_closed_total", { outcome: "USER_ERROR", failure_reason: "ABANDONED" })).toBe(1);
  });

  it("shows open streams by procedure and caller, and counts a stream its client cancels", async () => {
    server = await startTestServer();
    const events = createClient(EventService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    const controller = new AbortController();
    const stream = events.watchEvents({ fromBeginning: true }, { signal: controller.signal })[Symbol.asyncIterator]();
    const opened = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    await stream.next(); // the OPENED event: the stream is up
    await opened;
    const watch = { procedure: "sessionflow.v1.EventService/WatchEvents", caller: "tenant" };
    expect(valueOf(await scrape(server.baseUrl), "sessionflow_open_streams", watch)).toBe(1);
    controller.abort();
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
    await expect.poll(async () => valueOf(await scrape(server!.baseUrl), "sessionflow_open_streams", watch)).toBe(0);
    const m = await scrape(server.baseUrl);
    expect(valueOf(m, "sessionflow_rpcs_total", { procedure: watch.procedure, code: "canceled" })).toBe(1);
  });

  it("counts a request Connect refuses before the interceptors (over the size cap)", async () => {
    server = await startTestServer({ maxRequestBytes: 2048 });
    const big = { workflow: "kyc", identity: { fullName: "x".repeat(4096) } };
    await expect(clientsFor("grpc-h2", server.baseUrl, server.keys.acme).submissions.submit(big)).rejects.toMatchObject({ code: Code.ResourceExhausted });
    expect(valueOf(await scrape(server.baseUrl), "sessionflow_rpcs_total", { procedure: submit, code: "resource_exhausted" })).toBe(1);
  });

  it("wants the bearer token when one is configured", async () => {
    server = await startTestServer({ metricsToken: "scrape-token-0123456789" });
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: "Bearer scrape-token-0123456788" } })).status).toBe(401);
    const m = await scrape(server.baseUrl, { authorization: "Bearer scrape-token-0123456789" });
    expect(m.has("sessionflow_rpcs_total")).toBe(true);
    expect((await fetch(`${server.baseUrl}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("serves no /metrics when switched off, and the probes still answer", async () => {
    const app = createApp({ store: createMemoryStore(), logger: createLogger("silent"), sweepIntervalMs: 0, metrics: false });
    const { port } = await app.server.listen(0, "127.0.0.1");
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await app.shutdown(100);
    }
  });
});
