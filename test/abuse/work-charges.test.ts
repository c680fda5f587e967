import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionService, SessionView } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";
import { crowd } from "../support/crowd.js";
import { createDomainHarness } from "../support/domain-harness.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { refusalOf } from "./refusal.js";

/**
 * A call's price is fixed, but its cost is not: a scan of a large tenant or the FULL view of
 * a long session takes far more of the shared event loop than a point read. Each is billed
 * for the work it did, so a budget of calls per second bounds the time a tenant takes.
 */
describe("calls pay for the work they do", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("bills a scan for the sessions it visits, so a large tenant runs out of listings sooner", async () => {
    // A bucket of 100 and almost no refill: at the flat price of 10 a scan, ten would pass.
    server = await startAbuseServer({ callLimits: { tenant: { ratePerSecond: 1, burst: 100, maxCalls: 100 } } });
    await crowd(server.store, "acme", 20_000);
    const sessions = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    let passed = 0;
    for (let i = 0; i < 10; i++) {
      // A filter nothing matches visits every session: 20,000 visits are 20 calls' worth, 30 with the price.
      if ((await refusalOf(sessions.listSessions({ market: "FR", pageSize: 100 }))) === undefined) passed++;
    }
    expect(passed).toBeGreaterThanOrEqual(3);
    expect(passed).toBeLessThanOrEqual(5);
    // Another tenant's budget is its own.
    const other = createClient(SessionService, transportFor("grpc-h2", server.url, server.otherKey));
    expect(await refusalOf(other.listSessions({ market: "FR" }))).toBeUndefined();
  });

  it("bills a FULL read of a long session for its size, and an ordinary read only its price", async () => {
    server = await startAbuseServer({ callLimits: { tenant: { ratePerSecond: 1, burst: 100, maxCalls: 100 } } });
    const h = createDomainHarness(server.store);
    // 150 submissions with the largest device the service accepts: about 0.75 MiB in the FULL view.
    const wide = (n: number) => "語".repeat(n);
    const long = { tenantId: "acme", workflow: "archive", device: { deviceId: wide(128), userAgent: wide(512), automationFlags: Array.from({ length: 16 }, () => wide(64)) } };
    const { session } = await h.sessions.submit(h.submit(long));
    for (let i = 1; i < 150; i++) await h.sessions.submit(h.submit({ ...long, sessionId: session.id, step: `s${i}` }));
    const { session: small } = await h.sessions.submit(h.submit({ tenantId: "globex", workflow: "kyc" }));

    const acme = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    const full = await acme.getSession({ sessionId: session.id, view: SessionView.FULL });
    expect(full.session!.submissions.length).toBe(150);
    // The BASIC view of the same session costs its price alone.
    let basics = 0;
    while (basics < 200 && (await refusalOf(acme.getSession({ sessionId: session.id, view: SessionView.BASIC }))) === undefined) basics++;
    // What the FULL read left of the bucket of 100 (about 47 units of bytes), plus a call's refill per second.
    expect(basics).toBeLessThan(60);

    const globex = createClient(SessionService, transportFor("grpc-h2", server.url, server.otherKey));
    let reads = 0;
    while (reads < 200 && (await refusalOf(globex.getSession({ sessionId: small.id, view: SessionView.FULL }))) === undefined) reads++;
    expect(reads).toBeGreaterThanOrEqual(100);
    expect(reads).toBeLessThan(110);
  });
});
