import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor, type Protocol } from "../support/clients.js";
import { callMethod } from "./any-call.js";
import { methods } from "./bad-bodies.js";
import { useRawServer } from "./raw-rpc.js";

const someId = "0197f665-6c88-7512-bc33-a7605d487377";
const range = { startTime: timestampFromDate(new Date("2026-03-01T00:00:00Z")), endTime: timestampFromDate(new Date("2026-03-03T00:00:00Z")) };

/**
 * Every enum field of every request, with a request that is valid but for that field, so the
 * refusal can only be about the enum. The coverage test below keeps this list complete.
 */
const enumFields: { method: DescMethod; field: string; request: (value: number) => Record<string, unknown> }[] = [
  { method: SessionService.method.listSessions, field: "states[0]", request: (v) => ({ states: [v] }) },
  { method: SessionService.method.listSessions, field: "decisions[0]", request: (v) => ({ decisions: [v] }) },
  { method: SessionService.method.listSessions, field: "view", request: (v) => ({ view: v }) },
  { method: SessionService.method.getSession, field: "view", request: (v) => ({ sessionId: someId, view: v }) },
  { method: EventService.method.watchEvents, field: "filter.types[0]", request: (v) => ({ filter: { types: [v] } }) },
  { method: AcknowledgementService.method.acknowledge, field: "acknowledgement", request: (v) => ({ sessionId: someId, screenId: "s1", acknowledgement: v }) },
  { method: CheckService.method.reportCheckResult, field: "type", request: (v) => ({ sessionId: someId, type: v, score: 0.5 }) },
  { method: DecisionService.method.reviewSession, field: "decision", request: (v) => ({ sessionId: someId, decision: v, reviewer: "r", reason: "x" }) },
  { method: OutcomeService.method.reportFailure, field: "reason", request: (v) => ({ sessionId: someId, reason: v }) },
  { method: BillingService.method.getUsage, field: "period", request: (v) => ({ ...range, period: v }) },
  { method: MetricsService.method.getMetrics, field: "interval", request: (v) => ({ ...range, interval: v }) },
];

/** Paths of the enum fields in a message and the messages inside it, as "filter.types". */
function enumPaths(desc: DescMessage, prefix = "", seen = new Set<string>()): string[] {
  if (seen.has(desc.typeName) || desc.typeName.startsWith("google.")) return [];
  seen.add(desc.typeName);
  return desc.fields.flatMap((f) => {
    const path = prefix + f.name;
    if (f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum")) return [path];
    if (f.fieldKind === "message") return enumPaths(f.message, `${path}.`, new Set(seen));
    if (f.fieldKind === "list" && f.listKind === "message") return enumPaths(f.message, `${path}.`, new Set(seen));
    if (f.fieldKind === "map" && f.mapKind === "message") return enumPaths(f.message, `${path}.`, new Set(seen));
    return [];
  });
}

/** Unknown JSON fields and unknown enum values are refused, never dropped (issue 10). */
describe("strict input: unknown fields and enum values", () => {
  const env = useRawServer();

  const sessionCount = async () => (await env.server.store.sessions.list("acme", { limit: 1000 })).length;

  it.each(["connect-json", "grpc-web-json", "grpc-json"] as const)("refuses a misspelled JSON field over %s, naming it, and creates no session", async (protocol) => {
    const before = await sessionCount();
    const json = JSON.stringify({ sessionID: someId, workflow: "bank-signup", identity: { fullName: "Alice" } });
    const body = new Uint8Array(Buffer.from(json));
    const framed = protocol === "connect-json" ? body : Uint8Array.from([0, 0, 0, 0, body.length, ...body]);
    const answer = await env.raw.call({ protocol, method: SubmissionService.method.submit, body: framed, key: env.server.keys.acme });
    expect(answer.code).toBe(Code.InvalidArgument);
    expect(answer.errorInfo[0]?.reason).toBe("INVALID_REQUEST");
    // The field it resembles, by its schema name: the key as sent is never repeated.
    expect(answer.fields).toEqual(["session_id"]);
    expect(await sessionCount()).toBe(before);
  });

  it.each([
    ["a nested misspelled field", { workflow: "bank-signup", identity: { fullname: "Alice" } }, "identity.full_name"],
    ["a misspelled field in a streaming request", undefined, "session_id"],
  ])("names %s without repeating its value", async (_what, request, field) => {
    const streaming = request === undefined;
    const json = JSON.stringify(request ?? { sessionID: someId });
    const body = new Uint8Array(Buffer.from(json));
    const method = streaming ? EventService.method.watchSession : SubmissionService.method.submit;
    const answer = await env.raw.call({ protocol: "connect-json", method, body: streaming ? Uint8Array.from([0, 0, 0, 0, body.length, ...body]) : body, key: env.server.keys.acme });
    expect(answer.code).toBe(Code.InvalidArgument);
    expect(answer.fields).toEqual([field]);
    expect(answer.visible).not.toContain("Alice");
    expect(answer.visible).not.toContain(someId);
  });

  it("refuses an unknown state name instead of listing every session", async () => {
    await callMethod(transportFor("connect-json-h1", env.server.baseUrl, env.server.keys.acme), SubmissionService.method.submit, { workflow: "bank-signup" });
    const res = await fetch(`${env.server.baseUrl}/sessionflow.v1.SessionService/ListSessions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.server.keys.acme}` },
      body: JSON.stringify({ states: ["FOO"] }),
    });
    expect(res.status).toBe(400);
    const error = (await res.json()) as { code: string; details?: { type: string; debug?: { fieldViolations?: { field: string }[] } }[] };
    expect(error.code).toBe("invalid_argument");
    expect(error.details?.find((d) => d.type === "google.rpc.BadRequest")?.debug?.fieldViolations?.map((v) => v.field)).toEqual(["states"]);
    expect(JSON.stringify(error)).not.toContain("FOO");
  });

  it("knows every enum field of every request", () => {
    const found = methods.flatMap((m) => enumPaths(m.input).map((p) => `${m.name}:${p}`)).sort();
    const covered = enumFields.map((e) => `${e.method.name}:${e.field.replace(/\[\d+\]/g, "").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()}`).sort();
    expect(covered).toEqual(found);
  });

  const protocols: Protocol[] = ["connect-binary-h1", "connect-json-h1", "grpc-h2", "grpc-web-h1"];
  it.each(protocols)("refuses unknown enum numbers in every request over %s, naming the field", async (protocol) => {
    const transport = transportFor(protocol, env.server.baseUrl, env.server.keys.acme);
    for (const { method, field, request } of enumFields) {
      for (const value of [99, -1, 2 ** 31 - 1]) {
        const outcome = await callMethod(transport, method, request(value));
        expect({ method: method.name, value, code: outcome.code, reason: outcome.reason }).toEqual({ method: method.name, value, code: Code.InvalidArgument, reason: "INVALID_REQUEST" });
        expect(outcome.fields, `${method.name} ${value}`).toContain(field);
      }
    }
  });
});
