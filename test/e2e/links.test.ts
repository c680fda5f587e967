import type { DescService } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { CheckOutcome, CheckType } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const reasonOf = (e: unknown) => ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.reason;

describe("pre-initialized sessions, links and client tokens", () => {
  let server: TestServer;
  let sessions: Client<typeof SessionService>;
  let auth: Client<typeof ClientAuthService>;
  const asClient = <S extends DescService>(service: S, token: string) => createClient(service, transportFor("connect-json-h1", server.baseUrl, token));

  beforeEach(async () => {
    server = await startTestServer({ publicBaseUrl: "https://verify.example.com" });
    sessions = createClient(SessionService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    auth = createClient(ClientAuthService, transportFor("connect-json-h1", server.baseUrl));
  });
  afterEach(() => server.close());

  const tokenOf = (url: string) => url.split("/s/")[1]!;
  async function open(workflow = "kyc", extra = {}) {
    const created = await sessions.createSession({ workflow, market: "GB", reference: "order-1234", ...extra });
    const exchanged = await auth.exchangeLinkToken({ linkToken: tokenOf(created.url) });
    return { created, id: created.session!.id, token: exchanged.clientToken, exchanged };
  }

  it("creates a session ahead of time with a 7-day link, idempotently, and the link expires with it", async () => {
    const requestId = "0b9e1c1e-7d43-4b59-9a0d-0f0b7c1e2a33";
    const created = await sessions.createSession({ workflow: "kyc", reference: "order-1", requestId });
    expect(created.url).toMatch(/^https:\/\/verify\.example\.com\/s\/[A-Za-z0-9_-]{43}$/);
    const s = created.session!;
    expect(Number(s.expireTime!.seconds - s.createTime!.seconds)).toBe(7 * 24 * 3600);
    expect(s).toMatchObject({ reference: "order-1", origin: 2 });
    expect((await sessions.createSession({ workflow: "kyc", reference: "order-1", requestId })).url).toBe(created.url);
    await expect(sessions.createSession({ workflow: "kyc", lifetime: { seconds: 8n * 24n * 3600n, nanos: 0 } })).rejects.toMatchObject({ code: Code.InvalidArgument });

    const short = await sessions.createSession({ workflow: "kyc", lifetime: { seconds: 600n, nanos: 0 } });
    expect((await auth.exchangeLinkToken({ linkToken: tokenOf(short.url) })).sessionId).toBe(short.session!.id);
    server.clock.advance(600_000);
    await expect(auth.exchangeLinkToken({ linkToken: tokenOf(short.url) })).rejects.toSatisfy((e) => reasonOf(e) === "LINK_EXPIRED");
    await expect(auth.exchangeLinkToken({ linkToken: "A".repeat(43) })).rejects.toSatisfy((e) => reasonOf(e) === "LINK_INVALID");
  });

  it("recovers a lost link: the new one works and the old one stops", async () => {
    const { created } = await open();
    const recovered = await sessions.issueLink({ sessionId: created.session!.id });
    expect(recovered.url).not.toBe(created.url);
    await expect(auth.exchangeLinkToken({ linkToken: tokenOf(created.url) })).rejects.toSatisfy((e) => reasonOf(e) === "LINK_INVALID");
    expect((await auth.exchangeLinkToken({ linkToken: tokenOf(recovered.url) })).sessionId).toBe(created.session!.id);
  });

  it("replays IssueLink by request_id: a retry gets the same link and does not revoke it; a new request id issues another", async () => {
    const { created } = await open();
    const sessionId = created.session!.id;
    const requestId = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f";
    const first = await sessions.issueLink({ sessionId, requestId });
    const retried = await sessions.issueLink({ sessionId, requestId: requestId.toUpperCase() });
    expect(retried.url).toBe(first.url);
    // The retry replaced nothing: the first call's link still works.
    expect((await auth.exchangeLinkToken({ linkToken: tokenOf(first.url) })).sessionId).toBe(sessionId);
    const trail = await sessions.getAuditTrail({ sessionId });
    expect(trail.records.filter((r) => r.procedure.endsWith("IssueLink"))).toHaveLength(1);

    const next = await sessions.issueLink({ sessionId, requestId: "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" });
    expect(next.url).not.toBe(first.url);
    await expect(auth.exchangeLinkToken({ linkToken: tokenOf(first.url) })).rejects.toSatisfy((e) => reasonOf(e) === "LINK_INVALID");
    // A late retry of the first request still answers what the first call answered, and revokes nothing.
    expect((await sessions.issueLink({ sessionId, requestId })).url).toBe(first.url);
    expect((await auth.exchangeLinkToken({ linkToken: tokenOf(next.url) })).sessionId).toBe(sessionId);

    await expect(sessions.issueLink({ sessionId, requestId: "not-a-uuid" })).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.InvalidArgument && ConnectError.from(e).findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field === "request_id",
    );
    // The same request id on another RPC is a different request.
    await expect(sessions.transferSession({ sessionId, requestId })).rejects.toSatisfy((e) => reasonOf(e) === "IDEMPOTENCY_KEY_REUSED");
  });

  it("scopes a client token to its own session and the front-end procedures", async () => {
    const mine = await open();
    const other = await open();
    const allowed = new Set([
      "SubmissionService/Submit", "SessionService/GetSession", "SessionService/TransferSession", "AcknowledgementService/Acknowledge",
      "AcknowledgementService/ListWarningScreens", "OutcomeService/GetOutcome", "OutcomeService/ReportFailure", "EventService/WatchSession",
      "CheckService/ReportCheckResult",
    ]);
    const services: DescService[] = [SubmissionService, SessionService, AcknowledgementService, OutcomeService, EventService, CheckService, DecisionService, ConfigurationService, BillingService];
    const outcomes: Record<string, string> = {};
    for (const service of services) {
      for (const method of service.methods) {
        const name = `${service.name}/${method.name}`;
        const client = asClient(service, mine.token) as unknown as Record<string, (req: object) => unknown>;
        const call = async (sessionId: string) => {
          const res = client[method.localName]!({ sessionId, workflow: "kyc" });
          if (method.methodKind === "server_streaming") {
            const it = (res as AsyncIterable<unknown>)[Symbol.asyncIterator]();
            await it.next();
            await it.return?.();
          } else await res;
        };
        const code = async (sessionId: string) => call(sessionId).then(() => "ok", (e: unknown) => `${Code[ConnectError.from(e).code]}:${reasonOf(e)}`);
        outcomes[name] = await code(mine.id);
        if (allowed.has(name)) {
          expect(outcomes[name], name).not.toMatch(/^(PermissionDenied|Unauthenticated)/);
          expect(await code(other.id), `${name} on another session`).toBe("NotFound:SESSION_NOT_FOUND");
        } else {
          expect(outcomes[name], name).toBe("PermissionDenied:CLIENT_NOT_ALLOWED");
        }
      }
    }
    expect(Object.keys(outcomes)).toHaveLength(services.reduce((n, s) => n + s.methods.length, 0));
    // A forged or expired token is no token.
    await expect(asClient(SessionService, mine.token.slice(0, -2) + "xx").getSession({ sessionId: mine.id })).rejects.toMatchObject({ code: Code.Unauthenticated });
    server.clock.advance(16 * 60 * 1000);
    await expect(asClient(SessionService, mine.token).getSession({ sessionId: mine.id })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("shows front ends a reduced view: no scores or decision unless the tenant allows", async () => {
    const { id, token } = await open();
    await asClient(SubmissionService, token).submit({ sessionId: id, workflow: "kyc", identity: { email: "x@yopmail.com" } });
    const reduced = (await asClient(SessionService, token).getSession({ sessionId: id })).session!;
    expect(reduced.risk).toBeUndefined();
    expect(reduced.decision).toBeUndefined();
    expect((await sessions.getSession({ sessionId: id })).session!.risk?.riskSignals).toBeGreaterThan(0);
    const config = createClient(ConfigurationService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    await config.updateThresholds({ expectedVersion: 0n, reason: "our SDK shows scores", clientScores: true });
    server.clock.advance(3000); // past the configuration cache
    expect((await asClient(SessionService, token).getSession({ sessionId: id })).session!.risk?.riskSignals).toBeGreaterThan(0);
  });

  it("saves progress: re-opening the link resumes after the last completed step", async () => {
    const { id, token, created } = await open();
    const submit = asClient(SubmissionService, token);
    await submit.submit({ sessionId: id, workflow: "kyc", step: "personal-details", identity: { fullName: "Alice Liddell" } });
    await submit.submit({ sessionId: id, workflow: "kyc", step: "address" });
    // The user closes the tab and comes back later through the same link.
    server.clock.advance(2 * 3600_000);
    const resumed = await auth.exchangeLinkToken({ linkToken: tokenOf(created.url) });
    expect(resumed).toMatchObject({ sessionId: id, resumeStep: "address", completedSteps: ["personal-details", "address"] });
  });

  it("applies the 5-retry cap to front-end check results too", async () => {
    const { id, token } = await open();
    const checks = asClient(CheckService, token);
    const outcomes: CheckOutcome[] = [];
    for (let i = 0; i < 6; i++) outcomes.push((await checks.reportCheckResult({ sessionId: id, type: CheckType.LIVENESS, score: 0.72 })).check!.outcome);
    expect(outcomes).toEqual([...Array(5).fill(CheckOutcome.RETRY), CheckOutcome.FAILED]);
  });

  it("transfers to a phone: the child resumes at the step, syncs back, and nothing more is billed", async () => {
    const desktop = await open();
    await asClient(SubmissionService, desktop.token).submit({ sessionId: desktop.id, workflow: "kyc", step: "personal-details", identity: { fullName: "Alice Liddell" } });
    const watched: string[] = [];
    const watching = (async () => {
      for await (const r of asClient(EventService, desktop.token).watchSession({ sessionId: desktop.id })) {
        watched.push(LifecycleEventType[r.event!.type]);
        if (r.event!.type === LifecycleEventType.SUBMISSION && r.event!.submissionIndex === 2) break;
      }
    })();
    const transfer = await asClient(SessionService, desktop.token).transferSession({ sessionId: desktop.id });
    expect(transfer.qrCodeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(transfer.child).toMatchObject({ parentSessionId: desktop.id, currentStep: "personal-details", origin: 3 });
    expect(Number(transfer.child!.expireTime!.seconds - transfer.child!.createTime!.seconds)).toBe(3600);

    const phone = await auth.exchangeLinkToken({ linkToken: tokenOf(transfer.url) });
    expect(phone).toMatchObject({ resumeStep: "personal-details", completedSteps: ["personal-details"] });
    await auth.exchangeLinkToken({ linkToken: tokenOf(transfer.url) }); // opening twice announces once
    await asClient(SubmissionService, phone.clientToken).submit({ sessionId: phone.sessionId, workflow: "kyc", step: "selfie", identity: { phone: "+447700900123" } });
    await watching;
    expect(watched).toEqual(["OPENED", "SUBMISSION", "TRANSFERRED", "SUBMISSION"]);

    const parent = (await sessions.getSession({ sessionId: desktop.id })).session!;
    expect(parent.identity).toMatchObject({ fullName: "Alice Liddell", phone: "+447700900123" });
    expect(parent.completedSteps).toEqual(["personal-details", "selfie"]);
    const trail = await sessions.getAuditTrail({ sessionId: desktop.id });
    expect(trail.records.map((r) => r.principal)).toEqual([expect.stringMatching(/^key:/), `client:${desktop.id}`, `client:${desktop.id}`, `transfer:${phone.sessionId}`, `transfer:${phone.sessionId}`]);
    expect((await sessions.getAuditTrail({ sessionId: phone.sessionId })).records).toHaveLength(2);
    const billing = createClient(BillingService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    const events = await billing.listBillableEvents({ startTime: timestampFromDate(new Date(0)), endTime: timestampFromDate(new Date(Date.UTC(2100, 0))) });
    expect(events.events.map((e) => e.sessionId)).toEqual([desktop.id]);
  });
});
