import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { Decision, CheckType } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { issueApiKey } from "../../src/domain/api-key.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** The operator console's key: the reads and operator actions the console offers, nothing else. */
describe("the console scope", () => {
  let server: TestServer;
  let consoleKey = "";
  let pending = "";
  let complete = "";

  beforeAll(async () => {
    server = await startTestServer();
    const { secret, key } = issueApiKey("acme", ["console"], server.clock.now());
    await server.store.apiKeys.insert(key);
    consoleKey = secret;
    const acme = createClient(SubmissionService, transportFor("connect-json-h1", server.baseUrl, server.keys.acme));
    pending = (await acme.submit({ workflow: "bank-signup", identity: { fullName: "Ada" } })).session!.id;
    complete = (await acme.submit({ workflow: "bank-signup", identity: { fullName: "Bea" }, complete: true })).session!.id;
  });
  afterAll(() => server.close());

  const as = (key: string) => transportFor("connect-json-h1", server.baseUrl, key);
  async function refusal(call: Promise<unknown>) {
    const error = await call.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error, "the call should have been refused").toBeInstanceOf(ConnectError);
    return { code: error!.code, reason: error!.findDetails(ErrorInfoSchema)[0]?.reason };
  }

  it("reads sessions, audit trails and thresholds, recovers links and watches timelines", async () => {
    const sessions = createClient(SessionService, as(consoleKey));
    expect((await sessions.listSessions({})).sessions.map((s) => s.id)).toEqual([complete, pending]);
    expect((await sessions.getAuditTrail({ sessionId: pending })).chainVerified).toBe(true);
    expect((await sessions.issueLink({ sessionId: pending })).url).toMatch(/\/s\//);
    expect((await createClient(ConfigurationService, as(consoleKey)).listThresholdRevisions({})).revisions.length).toBeGreaterThanOrEqual(0);
    const events = [];
    for await (const { event } of createClient(EventService, as(consoleKey)).watchSession({ sessionId: complete })) {
      events.push(event!.type);
    }
    expect(events.length).toBeGreaterThan(0);
    const metrics = await createClient(MetricsService, as(consoleKey)).getMetrics({
      startTime: timestampFromDate(new Date(server.clock.now().getTime() - 3600_000)),
      endTime: timestampFromDate(new Date(server.clock.now().getTime() + 3600_000)),
    });
    expect(metrics.total!.sessions).toBe(2n);
  });

  it("may not create sessions, submit, report checks, authenticate or read billing", async () => {
    const denied = { code: Code.PermissionDenied, reason: "SCOPE_MISSING" };
    expect(await refusal(createClient(SessionService, as(consoleKey)).createSession({ workflow: "bank-signup" }))).toEqual(denied);
    expect(await refusal(createClient(SubmissionService, as(consoleKey)).submit({ workflow: "bank-signup" }))).toEqual(denied);
    expect(await refusal(createClient(CheckService, as(consoleKey)).reportCheckResult({ sessionId: pending, type: CheckType.LIVENESS, score: 1 }))).toEqual(denied);
    expect(await refusal(createClient(DecisionService, as(consoleKey)).authenticateSession({ sessionId: pending, accountId: "a1" }))).toEqual(denied);
    expect(await refusal(createClient(BillingService, as(consoleKey)).getUsage({}))).toEqual(denied);
  });

  it("is not given by the sessions scope alone: a sessions-only key still lacks the audit trail", async () => {
    const limited = createClient(SessionService, as(server.keys.limited));
    expect(await refusal(limited.getAuditTrail({ sessionId: pending }))).toEqual({ code: Code.PermissionDenied, reason: "SCOPE_MISSING" });
  });

  it("lists sessions by decision, for the review queue, and refuses an unknown decision", async () => {
    const sessions = createClient(SessionService, as(consoleKey));
    const ids = async (decisions: Decision[]) => (await sessions.listSessions({ decisions })).sessions.map((s) => s.id);
    expect(await ids([Decision.PENDING])).toEqual([pending]);
    expect(await ids([Decision.APPROVE, Decision.REVIEW, Decision.DECLINE])).toEqual([complete]);
    expect(await ids([Decision.ABANDONED])).toEqual([]);
    expect(await refusal(sessions.listSessions({ decisions: [42 as Decision] }))).toEqual({ code: Code.InvalidArgument, reason: "INVALID_REQUEST" });
  });

  it("binds a page token to its decision filter", async () => {
    const sessions = createClient(SessionService, as(consoleKey));
    const first = await sessions.listSessions({ pageSize: 1 });
    expect(first.nextPageToken).not.toBe("");
    expect(await refusal(sessions.listSessions({ pageSize: 1, pageToken: first.nextPageToken, decisions: [Decision.PENDING] }))).toMatchObject({ code: Code.InvalidArgument, reason: "INVALID_PAGE_TOKEN" });
  });
});
