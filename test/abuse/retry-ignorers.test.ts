import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { refusalOf, sleep } from "./refusal.js";

/**
 * A refusal tells the caller when to come back (RetryInfo). A client that never listens would
 * turn each refusal straight into another call, as fast as the network allows, and refusals,
 * cheap as they are, still take the event loop other tenants need. So a call that comes back
 * before its time is held until then and tried once more; one that waited is answered at once.
 */
describe("callers that ignore RetryInfo", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("are held until the time they were given, so a loop that never backs off makes few calls", async () => {
    server = await startAbuseServer({ callLimits: { tenant: { ratePerSecond: 20, burst: 1, maxCalls: 100 } } });
    const sessions = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    const { sessionId } = { sessionId: (await sessions.createSession({ workflow: "kyc" })).session!.id };
    await sleep(100);
    let served = 0;
    let refused = 0;
    const end = performance.now() + 1_000;
    while (performance.now() < end) {
      if ((await refusalOf(sessions.getSession({ sessionId }))) === undefined) served++;
      else refused++;
    }
    // About 20 served (the rate), and about a refusal per call served rather than hundreds
    // (without the hold: about 500 in the second).
    expect(served).toBeGreaterThanOrEqual(10);
    expect(served).toBeLessThanOrEqual(25);
    expect(refused).toBeLessThan(40);
  });

  it("answer a caller that waited as it was told at once, and a first refusal at once", async () => {
    server = await startAbuseServer({ callLimits: { tenant: { ratePerSecond: 2, burst: 1, maxCalls: 100 } } });
    const sessions = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    const { session } = await sessions.createSession({ workflow: "kyc" });
    await sleep(600);
    expect(await refusalOf(sessions.getSession({ sessionId: session!.id }))).toBeUndefined();
    let started = performance.now();
    const first = await refusalOf(sessions.getSession({ sessionId: session!.id }));
    expect(first?.reason).toBe("RATE_LIMITED");
    expect(performance.now() - started).toBeLessThan(100);
    await sleep(first!.retryMs! + 10);
    started = performance.now();
    expect(await refusalOf(sessions.getSession({ sessionId: session!.id }))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(100);
  });
});
