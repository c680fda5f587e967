import type { DescField, DescMessage, DescMethod } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Acknowledgement, FailureReason } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { CheckType, Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { methods } from "./bad-bodies.js";

/** What the requests refer to: an existing session of tenant "acme". */
export interface Fixture {
  sessionId: string;
}

const range = { startTime: timestampFromDate(new Date("2026-03-01T00:00:00Z")), endTime: timestampFromDate(new Date("2026-03-03T00:00:00Z")) };

/**
 * A valid request for every method of the API (not grpc.health.v1), so a test can change one
 * field and know that a refusal is about that field.
 */
export function validRequest(method: DescMethod, f: Fixture): Record<string, unknown> {
  const bySession = { sessionId: f.sessionId };
  const requests: Record<string, Record<string, unknown>> = {
    Submit: { workflow: "bank-signup", identity: { fullName: "Alice" } },
    CreateSession: { workflow: "bank-signup" },
    IssueLink: bySession,
    TransferSession: bySession,
    GetSession: bySession,
    ListSessions: {},
    GetAuditTrail: bySession,
    ExchangeLinkToken: { linkToken: "a".repeat(43) },
    Acknowledge: { ...bySession, screenId: "s1", acknowledgement: Acknowledgement.PROCEED },
    ListWarningScreens: bySession,
    GetOutcome: bySession,
    ReportFailure: { ...bySession, reason: FailureReason.SDK_ERROR },
    WatchSession: bySession,
    WatchEvents: {},
    AuthenticateSession: { ...bySession, accountId: "acct-1" },
    GetUnauthenticatedDecision: bySession,
    ReviewSession: { ...bySession, decision: Decision.APPROVE, reviewer: "r", reason: "x" },
    ReportCheckResult: { ...bySession, type: CheckType.LIVENESS, score: 0.9 },
    GetThresholds: {},
    UpdateThresholds: { expectedVersion: 0n, reason: "r" },
    ListThresholdRevisions: {},
    ListBillableEvents: range,
    GetUsage: range,
    GetMetrics: range,
  };
  const request = requests[method.name];
  if (!request) throw new Error(`no valid request for ${method.name}`);
  return structuredClone(request);
}

export const apiMethods = methods.filter((m) => m.parent.typeName.startsWith("sessionflow."));

/** One field reachable from a request: its path in snake_case and how to set it in a request object. */
export interface FieldPath {
  path: string;
  field: DescField;
  /** Sets the field (one entry of a list, one key of a map) to `value`. */
  set(request: Record<string, unknown>, value: unknown): void;
  /** Sets the field's whole value: the list itself for a list. */
  put(request: Record<string, unknown>, value: unknown): void;
}

/** Every field of a request message and the messages inside it (not the well-known types). */
export function fieldPaths(desc: DescMessage, prefix = "", at: string[] = []): FieldPath[] {
  return desc.fields.flatMap((field): FieldPath[] => {
    const path = prefix + field.name;
    const keys = [...at, field.localName];
    const set = (wrap: (v: unknown) => unknown) => (request: Record<string, unknown>, value: unknown) => {
      let o = request;
      for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
      o[keys.at(-1)!] = wrap(value);
    };
    const nested = (m: DescMessage) => (m.typeName.startsWith("google.") ? [] : fieldPaths(m, `${path}.`, keys));
    const put = set((v) => v);
    switch (field.fieldKind) {
      case "scalar":
      case "enum":
        return [{ path, field, set: put, put }];
      case "list":
        // Repeated messages would need an index in the path; no request has one.
        return [{ path, field, set: set((v) => [v]), put }];
      case "map":
        return [{ path, field, set: set((v) => ({ [String(v)]: field.mapKind === "message" ? {} : v })), put }];
      case "message":
        return [{ path, field, set: put, put }, ...nested(field.message)];
    }
  });
}
