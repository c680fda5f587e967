import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Disposition } from "../../gen/sessionflow/v1/session_pb.js";
import { clientsFor, grpcProtocols, urlFor, type Clients } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** SPEC §1 concurrency and idempotency, over real sockets with many calls in flight. */
describe.each(grpcProtocols)("concurrent and retried submits, gRPC over %s", (protocol) => {
  let server: TestServer;
  let grpc: Clients;
  let connect: Clients;
  const billable = async () =>
    (await grpc.billing.getUsage({ startTime: timestampFromDate(new Date(0)), endTime: timestampFromDate(new Date(Date.UTC(2100, 0))) })).totalBillableEvents;

  beforeAll(async () => {
    server = await startTestServer();
    grpc = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
    connect = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
  });
  afterAll(() => server.close());

  it("makes exactly one replacement when 30 submits race with one expired id", async () => {
    const before = await billable();
    const first = await grpc.submissions.submit({ workflow: "bank-signup" });
    server.clock.advance(10 * 60 * 1000);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? grpc : connect).submissions.submit({ sessionId: first.session!.id, workflow: "bank-signup", step: `s${i}` }),
      ),
    );
    expect(results.filter((r) => r.disposition === Disposition.REPLACED_EXPIRED)).toHaveLength(1);
    expect(results.filter((r) => r.disposition === Disposition.CONTINUED)).toHaveLength(29);
    expect(new Set(results.map((r) => r.session!.id)).size).toBe(1);
    expect(await billable()).toBe(before + 2n);
    const { session } = await grpc.sessions.getSession({ sessionId: results[0]!.session!.id });
    expect(session!.submissions).toHaveLength(30);
  });

  it("returns the first response to a retry and refuses the id for a different request", async () => {
    const before = await billable();
    const requestId = "5b0e8f3c-2a51-4c55-9d7e-3f1c2b4a6d80";
    const request = { requestId, workflow: "bank-signup", identity: { fullName: "Alice" } };
    const [a, b, c] = await Promise.all([grpc.submissions.submit(request), connect.submissions.submit(request), grpc.submissions.submit(request)]);
    expect(new Set([a, b, c].map((r) => r.session!.id)).size).toBe(1);
    expect([a, b, c].every((r) => r.disposition === Disposition.CREATED && r.requestId === requestId)).toBe(true);
    expect([a, b, c].filter((r) => r.replayed)).toHaveLength(2);
    await expect(connect.submissions.submit({ ...request, identity: { fullName: "Mallory" } })).rejects.toMatchObject({ code: 9 });
    expect(await billable()).toBe(before + 1n);
    const trail = await grpc.sessions.getAuditTrail({ sessionId: a.session!.id });
    expect(trail.records).toHaveLength(1);
    expect(trail.chainVerified).toBe(true);
  });
});
