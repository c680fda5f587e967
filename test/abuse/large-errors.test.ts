import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * Connect compresses a unary error body over 1 KiB when the client accepts it. The wrapper that
 * amends framework errors used to parse that body as plain JSON, fail, and leave the request
 * without any answer: the client hung until its own timeout.
 */
describe("error responses over the compression threshold", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each(["gzip", "br", "identity"])("reach a Connect client that accepts %s", async (encoding) => {
    // Forty bad list entries: forty field violations, well over 1 KiB of error.
    const body = JSON.stringify({ reason: "r", lists: { denyEmails: Array(40).fill("\u0007") } });
    const res = await fetch(`${server.baseUrl}/sessionflow.v1.ConfigurationService/UpdateThresholds`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": encoding, authorization: `Bearer ${server.keys.acme}` },
      body,
      signal: AbortSignal.timeout(3_000),
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { code: string; details: { type: string; debug?: { reason?: string } }[] };
    expect(json.code).toBe("invalid_argument");
    expect(json.details.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("INVALID_REQUEST");
  });

  it("and a request Connect refuses itself, with a long message, is answered too", async () => {
    const body = JSON.stringify({ workflow: "x".repeat(3000), complete: "not-a-bool-".repeat(200) });
    const res = await fetch(`${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": "gzip", authorization: `Bearer ${server.keys.acme}` },
      body,
      signal: AbortSignal.timeout(3_000),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });
});
