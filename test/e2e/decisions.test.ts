import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import { CheckOutcome, CheckType, Decision, RiskLabel } from "../../gen/sessionflow/v1/risk_pb.js";
import { clientsFor, transportFor, type Clients } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const alice = { fullName: "Alice Liddell", email: "alice.liddell@example.com" };
const phone = "+447700900123";
const address = { lines: ["1 Rabbit Hole Lane"], locality: "Oxford", postalCode: "OX1 1AA", regionCode: "GB" };
const reason = (e: unknown) => ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.reason;

describe("risk, decisions, checks and thresholds over the wire", () => {
  let server: TestServer;
  let c: Clients;
  let decisions: Client<typeof DecisionService>;
  let checks: Client<typeof CheckService>;
  let config: Client<typeof ConfigurationService>;

  beforeEach(async () => {
    server = await startTestServer();
    c = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
    const transport = transportFor("grpc-h2", server.baseUrl, server.keys.acme);
    decisions = createClient(DecisionService, transport);
    checks = createClient(CheckService, transport);
    config = createClient(ConfigurationService, transport);
  });
  afterEach(() => server.close());

  it("replays Alice's sign-up: synthetic-identity risk falls as the phone, then the address, corroborate an earlier authenticated session", async () => {
    // Alice signed up before; that session was approved and authenticated as her account.
    const earlier = await c.submissions.submit({ workflow: "bank-signup", market: "GB", identity: { ...alice, phone, address }, complete: true });
    expect(earlier.session!.decision!.decision).toBe(Decision.APPROVE);
    const auth = await decisions.authenticateSession({ sessionId: earlier.session!.id, accountId: "acct-alice" });
    expect(auth.decision!.decision).toBe(Decision.APPROVE);

    const step1 = await c.submissions.submit({ workflow: "bank-signup", market: "GB", identity: alice, step: "signup-start" });
    const id = step1.session!.id;
    const step2 = await c.submissions.submit({ sessionId: id, workflow: "bank-signup", identity: { ...alice, phone }, step: "phone-verification" });
    const step3 = await c.submissions.submit({ sessionId: id, workflow: "bank-signup", identity: { ...alice, phone, address }, step: "address-check", complete: true });
    const synthetic = [step1, step2, step3].map((r) => r.session!.risk!.syntheticIdentity);
    expect(synthetic).toEqual([0.45, 0.25, 0.05]);
    expect(step3.session!.risk!.reasons.filter((r) => r.component === "synthetic_identity").map((r) => r.code)).toEqual([
      "IDENTITY_UNVERIFIED",
      "EMAIL_CORROBORATED",
      "PHONE_CORROBORATED",
      "ADDRESS_CORROBORATED",
    ]);
    expect(step3.session!.risk!.label).toBe(RiskLabel.REAL);
    expect(step3.session!.decision!.decision).toBe(Decision.APPROVE);
  });

  it("an unauthenticated decision leaves the identity graph unchanged; an authenticated one changes later decisions", async () => {
    const identity = { fullName: "Bob Builder", email: "bob.builder@example.com" };
    const device = { deviceId: "device-bob", userAgent: "Mozilla/5.0", automationFlags: [] };
    const first = await c.submissions.submit({ workflow: "kyc", identity, device, complete: true });
    const second = await c.submissions.submit({ workflow: "kyc", identity, device, complete: true });

    const unauth = await decisions.getUnauthenticatedDecision({ sessionId: first.session!.id, options: { includeSessionDetail: true, includeLinkedAccounts: true } });
    expect(unauth.decision).toMatchObject({ projectId: "acme", sessionId: first.session!.id, accountId: "", accountsLinked: 0, multipleAccounts: 0 });
    expect(unauth.decision!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(unauth.decision!.session?.id).toBe(first.session!.id);
    // Unauthenticated sessions are never compared with one another, and nothing was written.
    expect((await decisions.getUnauthenticatedDecision({ sessionId: second.session!.id })).decision!.accountsLinked).toBe(0);
    expect(await server.store.identity.findByKeys("acme", ["email:bob.builder@example.com"], 10)).toEqual([]);
    expect((await c.sessions.getAuditTrail({ sessionId: first.session!.id })).records).toHaveLength(1);

    const authed = await decisions.authenticateSession({ sessionId: first.session!.id, accountId: "acct-bob-1", options: { includeLinkedAccounts: true } });
    expect(authed.decision).toMatchObject({ accountId: "acct-bob-1", accountsLinked: 0 });
    const later = await decisions.getUnauthenticatedDecision({ sessionId: second.session!.id, options: { includeLinkedAccounts: true } });
    expect(later.decision).toMatchObject({ accountsLinked: 1, multipleAccounts: 0.5, linkedAccounts: ["acct-bob-1"] });
    expect(later.decision!.risk!.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(["MULTI_ACCOUNT_EMAIL", "MULTI_ACCOUNT_DEVICE"]));
    // Authenticating as the same account is not multi-accounting; as another account it is.
    const same = await decisions.authenticateSession({ sessionId: second.session!.id, accountId: "acct-bob-1" });
    expect(same.decision!.accountsLinked).toBe(0);
    await expect(decisions.authenticateSession({ sessionId: second.session!.id, accountId: "acct-other" })).rejects.toSatisfy((e) => reason(e) === "ACCOUNT_MISMATCH");
    // The session had resolved already, so the hook shows on the tenant stream, after RESOLVED.
    const stream = createClient(EventService, transportFor("grpc-h2", server.baseUrl, server.keys.acme)).watchEvents({
      fromBeginning: true,
      filter: { types: [LifecycleEventType.AUTHENTICATED] },
    });
    for await (const r of stream) {
      expect(r.kind.case === "event" && r.kind.value.sessionId).toBe(first.session!.id);
      break;
    }
  });

  it("forces at most 5 re-captures, then fails the check and declines", async () => {
    // Checks come in while the session collects input (selfie, document), before it completes.
    const s = await c.submissions.submit({ workflow: "kyc", identity: alice, step: "selfie" });
    const id = s.session!.id;
    for (let i = 0; i < 5; i++) {
      const r = await checks.reportCheckResult({ sessionId: id, type: CheckType.LIVENESS, score: 0.75, vendor: "sdk" });
      expect(r.check!.outcome).toBe(CheckOutcome.RETRY);
      expect(r.session!.decision!.decision).toBe(Decision.PENDING);
    }
    const last = await checks.reportCheckResult({ sessionId: id, type: CheckType.LIVENESS, score: 0.75 });
    expect(last.check!.outcome).toBe(CheckOutcome.FAILED);
    expect(last.session!.forcedRetries).toBe(5);
    expect(last.session!.decision).toMatchObject({ decision: Decision.DECLINE, reason: "CHECK_FAILED_LIVENESS" });
    await expect(checks.reportCheckResult({ sessionId: id, type: CheckType.UNSPECIFIED, score: 2 })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("sends a suspicious session to review, and a reviewer finalizes it, audited, with a DECISION event", async () => {
    const s = await c.submissions.submit({ workflow: "kyc", identity: { fullName: "Carol Singer", email: "carol.singer@yopmail.com" }, complete: true });
    const id = s.session!.id;
    expect(s.session!.risk!.label).toBe(RiskLabel.SUSPICIOUS);
    expect(s.session!.decision!.decision).toBe(Decision.REVIEW);
    await expect(decisions.reviewSession({ sessionId: id, decision: Decision.REVIEW, reviewer: "analyst-1", reason: "x" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const reviewed = await decisions.reviewSession({ sessionId: id, decision: Decision.APPROVE, reviewer: "analyst-1", reason: "called the customer" });
    expect(reviewed.session!.decision).toMatchObject({ decision: Decision.APPROVE, reviewer: "analyst-1", reviewReason: "called the customer" });
    await expect(decisions.reviewSession({ sessionId: id, decision: Decision.DECLINE, reviewer: "analyst-2", reason: "no" })).rejects.toSatisfy((e) => reason(e) === "NOT_UNDER_REVIEW");
    const trail = await c.sessions.getAuditTrail({ sessionId: id });
    expect(trail.records.at(-1)).toMatchObject({ procedure: "/sessionflow.v1.DecisionService/ReviewSession", returned: { decision: "APPROVE" } });
    expect(trail.chainVerified).toBe(true);
  });

  it("versions thresholds with reasons, refuses stale updates, and records the version on every decision", async () => {
    const initial = await config.getThresholds({ market: "HU" });
    expect(initial.config!.version).toBe(0n);
    expect(initial.effective).toMatchObject({ liveness: 0.8, document: 0.75, maxRetries: 5 });
    await expect(config.updateThresholds({ expectedVersion: 0n, reason: "", values: {} })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const v1 = await config.updateThresholds({
      expectedVersion: 0n,
      reason: "older documents in HU",
      values: { review: 0.6 },
      marketOverrides: { HU: { document: 0.6 } },
      lists: { denyDomains: ["fraud.example"] },
    });
    expect(v1.config).toMatchObject({ version: 1n, reason: "older documents in HU", principal: expect.stringMatching(/^key:/) });
    await expect(config.updateThresholds({ expectedVersion: 0n, reason: "racing", values: {} })).rejects.toSatisfy(
      (e) => reason(e) === "STALE_CONFIGURATION" && ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.metadata["current_version"] === "1",
    );
    // An update replaces the whole configuration: what it leaves out returns to the defaults.
    await config.updateThresholds({
      expectedVersion: 1n,
      reason: "tighten liveness",
      values: { review: 0.6, liveness: 0.85 },
      marketOverrides: { HU: { document: 0.6 } },
      lists: { denyDomains: ["fraud.example"] },
    });
    const revisions = await config.listThresholdRevisions({ pageSize: 1 });
    expect(revisions.revisions.map((r) => r.version)).toEqual([2n]);
    const older = await config.listThresholdRevisions({ pageSize: 1, pageToken: revisions.nextPageToken });
    expect(older.revisions.map((r) => r.reason)).toEqual(["older documents in HU"]);
    expect((await config.getThresholds({ market: "HU" })).effective).toMatchObject({ document: 0.6, liveness: 0.85, review: 0.6 });

    const s = await c.submissions.submit({ workflow: "kyc", identity: { fullName: "Dan Denied", email: "dan@fraud.example" }, complete: true });
    expect(s.session!.risk).toMatchObject({ configurationVersion: 2n, lists: ["deny:domain"], label: RiskLabel.FAKE });
    expect(s.session!.decision).toMatchObject({ decision: Decision.DECLINE, configurationVersion: 2n });
    const limited = createClient(ConfigurationService, transportFor("grpc-h2", server.baseUrl, server.keys.limited));
    await expect(limited.getThresholds({})).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});
