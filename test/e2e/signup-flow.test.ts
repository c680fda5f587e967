import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Disposition } from "../../gen/sessionflow/v1/session_pb.js";
import { clientsFor, urlFor, type Protocol } from "../support/clients.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * The three-step bank sign-up of seeds/fideo-session.txt, driven the same way through three
 * kinds of client: name and email, then phone, then address, all stitched into one session.
 */
const alice = { fullName: "Alice Liddell", email: "alice@example.com" };
const phone = "+447700900123";
const address = { lines: ["1 Rabbit Hole Lane"], locality: "Oxford", postalCode: "OX1 1AA", regionCode: "GB" };

interface SubmitOutcome {
  sessionId: string;
  disposition: string;
  header: string;
  replaces: string;
}

/** What the flow needs from a client, so one scenario runs against every kind. */
interface FlowClient {
  submit(req: Record<string, unknown>): Promise<SubmitOutcome>;
  session(id: string): Promise<{ submissions: number; phone: string; city: string; replacedBy: string }>;
  audit(id: string): Promise<{ records: number; verified: boolean; procedures: string[] }>;
  billableEvents(): Promise<string[]>;
  close(): void;
}

function connectFlowClient(protocol: Protocol, server: TestServer): FlowClient {
  const c = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
  return {
    async submit(req) {
      let header = "";
      const res = await c.submissions.submit(req, { onHeader: (h) => (header = h.get("sessionflow-disposition") ?? "") });
      return { sessionId: res.session!.id, disposition: Disposition[res.disposition], header, replaces: res.session!.replaces };
    },
    async session(id) {
      const { session } = await c.sessions.getSession({ sessionId: id });
      return {
        submissions: session!.submissions.length,
        phone: session!.identity!.phone,
        city: session!.identity!.address?.locality ?? "",
        replacedBy: session!.replacedBy,
      };
    },
    async audit(id) {
      const res = await c.sessions.getAuditTrail({ sessionId: id });
      return { records: res.records.length, verified: res.chainVerified, procedures: res.records.map((r) => r.procedure) };
    },
    async billableEvents() {
      const res = await c.billing.listBillableEvents({
        startTime: timestampFromDate(new Date("2026-01-01T00:00:00Z")),
        endTime: timestampFromDate(new Date("2027-01-01T00:00:00Z")),
      });
      return res.events.map((e) => e.sessionId);
    },
    close() {},
  };
}

function grpcJsFlowClient(server: TestServer, port = server.port): FlowClient {
  const c = createGrpcJsClient(port, server.keys.acme);
  return {
    async submit(req) {
      const { response, headers } = await c.call("SubmissionService", "Submit", snake(req) as Record<string, unknown>);
      return {
        sessionId: response.session.id,
        disposition: String(response.disposition).replace(/^DISPOSITION_/, ""),
        header: String(headers.get("sessionflow-disposition")[0] ?? ""),
        replaces: response.session.replaces,
      };
    },
    async session(id) {
      const { response } = await c.call("SessionService", "GetSession", { session_id: id });
      const s = response.session;
      return { submissions: s.submissions.length, phone: s.identity.phone, city: s.identity.address?.locality ?? "", replacedBy: s.replaced_by };
    },
    async audit(id) {
      const { response } = await c.call("SessionService", "GetAuditTrail", { session_id: id });
      return { records: response.records.length, verified: response.chain_verified, procedures: response.records.map((r: { procedure: string }) => r.procedure) };
    },
    async billableEvents() {
      const { response } = await c.call("BillingService", "ListBillableEvents", {
        start_time: { seconds: Date.parse("2026-01-01T00:00:00Z") / 1000, nanos: 0 },
        end_time: { seconds: Date.parse("2027-01-01T00:00:00Z") / 1000, nanos: 0 },
      });
      return response.events.map((e: { session_id: string }) => e.session_id);
    },
    close: () => c.close(),
  };
}

/** proto-loader with keepCase wants the proto field names. */
function snake(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snake);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(v)]),
  );
}

const kinds: [string, (s: TestServer) => FlowClient][] = [
  ["Connect protocol, JSON, HTTP/1.1 (connect-node)", (s) => connectFlowClient("connect-json-h1", s)],
  ["gRPC over cleartext HTTP/2 (connect-node)", (s) => connectFlowClient("grpc-h2", s)],
  ["gRPC from the .proto files (@grpc/grpc-js + proto-loader)", (s) => grpcJsFlowClient(s)],
  ["gRPC (connect-node) on the native @grpc/grpc-js port", (s) => connectFlowClient("native-grpc", s)],
  ["gRPC from the .proto files (@grpc/grpc-js) on the native port", (s) => grpcJsFlowClient(s, s.grpcPort)],
];

describe.each(kinds)("bank sign-up through %s", (_name, makeClient) => {
  let server: TestServer;
  let client: FlowClient;
  beforeEach(async () => {
    server = await startTestServer();
    client = makeClient(server);
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it("stitches three steps into one billable, audited session, and replaces it after expiry", async () => {
    const start = await client.submit({ workflow: "bank-signup", identity: alice, step: "signup-start" });
    expect(start).toMatchObject({ disposition: "CREATED", header: "created" });

    const phoneStep = await client.submit({
      sessionId: start.sessionId,
      workflow: "bank-signup",
      identity: { ...alice, phone },
      step: "phone-verification",
    });
    expect(phoneStep).toMatchObject({ sessionId: start.sessionId, disposition: "CONTINUED", header: "continued" });

    const addressStep = await client.submit({
      sessionId: start.sessionId,
      workflow: "bank-signup",
      identity: { ...alice, phone, address },
      step: "address-check",
      complete: true,
    });
    expect(addressStep).toMatchObject({ sessionId: start.sessionId, disposition: "CONTINUED", header: "continued" });

    expect(await client.session(start.sessionId)).toMatchObject({ submissions: 3, phone, city: "Oxford" });
    expect(await client.billableEvents()).toEqual([start.sessionId]);
    const trail = await client.audit(start.sessionId);
    expect(trail).toEqual({
      records: 3,
      verified: true,
      procedures: Array(3).fill("/sessionflow.v1.SubmissionService/Submit"),
    });

    // Alice stalls past the 10-minute lifetime and resubmits with the old id.
    server.clock.advance(10 * 60 * 1000);
    const late = await client.submit({ sessionId: start.sessionId, workflow: "bank-signup", identity: alice });
    expect(late).toMatchObject({ disposition: "REPLACED_EXPIRED", header: "created", replaces: start.sessionId });
    expect(late.sessionId).not.toBe(start.sessionId);
    expect(await client.billableEvents()).toEqual([start.sessionId, late.sessionId]);
    expect((await client.session(start.sessionId)).replacedBy).toBe(late.sessionId);
    // The replacement starts with an empty context: only what the late call carried.
    expect(await client.session(late.sessionId)).toMatchObject({ submissions: 1, phone: "" });
  });
});
