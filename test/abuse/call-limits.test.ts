import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import type { Analyzer } from "../../src/domain/analyzers.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer, type AbuseServerOptions } from "./abuse-server.js";
import { openAsFrontEnd, refusalOf, sleep } from "./refusal.js";

const roomy = { ratePerSecond: 10_000, burst: 10_000, maxCalls: 1_000 };

/** An analyzer that holds every call that completes input until `open()`. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const analyzer: Analyzer = {
    name: "gate",
    analyze: async () => {
      held++;
      await opened;
      return { risk: 0, reasonCodes: [] };
    },
  };
  return { analyzer, open: () => open(), held: () => held };
}

describe("per-tenant and per-process call limits", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const start = async (opts: AbuseServerOptions) => (server = await startAbuseServer({ analyzerTimeoutMs: 10_000, ...opts }));
  const submitter = (key: string) => createClient(SubmissionService, transportFor("grpc-h2", server!.url, key));

  it("refuses a tenant past its rate with RATE_LIMITED and a RetryInfo delay after which it passes; other tenants are untouched", async () => {
    // A token every 250 ms: the three calls that empty the bucket finish well within that, even on a busy machine.
    await start({ callLimits: { tenant: { ratePerSecond: 4, burst: 3, maxCalls: 100 } } });
    const acme = submitter(server!.key);
    for (let i = 0; i < 3; i++) await acme.submit({ workflow: "kyc" });
    const refused = await refusalOf(acme.submit({ workflow: "kyc" }));
    expect(refused).toMatchObject({ code: Code.ResourceExhausted, reason: "RATE_LIMITED", metadata: { limit: "tenant_rate" } });
    expect(refused!.retryMs).toBeGreaterThan(0);
    expect(refused!.retryMs).toBeLessThanOrEqual(250);

    expect(await refusalOf(submitter(server!.otherKey).submit({ workflow: "kyc" }))).toBeUndefined();
    await sleep(refused!.retryMs! + 20);
    expect(await refusalOf(acme.submit({ workflow: "kyc" }))).toBeUndefined();
  });

  it("charges scans more than point reads, so a flood of listings runs out first", async () => {
    await start({ callLimits: { tenant: { ratePerSecond: 1, burst: 20, maxCalls: 100 } } });
    const sessions = createClient(SessionService, transportFor("grpc-h2", server!.url, server!.key));
    await sessions.listSessions({});
    await sessions.listSessions({});
    expect(await refusalOf(sessions.listSessions({}))).toMatchObject({ reason: "RATE_LIMITED", metadata: { limit: "tenant_rate" } });
  });

  it("refuses a tenant's call past its concurrent calls, while other tenants go on", async () => {
    const g = gate();
    await start({ analyzers: [g.analyzer], callLimits: { tenant: { ratePerSecond: 1_000, burst: 1_000, maxCalls: 2 } } });
    const acme = submitter(server!.key);
    const held = [acme.submit({ workflow: "kyc", complete: true }), acme.submit({ workflow: "kyc", complete: true })];
    await expect.poll(g.held).toBe(2);
    const refused = await refusalOf(acme.submit({ workflow: "kyc" }));
    expect(refused).toMatchObject({ code: Code.ResourceExhausted, reason: "RATE_LIMITED", metadata: { limit: "tenant_calls" } });
    expect(refused!.retryMs).toBeGreaterThan(0);
    expect(await refusalOf(submitter(server!.otherKey).submit({ workflow: "kyc" }))).toBeUndefined();
    g.open();
    await Promise.all(held);
    expect(await refusalOf(acme.submit({ workflow: "kyc" }))).toBeUndefined();
  });

  it("caps calls in progress per process with OVERLOADED, whoever makes them", async () => {
    const g = gate();
    await start({ analyzers: [g.analyzer], callLimits: { tenant: roomy, maxCalls: 3 } });
    const acme = submitter(server!.key);
    const globex = submitter(server!.otherKey);
    const held = [acme.submit({ workflow: "kyc", complete: true }), acme.submit({ workflow: "kyc", complete: true }), globex.submit({ workflow: "kyc", complete: true })];
    await expect.poll(g.held).toBe(3);
    const refused = await refusalOf(globex.submit({ workflow: "kyc" }));
    expect(refused).toMatchObject({ code: Code.ResourceExhausted, reason: "OVERLOADED" });
    expect(refused!.retryMs).toBeGreaterThan(0);
    g.open();
    await Promise.all(held);
    expect(await refusalOf(globex.submit({ workflow: "kyc" }))).toBeUndefined();
  });

  it("gives a front end's client token its own small budget: using it up leaves the tenant's API keys theirs", async () => {
    await start({ callLimits: { tenant: { ratePerSecond: 1, burst: 4, maxCalls: 100 }, client: { ratePerSecond: 1, burst: 2, maxCalls: 1 } } });
    const frontEnd = await openAsFrontEnd(server!.url, server!.key); // one tenant call
    const asClient = createClient(SessionService, transportFor("connect-json-h1", server!.url, frontEnd.token));
    await asClient.getSession({ sessionId: frontEnd.sessionId });
    await asClient.getSession({ sessionId: frontEnd.sessionId });
    expect(await refusalOf(asClient.getSession({ sessionId: frontEnd.sessionId }))).toMatchObject({
      code: Code.ResourceExhausted,
      reason: "RATE_LIMITED",
      metadata: { limit: "client_rate" },
    });
    // The tenant spent 1 of its 4 on CreateSession; the front end's calls cost it nothing.
    const backend = createClient(SessionService, transportFor("grpc-h2", server!.url, server!.key));
    for (let i = 0; i < 3; i++) expect(await refusalOf(backend.getSession({ sessionId: frontEnd.sessionId }))).toBeUndefined();
    expect(await refusalOf(backend.getSession({ sessionId: frontEnd.sessionId }))).toMatchObject({ metadata: { limit: "tenant_rate" } });
  });
});
