import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import { Acknowledgement, FailureReason, OutcomeKind, WarningScreenStatus } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { SessionState } from "../../gen/sessionflow/v1/session_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { clientsFor, grpcProtocols, transportFor, urlFor, type Clients } from "../support/clients.js";
import { createGrpcJsClient, type GrpcJsClient } from "../support/grpc-js-client.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * The hooks of seeds/tunicpay-session-states.txt (onOpen, onNewAnalysis, onWarning,
 * onAcknowledgement, onResolved/onFailed) as they arrive on real streams.
 */
const risky = {
  workflow: "payment",
  identity: { email: "payer@mailinator.com" }, // disposable domain: a warning of impact 60
  device: { automationFlags: ["webdriver"] }, // automation: a warning of impact 90
  complete: true,
};
const name = (t: LifecycleEventType) => LifecycleEventType[t];
/** The seed's hooks; DECISION and CHECK events interleave and are asserted elsewhere. */
const hook = (n: string) => n !== "DECISION" && n !== "CHECK";

describe.each(grpcProtocols)("lifecycle hooks over real streams, gRPC over %s", (protocol) => {
  let server: TestServer;
  let c: Clients;
  let events: Client<typeof EventService>;
  let acks: Client<typeof AcknowledgementService>;
  let outcomes: Client<typeof OutcomeService>;
  let grpcJs: GrpcJsClient;

  beforeEach(async () => {
    server = await startTestServer();
    c = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
    const transport = transportFor(protocol, urlFor(protocol, server), server.keys.acme);
    events = createClient(EventService, transport);
    acks = createClient(AcknowledgementService, transport);
    outcomes = createClient(OutcomeService, transport);
    grpcJs = createGrpcJsClient(protocol === "native-grpc" ? server.grpcPort : server.port, server.keys.acme);
  });
  afterEach(async () => {
    grpcJs.close();
    await server.close();
  });

  /** Collects a WatchSession stream (connect-node) to its end. */
  async function watchAll(sessionId: string, afterSequence = 0n) {
    const seen: string[] = [];
    for await (const res of events.watchSession({ sessionId, afterSequence })) seen.push(name(res.event!.type));
    return seen.filter(hook);
  }

  /** Collects a WatchSession stream (@grpc/grpc-js, from the .proto files) to its end. */
  async function watchAllGrpcJs(sessionId: string) {
    const seen: string[] = [];
    for await (const res of grpcJs.stream("EventService", "WatchSession", { session_id: sessionId })) {
      seen.push(String(res.event.type).replace("LIFECYCLE_EVENT_TYPE_", ""));
    }
    return seen.filter(hook);
  }

  it("delivers onOpen … onResolved in order for PROCEED, PROCEED", async () => {
    const start = await c.submissions.submit({ workflow: "payment", step: "payee" });
    const id = start.session!.id;
    const watched = watchAll(id);
    const watchedGrpcJs = watchAllGrpcJs(id);
    await new Promise((r) => setTimeout(r, 50)); // both streams are live before anything else happens

    const analysed = await c.submissions.submit({ ...risky, sessionId: id });
    expect(analysed.session!.state).toBe(SessionState.WARNING);
    const screens = analysed.session!.warningScreens;
    expect(screens.map((s) => [s.kind, s.impact, s.status])).toEqual([
      ["AUTOMATION_SUSPECTED", 90, WarningScreenStatus.PRESENTED],
      ["DISPOSABLE_EMAIL", 60, WarningScreenStatus.PENDING],
    ]);
    await acks.acknowledge({ sessionId: id, screenId: screens[0]!.id, acknowledgement: Acknowledgement.PROCEED });
    const done = await acks.acknowledge({ sessionId: id, screenId: screens[1]!.id, acknowledgement: Acknowledgement.PROCEED });
    expect(done.session!.state).toBe(SessionState.RESOLVED);

    const expected = ["OPENED", "SUBMISSION", "SUBMISSION", "NEW_ANALYSIS", "NEW_ANALYSIS", "WARNING", "ACKNOWLEDGEMENT", "WARNING", "ACKNOWLEDGEMENT", "RESOLVED"];
    expect(await watched).toEqual(expected);
    expect(await watchedGrpcJs).toEqual(expected);
    const outcome = await outcomes.getOutcome({ sessionId: id });
    expect(outcome.outcome?.kind).toBe(OutcomeKind.RESOLVED);
    expect(outcome.warningScreens.map((s) => s.acknowledgement)).toEqual([Acknowledgement.PROCEED, Acknowledgement.PROCEED]);
  });

  it("resolves on CANCEL of the first screen and skips the second", async () => {
    const analysed = await c.submissions.submit(risky);
    const id = analysed.session!.id;
    const watched = watchAllGrpcJs(id);
    const first = analysed.session!.warningScreens[0]!;
    const res = await acks.acknowledge({ sessionId: id, screenId: first.id, acknowledgement: Acknowledgement.CANCEL });
    expect(res.session!.state).toBe(SessionState.RESOLVED);
    expect(res.session!.warningScreens.map((s) => s.status)).toEqual([WarningScreenStatus.ACKNOWLEDGED, WarningScreenStatus.SKIPPED]);
    expect(await watched).toEqual(["OPENED", "SUBMISSION", "NEW_ANALYSIS", "NEW_ANALYSIS", "WARNING", "ACKNOWLEDGEMENT", "RESOLVED"]);
  });

  it("refuses acknowledging twice, or a screen never presented, and changes nothing", async () => {
    const analysed = await c.submissions.submit(risky);
    const id = analysed.session!.id;
    const [first, second] = analysed.session!.warningScreens;
    const reason = (e: unknown) => ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.reason;
    await expect(acks.acknowledge({ sessionId: id, screenId: second!.id, acknowledgement: Acknowledgement.PROCEED })).rejects.toSatisfy((e) => reason(e) === "SCREEN_NOT_PRESENTED");
    await acks.acknowledge({ sessionId: id, screenId: first!.id, acknowledgement: Acknowledgement.PROCEED });
    await expect(acks.acknowledge({ sessionId: id, screenId: first!.id, acknowledgement: Acknowledgement.CANCEL })).rejects.toSatisfy((e) => reason(e) === "SCREEN_ALREADY_ACKNOWLEDGED");
    await expect(acks.acknowledge({ sessionId: id, screenId: first!.id, acknowledgement: Acknowledgement.UNSPECIFIED })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const screens = await acks.listWarningScreens({ sessionId: id });
    expect(screens.warningScreens.map((s) => s.status)).toEqual([WarningScreenStatus.ACKNOWLEDGED, WarningScreenStatus.PRESENTED]);
    expect((await c.sessions.getAuditTrail({ sessionId: id })).records).toHaveLength(2);
    // A closed session refuses further input.
    await expect(c.submissions.submit({ sessionId: id, workflow: "payment" })).rejects.toSatisfy((e) => reason(e) === "INPUT_COMPLETE");
    expect((await c.sessions.getAuditTrail({ sessionId: id })).records).toHaveLength(2);
  });

  it("lets a front end report a failure, once, and tells the watchers", async () => {
    const start = await c.submissions.submit({ workflow: "kyc" });
    const id = start.session!.id;
    const watched = watchAll(id);
    const requestId = "a8d6b0e4-2c59-4c53-8f3b-0d2e6f1a9b77";
    const failed = await outcomes.reportFailure({ sessionId: id, reason: FailureReason.SDK_ERROR, failureCode: "CAMERA_DENIED", requestId });
    expect(failed.session!.outcome).toMatchObject({ kind: OutcomeKind.SYSTEM_ERROR, failureReason: FailureReason.SDK_ERROR, failureCode: "CAMERA_DENIED" });
    const retry = await outcomes.reportFailure({ sessionId: id, reason: FailureReason.SDK_ERROR, failureCode: "CAMERA_DENIED", requestId });
    expect(retry.replayed).toBe(true);
    await expect(outcomes.reportFailure({ sessionId: id, reason: FailureReason.ABANDONED })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await expect(outcomes.reportFailure({ sessionId: id, reason: FailureReason.SERVICE_ERROR })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(await watched).toEqual(["OPENED", "SUBMISSION", "FAILED"]);
  });

  it("reports an expired open session as FAILED / ABANDONED to its watchers, via the sweep", async () => {
    const start = await c.submissions.submit({ workflow: "kyc" });
    const id = start.session!.id;
    const watched = watchAll(id);
    const watchedGrpcJs = watchAllGrpcJs(id);
    await new Promise((r) => setTimeout(r, 50));
    server.clock.advance(10 * 60 * 1000);
    expect(await server.app.sweep()).toBe(1);
    expect(await server.app.sweep()).toBe(0); // each session closes exactly once
    expect(await watched).toEqual(["OPENED", "SUBMISSION", "FAILED"]);
    expect(await watchedGrpcJs).toEqual(["OPENED", "SUBMISSION", "FAILED"]);
    const outcome = await outcomes.getOutcome({ sessionId: id });
    expect(outcome.state).toBe(SessionState.FAILED);
    expect(outcome.outcome).toMatchObject({ kind: OutcomeKind.USER_ERROR, failureReason: FailureReason.ABANDONED });
  });

  it("detects expiry on access too, and the replacement is announced on the old session", async () => {
    const start = await c.submissions.submit({ workflow: "kyc" });
    const id = start.session!.id;
    server.clock.advance(10 * 60 * 1000);
    const replacement = await c.submissions.submit({ sessionId: id, workflow: "kyc" });
    expect(await watchAll(id)).toEqual(["OPENED", "SUBMISSION", "REPLACED", "FAILED"]);
    const old = await c.sessions.getSession({ sessionId: id });
    expect(old.session!.state).toBe(SessionState.FAILED);
    expect(old.session!.replacedBy).toBe(replacement.session!.id);
    const other = await c.submissions.submit({ workflow: "kyc" });
    server.clock.advance(10 * 60 * 1000);
    expect((await c.sessions.getSession({ sessionId: other.session!.id })).session!.outcome?.failureReason).toBe(FailureReason.ABANDONED);
  });

  it("resumes WatchSession from the last sequence without loss or repeats", async () => {
    const analysed = await c.submissions.submit(risky);
    const id = analysed.session!.id;
    const first: bigint[] = [];
    const controller = new AbortController();
    try {
      for await (const res of events.watchSession({ sessionId: id }, { signal: controller.signal })) {
        first.push(res.event!.sequence);
        if (first.length === 3) controller.abort(); // disconnect mid-session
      }
    } catch (e) {
      expect(ConnectError.from(e).code).toBe(Code.Canceled);
    }
    // The abort lands after what was already in flight: a gap-free prefix of at least three.
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(first).toEqual(first.map((_, i) => BigInt(i + 1)));
    await acks.acknowledge({ sessionId: id, screenId: analysed.session!.warningScreens[0]!.id, acknowledgement: Acknowledgement.PROCEED });
    const rest: bigint[] = [];
    const resumed = (async () => {
      for await (const res of events.watchSession({ sessionId: id, afterSequence: first.at(-1)! })) rest.push(res.event!.sequence);
    })();
    await new Promise((r) => setTimeout(r, 50));
    await acks.acknowledge({ sessionId: id, screenId: analysed.session!.warningScreens[1]!.id, acknowledgement: Acknowledgement.PROCEED });
    await resumed;
    const { session } = await c.sessions.getSession({ sessionId: id });
    expect([...first, ...rest]).toEqual(Array.from({ length: Number(session!.lastEventSequence) }, (_, i) => BigInt(i + 1)));
  });
});
