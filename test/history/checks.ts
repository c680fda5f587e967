import type { InjectedFaultAt } from "./cluster.js";
import { checkBilling } from "./check-billing.js";
import { checkCodes } from "./check-codes.js";
import { checkRefusals } from "./check-refusals.js";
import { checkReplays } from "./check-replays.js";
import { checkSubmissions } from "./check-submissions.js";
import { checkSubscriptions } from "./check-subscriptions.js";
import type { ServerError } from "./cluster.js";
import type { TenantTruth } from "./final-state.js";
import type { History, Operation } from "./history.js";

export const checkNames = ["billing", "submissions", "subscriptions", "refusals", "codes", "replays"] as const;
export type CheckName = (typeof checkNames)[number];

export interface Violation {
  check: CheckName;
  message: string;
  /** Operation ids, sessions, instances and times: enough to find it again in a rerun. */
  details?: Record<string, unknown>;
}

export interface CheckInput {
  history: History;
  truths: ReadonlyMap<string, TenantTruth>;
  serverErrors: readonly ServerError[];
  /** Store answers lost on purpose (see withRoundTrips), by instance and time. */
  injectedFaults: readonly InjectedFaultAt[];
}

/** Runs every check over the history and the final state. */
export function runChecks(input: CheckInput): Violation[] {
  return [
    ...checkBilling(input),
    ...checkSubmissions(input),
    ...checkSubscriptions(input),
    ...checkRefusals(input),
    ...checkCodes(input),
    ...checkReplays(input),
  ];
}

/** How an operation is cited in a violation. */
export function cite(op: Operation): Record<string, unknown> {
  const r = op.result;
  return {
    op: op.id,
    kind: op.kind,
    actor: op.actor,
    instance: op.instance,
    protocol: op.protocol,
    pattern: op.pattern,
    ...(op.sessionId ? { session: op.sessionId } : {}),
    ...(op.requestId ? { requestId: op.requestId } : {}),
    request: op.request,
    ...(op.clientToken ? { clientToken: true } : {}),
    invokeMs: op.invokeMs,
    completeMs: op.completeMs,
    result: r === undefined ? "none" : r.ok ? r.fields : { code: r.code, reason: r.reason, message: r.message },
    ...(op.expect ? { expect: op.expect } : {}),
  };
}

/** Answered operations, without the attempts the client cut off on purpose. */
export const answered = (ops: readonly Operation[]) => ops.filter((op) => op.result && !(op.result.ok === false && op.result.cut));

export const okFields = (op: Operation) => (op.result?.ok ? op.result.fields : undefined);

/** Calls with a request id whose effect must happen once. */
export const mutatingKinds = new Set(["Submit", "CreateSession", "TransferSession", "Acknowledge", "ReportCheckResult", "AuthenticateSession", "ReviewSession", "ReportFailure"]);
