import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { refusalOf } from "./refusal.js";

const lines = (s: AbuseServer) =>
  s.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("a tenant flooding past its limits", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("gets every refusal, but only the first few are logged, the rest counted for a summary", async () => {
    server = await startAbuseServer({ logs: true, callLimits: { tenant: { ratePerSecond: 1, burst: 5, maxCalls: 100 } } });
    const sessions = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    // All at once: one after another, each would be held until its retry time (retry-ignorers.test.ts).
    const outcomes = await Promise.all(Array.from({ length: 300 }, () => refusalOf(sessions.listSessions({ pageSize: 1 }))));
    const refused = outcomes.filter((o) => o?.reason === "RATE_LIMITED").length;
    expect(refused).toBeGreaterThan(280);

    const refusalLines = lines(server).filter((l) => l["msg"] === "rpc" && l["code"] === "ResourceExhausted");
    expect(refusalLines.length).toBeGreaterThan(0);
    expect(refusalLines.length).toBeLessThanOrEqual(10);
    // Calls that were served are still logged one by one (a listing costs the whole bucket of 5).
    const served = 300 - refused;
    expect(lines(server).filter((l) => l["msg"] === "rpc" && l["code"] === "ok")).toHaveLength(served);
  });
});
