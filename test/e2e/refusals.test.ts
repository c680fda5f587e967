import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Disposition } from "../../gen/sessionflow/v1/session_pb.js";
import { clientsFor, type Clients } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** Bad input, bad credentials and other tenants' data: each refused precisely, nothing changed. */
describe("refusals over the wire", () => {
  let server: TestServer;
  let acme: Clients;
  let globex: Clients;
  let sessionId: string;

  beforeAll(async () => {
    server = await startTestServer({ maxRequestBytes: 64 * 1024 });
    acme = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
    globex = clientsFor("grpc-h2", server.baseUrl, server.keys.globex);
    const res = await acme.submissions.submit({ workflow: "bank-signup", identity: { fullName: "Alice" } });
    sessionId = res.session!.id;
  });
  afterAll(() => server.close());

  async function refusal(call: Promise<unknown>) {
    const error = await call.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error, "the call should have been refused").toBeInstanceOf(ConnectError);
    const info = error!.findDetails(ErrorInfoSchema)[0];
    const fields = error!.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field) ?? [];
    return { code: error!.code, reason: info?.reason, domain: info?.domain, metadata: info?.metadata, fields, message: error!.rawMessage };
  }

  async function unchanged() {
    const { session } = await acme.sessions.getSession({ sessionId });
    expect(session!.submissions).toHaveLength(1);
    expect(session!.version).toBe(1n);
  }

  it.each([
    ["a malformed session id", { sessionId: "not-a-uuid", workflow: "bank-signup" }, ["session_id"]],
    ["a malformed request id", { requestId: "1234", workflow: "bank-signup" }, ["request_id"]],
    ["a missing workflow", { sessionId: "0197f665-6c88-7512-bc33-a7605d487377" }, ["workflow"]],
    ["an unknown market", { workflow: "bank-signup", market: "QQ" }, ["market"]],
    ["several bad fields at once", { workflow: "Bank Signup", market: "gb", identity: { email: "no-at-sign", dateOfBirth: "1990-02-30" } }, ["workflow", "market", "identity.email", "identity.date_of_birth"]],
    ["a bad IP and control characters", { workflow: "bank-signup", device: { ipAddress: "999.1.1.1x", userAgent: "a\u0000b" } }, ["device.ip_address", "device.user_agent"]],
    ["an oversized field", { workflow: "bank-signup", identity: { fullName: "x".repeat(201) } }, ["identity.full_name"]],
  ])("refuses %s with INVALID_ARGUMENT naming each field", async (_name, request, fields) => {
    const r = await refusal(acme.submissions.submit(request));
    expect(r).toMatchObject({ code: Code.InvalidArgument, reason: "INVALID_REQUEST", domain: "sessionflow.v1" });
    expect(r.fields).toEqual(fields);
    await unchanged();
  });

  it("never echoes submitted values in error messages", async () => {
    const r = await refusal(acme.submissions.submit({ workflow: "bank-signup", identity: { email: "secret-person.example.com" } }));
    expect(JSON.stringify(r)).not.toContain("secret-person");
  });

  it("refuses wrong JSON types with INVALID_ARGUMENT and a reason", async () => {
    for (const body of ['{"workflow": 5}', '{"workflow":"bank-signup","complete":"yes"}', '{"identity":[1,2]}', "{not json"]) {
      const res = await fetch(`${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.keys.acme}` },
        body,
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { code: string; details?: { type: string; debug?: { reason?: string } }[] };
      expect(json.code).toBe("invalid_argument");
      expect(json.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("INVALID_REQUEST");
    }
    await unchanged();
  });

  it.each(["grpc-h2", "grpc-web-h1", "connect-binary-h1"] as const)("adds the reason to errors Connect raises itself, over %s", async (protocol) => {
    // Over the cap, so Connect refuses it before any Sessionflow code runs.
    const huge = "x".repeat(100 * 1024);
    const r = await refusal(clientsFor(protocol, server.baseUrl, server.keys.acme).submissions.submit({ workflow: "bank-signup", identity: { fullName: huge } }));
    expect(r).toMatchObject({ code: Code.ResourceExhausted, reason: "REQUEST_TOO_LARGE", domain: "sessionflow.v1", metadata: { max_bytes: "65536" } });
    await unchanged();
  });

  it("refuses bodies over the cap with RESOURCE_EXHAUSTED, before reading them whole", async () => {
    const huge = JSON.stringify({ workflow: "bank-signup", sessionId, identity: { fullName: "x".repeat(100 * 1024) } });
    const res = await fetch(`${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.keys.acme}` },
      body: huge,
    });
    expect((await res.json()) as { code: string }).toMatchObject({ code: "resource_exhausted" });
    const r = await refusal(globex.submissions.submit({ workflow: "bank-signup", identity: { fullName: "x".repeat(100 * 1024) } }));
    expect(r.code).toBe(Code.ResourceExhausted);
    await unchanged();
  });

  it("refuses a closed or mismatched session with FAILED_PRECONDITION and its reason", async () => {
    const r = await refusal(acme.submissions.submit({ sessionId, workflow: "card-payment" }));
    expect(r).toMatchObject({ code: Code.FailedPrecondition, reason: "SESSION_WORKFLOW_MISMATCH" });
    await unchanged();
  });

  it("refuses missing, wrong and under-scoped credentials", async () => {
    const anonymous = clientsFor("connect-json-h1", server.baseUrl);
    expect(await refusal(anonymous.sessions.getSession({ sessionId }))).toMatchObject({ code: Code.Unauthenticated, reason: "UNAUTHENTICATED" });
    const forged = clientsFor("grpc-h2", server.baseUrl, "sf_k_000000000000_forged");
    expect(await refusal(forged.submissions.submit({ workflow: "bank-signup" }))).toMatchObject({ code: Code.Unauthenticated });
    const limited = clientsFor("connect-json-h1", server.baseUrl, server.keys.limited);
    expect(await refusal(limited.sessions.getAuditTrail({ sessionId }))).toMatchObject({ code: Code.PermissionDenied, reason: "SCOPE_MISSING", metadata: { required_scope: "audit" } });
    expect(await refusal(limited.billing.getUsage({}))).toMatchObject({ code: Code.PermissionDenied, reason: "SCOPE_MISSING", metadata: { required_scope: "billing" } });
  });

  it("shows another tenant's session as unknown everywhere", async () => {
    expect(await refusal(globex.sessions.getSession({ sessionId }))).toMatchObject({ code: Code.NotFound, reason: "SESSION_NOT_FOUND" });
    expect(await refusal(globex.sessions.getAuditTrail({ sessionId }))).toMatchObject({ code: Code.NotFound });
    expect((await globex.sessions.listSessions({})).sessions).toEqual([]);
    const theirs = await globex.submissions.submit({ sessionId, workflow: "bank-signup", identity: { fullName: "Eve" } });
    expect(theirs.disposition).toBe(Disposition.REPLACED_UNKNOWN);
    expect(theirs.session!.id).not.toBe(sessionId);
    // An unknown id of the right shape gets the very same answer.
    const unknown = await globex.submissions.submit({ sessionId: "0197f665-6c88-7512-bc33-a7605d487377", workflow: "bank-signup" });
    expect(unknown.disposition).toBe(Disposition.REPLACED_UNKNOWN);
    await unchanged();
  });

  it("pages ListSessions and refuses a token from another query", async () => {
    for (let i = 0; i < 4; i++) await acme.submissions.submit({ workflow: "paging-test" });
    const first = await acme.sessions.listSessions({ workflow: "paging-test", pageSize: 3 });
    expect(first.sessions).toHaveLength(3);
    const second = await acme.sessions.listSessions({ workflow: "paging-test", pageSize: 3, pageToken: first.nextPageToken });
    expect(second.sessions).toHaveLength(1);
    expect(second.nextPageToken).toBe("");
    const r = await refusal(acme.sessions.listSessions({ workflow: "bank-signup", pageToken: first.nextPageToken }));
    expect(r).toMatchObject({ code: Code.InvalidArgument, reason: "INVALID_PAGE_TOKEN" });
    expect(await refusal(acme.sessions.listSessions({ pageSize: -1 }))).toMatchObject({ fields: ["page_size"] });
  });

  it("requires a time range for usage", async () => {
    expect(await refusal(acme.billing.getUsage({}))).toMatchObject({ code: Code.InvalidArgument, fields: ["start_time", "end_time"] });
  });
});
