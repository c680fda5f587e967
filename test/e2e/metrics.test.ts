import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueApiKey } from "../../src/domain/api-key.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { Acknowledgement, FailureReason, WarningScreenStatus } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { MetricsInterval, type SessionMetrics } from "../../gen/sessionflow/v1/metrics_pb.js";
import { MetricsService, type GetMetricsRequest } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { CheckOutcome, CheckType, Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionState } from "../../gen/sessionflow/v1/session_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const reasonOf = (e: unknown) => ConnectError.from(e).findDetails(ErrorInfoSchema)[0];
const fieldsOf = (e: unknown) => ConnectError.from(e).findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);

/** Compact counts: sessions, decision classes in proto order, retried sessions, forced retries, per check [passed, retry, failed, sessions failed]. */
function counts(m: SessionMetrics | undefined) {
  const d = m!.decisions!;
  return {
    sessions: Number(m!.sessions),
    decisions: [d.approvedAutomatically, d.approvedByReview, d.declinedAutomatically, d.declinedByReview, d.inReview, d.pending, d.abandoned].map(Number),
    retried: Number(m!.forcedRetry!.numerator),
    forcedRetries: Number(m!.forcedRetries),
    checks: Object.fromEntries(m!.checks.map((c) => [CheckType[c.type], [c.passed, c.retryRequested, c.failed, c.sessionsFailed].map(Number)])),
  };
}
const rate = (m: SessionMetrics | undefined, which: "approval" | "rejection" | "abandonment" | "forcedRetry") => {
  const r = m![which]!;
  return [Number(r.numerator), Number(r.denominator), r.rate];
};

/**
 * Issue 12: sessions driven through the RPCs to every outcome (approve, decline, review then
 * a reviewer's verdict, abandoned by expiry, a front end's reported failure, forced retries,
 * failed checks), under two configuration versions, in two markets and two workflows; then
 * GetMetrics must return exactly the expected counts and rates.
 */
describe("GetMetrics over the wire", () => {
  let server: TestServer;
  let metrics: Client<typeof MetricsService>;
  const start = new Date("2026-03-02T09:00:00Z");
  const range = { startTime: timestampFromDate(start), endTime: timestampFromDate(new Date("2026-03-02T11:00:00Z")) };

  beforeAll(async () => {
    server = await startTestServer();
    const transport = transportFor("connect-json-h1", server.baseUrl, server.keys.acme);
    const submit = createClient(SubmissionService, transport);
    const checks = createClient(CheckService, transport);
    const decisions = createClient(DecisionService, transport);
    const outcomes = createClient(OutcomeService, transport);
    const acks = createClient(AcknowledgementService, transport);
    const config = createClient(ConfigurationService, transport);
    metrics = createClient(MetricsService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));

    let n = 0;
    const clean = () => ({ fullName: `Dana Whitfield`, email: `dana.whitfield${++n}@example.com` });
    const suspicious = () => ({ fullName: "Carol Singer", email: `carol.singer${++n}@yopmail.com` });
    const open = async (workflow: string, market: string, identity = clean()) => (await submit.submit({ workflow, market, identity, step: "start" })).session!.id;
    const check = async (sessionId: string, type: CheckType, score: number, expected: CheckOutcome) =>
      expect((await checks.reportCheckResult({ sessionId, type, score, vendor: "sdk" })).check!.outcome).toBe(expected);
    const complete = async (sessionId: string, workflow: string, expected: Decision) => {
      let { session } = await submit.submit({ sessionId, workflow, complete: true });
      // The user goes ahead past every warning screen the analyses raised.
      for (let screen = session!.warningScreens.find((w) => w.status === WarningScreenStatus.PRESENTED); screen; screen = session!.warningScreens.find((w) => w.status === WarningScreenStatus.PRESENTED)) {
        session = (await acks.acknowledge({ sessionId, screenId: screen.id, acknowledgement: Acknowledgement.PROCEED })).session;
      }
      expect({ state: session!.state, decision: session!.decision!.decision }).toEqual({ state: SessionState.RESOLVED, decision: expected });
    };

    // Configuration version 0 (the defaults), 09:00.
    const s1 = await open("bank-signup", "GB");
    await check(s1, CheckType.LIVENESS, 0.9, CheckOutcome.PASSED);
    await complete(s1, "bank-signup", Decision.APPROVE);
    const s2 = await open("bank-signup", "GB");
    await check(s2, CheckType.LIVENESS, 0.75, CheckOutcome.RETRY);
    await check(s2, CheckType.LIVENESS, 0.9, CheckOutcome.PASSED);
    await complete(s2, "bank-signup", Decision.APPROVE);
    const s3 = await open("bank-signup", "DE");
    await check(s3, CheckType.DOCUMENT, 0.1, CheckOutcome.FAILED);
    await complete(s3, "bank-signup", Decision.DECLINE);
    const s4 = await open("kyc", "GB", suspicious());
    await complete(s4, "kyc", Decision.REVIEW);
    await decisions.reviewSession({ sessionId: s4, decision: Decision.APPROVE, reviewer: "analyst-1", reason: "called back" });
    const s5 = await open("kyc", "DE", suspicious());
    await complete(s5, "kyc", Decision.REVIEW);
    await decisions.reviewSession({ sessionId: s5, decision: Decision.DECLINE, reviewer: "analyst-1", reason: "no answer" });
    const s6 = await open("bank-signup", "GB"); // never completed: abandoned at 09:10
    await check(s6, CheckType.FACE_MATCH, 0.8, CheckOutcome.RETRY);

    // Configuration version 1, 10:00: liveness loosened, so 0.75 now passes.
    server.clock.advance(3_600_000);
    await config.updateThresholds({ expectedVersion: 0n, reason: "loosen liveness for poor lighting", values: { liveness: 0.7 } });
    const s7 = await open("bank-signup", "DE");
    await check(s7, CheckType.LIVENESS, 0.75, CheckOutcome.PASSED);
    await complete(s7, "bank-signup", Decision.APPROVE);
    const s8 = await open("kyc", "GB");
    await check(s8, CheckType.FACE_MATCH, 0.5, CheckOutcome.FAILED);
    await complete(s8, "kyc", Decision.DECLINE);
    const s9 = await open("kyc", "GB", suspicious());
    await complete(s9, "kyc", Decision.REVIEW); // no verdict yet
    await open("bank-signup", "DE"); // s10: still in progress
    const s11 = await open("bank-signup", "GB");
    await outcomes.reportFailure({ sessionId: s11, reason: FailureReason.SDK_ERROR, failureCode: "CAMERA" });
    server.clock.advance(5 * 60_000); // 10:05: s6 is past its expire time, s10 is not
  });
  afterAll(() => server.close());

  const get = (req: Partial<Omit<GetMetricsRequest, "$typeName">> = {}) => metrics.getMetrics({ ...range, ...req });
  const expectedTotal = {
    sessions: 11,
    decisions: [3, 1, 3, 1, 1, 1, 1],
    retried: 2,
    forcedRetries: 2,
    checks: { LIVENESS: [3, 1, 0, 0], FACE_MATCH: [0, 1, 1, 1], DOCUMENT: [0, 0, 1, 1] },
  };

  it("returns exact counts and rates for a range, before and after the sweep abandons the expired session", async () => {
    const before = await get();
    expect(counts(before.total)).toEqual(expectedTotal);
    expect(rate(before.total, "approval")).toEqual([4, 11, 4 / 11]);
    expect(rate(before.total, "rejection")).toEqual([3, 11, 3 / 11]);
    expect(rate(before.total, "abandonment")).toEqual([1, 11, 1 / 11]);
    expect(rate(before.total, "forcedRetry")).toEqual([2, 11, 2 / 11]);
    const faceMatch = before.total!.checks.find((c) => c.type === CheckType.FACE_MATCH)!;
    expect([faceMatch.results, faceMatch.failureRate!.rate, faceMatch.retryRate!.rate, faceMatch.failureShare!.rate]).toEqual([2n, 0.5, 0.5, 0.5]);
    expect(await server.app.sweep()).toBe(1);
    const after = await get();
    expect(counts(after.total)).toEqual(expectedTotal);
    expect(after.computeTime).toEqual(timestampFromDate(server.clock.now()));
  });

  it("splits by hour, by configuration version and by market", async () => {
    const r = await get({ interval: MetricsInterval.HOUR });
    expect(r.series.map((b) => [b.startTime!.seconds, b.endTime!.seconds, Number(b.metrics!.sessions)])).toEqual([
      [BigInt(Date.parse("2026-03-02T09:00:00Z") / 1000), BigInt(Date.parse("2026-03-02T10:00:00Z") / 1000), 6],
      [BigInt(Date.parse("2026-03-02T10:00:00Z") / 1000), BigInt(Date.parse("2026-03-02T11:00:00Z") / 1000), 5],
    ]);
    expect(r.configurationVersions.map((v) => [Number(v.configurationVersion), counts(v.metrics)])).toEqual([
      [1, { sessions: 5, decisions: [1, 0, 2, 0, 1, 1, 0], retried: 0, forcedRetries: 0, checks: { LIVENESS: [1, 0, 0, 0], FACE_MATCH: [0, 0, 1, 1], DOCUMENT: [0, 0, 0, 0] } }],
      [0, { sessions: 6, decisions: [2, 1, 1, 1, 0, 0, 1], retried: 2, forcedRetries: 2, checks: { LIVENESS: [2, 1, 0, 0], FACE_MATCH: [0, 1, 0, 0], DOCUMENT: [0, 0, 1, 1] } }],
    ]);
    expect(r.markets.map((m) => [m.market, counts(m.metrics).decisions])).toEqual([
      ["DE", [1, 0, 1, 1, 0, 1, 0]],
      ["GB", [2, 1, 2, 0, 1, 0, 1]],
    ]);
    expect((await get({ interval: MetricsInterval.DAY })).series.map((b) => Number(b.metrics!.sessions))).toEqual([11]);
  });

  it("filters by workflow and by market", async () => {
    const kyc = await get({ workflow: "kyc" });
    expect(counts(kyc.total)).toEqual({ sessions: 4, decisions: [0, 1, 1, 1, 1, 0, 0], retried: 0, forcedRetries: 0, checks: { LIVENESS: [0, 0, 0, 0], FACE_MATCH: [0, 0, 1, 1], DOCUMENT: [0, 0, 0, 0] } });
    expect(rate(kyc.total, "approval")).toEqual([1, 4, 0.25]);
    const de = await get({ market: "DE" });
    expect(counts(de.total).decisions).toEqual([1, 0, 1, 1, 0, 1, 0]);
    expect(de.markets.map((m) => m.market)).toEqual(["DE"]);
    const deV1 = (await get({ market: "DE", workflow: "bank-signup" })).configurationVersions.map((v) => [Number(v.configurationVersion), Number(v.metrics!.sessions)]);
    expect(deV1).toEqual([[1, 2], [0, 1]]);
  });

  it("shows each tenant only its own sessions, and needs the metrics scope, which is all a dashboard key needs", async () => {
    const globex = createClient(MetricsService, transportFor("connect-binary-h1", server.baseUrl, server.keys.globex));
    expect(Number((await globex.getMetrics(range)).total!.sessions)).toBe(0);
    const limited = createClient(MetricsService, transportFor("connect-json-h1", server.baseUrl, server.keys.limited));
    await expect(limited.getMetrics(range)).rejects.toMatchObject({ code: Code.PermissionDenied });
    const { secret, key } = issueApiKey("acme", ["metrics"], server.clock.now());
    await server.store.apiKeys.insert(key);
    const dashboard = createClient(MetricsService, transportFor("grpc-web-h1", server.baseUrl, secret));
    expect(counts((await dashboard.getMetrics(range)).total)).toEqual(expectedTotal);
    const sessions = createClient(SubmissionService, transportFor("grpc-web-h1", server.baseUrl, secret));
    await expect(sessions.submit({ workflow: "bank-signup" })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it("refuses bad ranges, filters and series with INVALID_ARGUMENT and a stable reason, naming the field", async () => {
    const at = (iso: string) => timestampFromDate(new Date(iso));
    const refusals: [Partial<Omit<GetMetricsRequest, "$typeName">>, string, string][] = [
      [{ startTime: undefined }, "INVALID_REQUEST", "start_time"],
      [{ endTime: undefined }, "INVALID_REQUEST", "end_time"],
      [{ startTime: range.endTime, endTime: range.startTime }, "INVALID_REQUEST", "end_time"],
      [{ startTime: range.startTime, endTime: range.startTime }, "INVALID_REQUEST", "end_time"],
      [{ startTime: at("2025-01-01T00:00:00Z"), endTime: at("2026-01-02T00:00:01Z") }, "INVALID_REQUEST", "end_time"],
      [{ startTime: timestampFromDate(new Date(0)), endTime: { ...at("2026-01-01T00:00:00Z"), nanos: -1 } }, "INVALID_REQUEST", "end_time"],
      [{ market: "XX" }, "INVALID_REQUEST", "market"],
      [{ workflow: "Not A Workflow" }, "INVALID_REQUEST", "workflow"],
      [{ startTime: at("2026-01-01T00:00:00Z"), endTime: at("2026-02-12T00:00:00Z"), interval: MetricsInterval.HOUR }, "TOO_MANY_BUCKETS", "interval"],
    ];
    for (const [change, reason, field] of refusals) {
      const error = await get(change).then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect({ change, code: error?.code, reason: reasonOf(error)?.reason, fields: fieldsOf(error) }).toEqual({ change, code: Code.InvalidArgument, reason, fields: [field] });
    }
    const tooMany = await get({ startTime: at("2026-01-01T00:00:00Z"), endTime: at("2026-02-12T00:00:00Z"), interval: MetricsInterval.HOUR }).catch((e: unknown) => e);
    expect(reasonOf(tooMany)?.metadata).toEqual({ max_buckets: "1000" });
    // The longest allowed range, by day, and 1,000 hours are fine.
    expect((await get({ startTime: at("2025-01-01T00:00:00Z"), endTime: at("2026-01-02T00:00:00Z") })).series).toHaveLength(366);
    expect((await get({ startTime: at("2026-01-01T00:00:00Z"), endTime: at("2026-02-11T16:00:00Z"), interval: MetricsInterval.HOUR })).series).toHaveLength(1000);
  });
});
