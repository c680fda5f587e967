import { lastAuditHash, signAudit } from "./audit.js";
import { DomainError } from "./errors.js";
import { requireRoomFor, requireRoomForRequest } from "./limits.js";
import { earlierRecord, replayOrRefuse, type AuditedRequest } from "./request-replay.js";
import { lifetimeSeconds, type LifetimePolicy } from "./policy.js";
import {
  isClosed,
  isExpired,
  mergeIdentity,
  type AuditRecord,
  type DeviceSignals,
  type Identity,
  type Session,
  type SessionOrigin,
  type Submission,
} from "./session.js";

export interface SubmitCommand {
  tenantId: string;
  principal: string;
  procedure: string;
  sessionId?: string;
  workflow: string;
  market: string;
  requestId: string;
  /** Set when the caller chose the request id; only then can a later call replay it. */
  clientRequestId: boolean;
  fingerprint: string;
  identity: Identity;
  device?: DeviceSignals;
  step: string;
  complete: boolean;
}

export type Resolution =
  | { kind: "continue" }
  | { kind: "replay"; record: AuditRecord }
  | { kind: "replace-expired" }
  | { kind: "replace-unknown" };

/**
 * Decides what a submission does with the session it names (SPEC §1). `existing` is the
 * caller tenant's session with that id, if any; another tenant's session never reaches here,
 * so it is indistinguishable from an unknown id.
 */
export function resolveSubmission(existing: Session | undefined, cmd: SubmitCommand, now: Date): Resolution {
  if (!existing) return { kind: "replace-unknown" };
  const earlier = earlierRecord(existing, cmd);
  if (earlier) return { kind: "replay", record: replayOrRefuse(earlier, cmd) };
  if (existing.workflow !== cmd.workflow) {
    throw new DomainError(
      "SESSION_WORKFLOW_MISMATCH",
      "the session belongs to another workflow; a session id is never reused across workflows",
    );
  }
  if (isExpired(existing, now)) return { kind: "replace-expired" };
  if (isClosed(existing)) {
    throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
  }
  if (existing.inputComplete) {
    throw new DomainError("INPUT_COMPLETE", "the session's input is complete; it takes no more submissions");
  }
  requireRoomFor(existing, "submissions");
  requireRoomForRequest(existing);
  return { kind: "continue" };
}

export interface NewSessionInput {
  tenantId: string;
  id: string;
  workflow: string;
  market: string;
  origin: SessionOrigin;
  policy: LifetimePolicy;
  replaces?: string;
  billable?: boolean;
}

export function createSession(input: NewSessionInput, now: Date): Session {
  return {
    tenantId: input.tenantId,
    id: input.id,
    workflow: input.workflow,
    market: input.market,
    state: "OPEN",
    origin: input.origin,
    createTime: now,
    updateTime: now,
    expireTime: new Date(now.getTime() + lifetimeSeconds(input.policy, input.origin) * 1000),
    ...(input.replaces ? { replaces: input.replaces } : {}),
    billable: input.billable ?? true,
    version: 0,
    identity: {},
    submissions: [],
    currentStep: "",
    inputComplete: false,
    analyses: [],
    warningScreens: [],
    decision: { decision: "PENDING", reason: "IN_PROGRESS", configurationVersion: 0, decideTime: now },
    reference: "",
    completedSteps: [],
    linkVersion: 0,
    checks: [],
    forcedRetries: 0,
    events: [{ sequence: 1, type: "OPENED", time: now, state: "OPEN" }],
    audit: [],
  };
}

/** Adds a submission to an open session (merged identity, step, SUBMISSION event); not yet audited. */
export function applySubmission(session: Session, cmd: SubmitCommand, now: Date): Session {
  const index = session.submissions.length + 1;
  const { requestId, identity, device, step, complete } = cmd;
  const submission: Submission = device
    ? { index, requestId, submitTime: now, identity, device, step, complete }
    : { index, requestId, submitTime: now, identity, step, complete };
  // The SUBMISSION event (as emit makes it) is appended here: emit would copy the session again.
  return {
    ...session,
    updateTime: now,
    identity: mergeIdentity(session.identity, identity),
    submissions: [...session.submissions, submission],
    currentStep: step || session.currentStep,
    completedSteps: step && !session.completedSteps.includes(step) ? [...session.completedSteps, step] : session.completedSteps,
    events: [...session.events, { submissionIndex: index, sequence: session.events.length + 1, type: "SUBMISSION", time: now, state: session.state }],
  };
}

/**
 * Seals a change: bumps the version and appends the request's audit record, which notes what
 * was returned. Every request that changes a session goes through here exactly once.
 */
export function sealChange(session: Session, request: AuditedRequest, returned: Record<string, unknown>, now: Date): Session {
  const version = session.version + 1;
  const { audit } = session;
  // The record as appendAudit makes it, built in one object instead of an entry copied into a record.
  const record = signAudit({
    recordTime: now,
    ...request,
    returned: { sessionId: session.id, state: session.state, version, ...returned },
    sequence: audit.length + 1,
    previousHash: lastAuditHash(audit),
    hash: undefined,
  });
  return { ...session, version, updateTime: now, audit: [...audit, record] };
}

export function submissionRequest(cmd: SubmitCommand): AuditedRequest {
  return {
    requestId: cmd.requestId,
    fingerprint: cmd.fingerprint,
    procedure: cmd.procedure,
    principal: cmd.principal,
    provided: submissionPayload(cmd),
  };
}

/**
 * What the audit trail keeps of a submission: the data, not the routing fields. Field by field
 * rather than with conditional spreads, which make and copy a small object for each.
 */
function submissionPayload(cmd: SubmitCommand): Record<string, unknown> {
  const provided: Record<string, unknown> = {};
  if (cmd.sessionId) provided["sessionId"] = cmd.sessionId;
  provided["workflow"] = cmd.workflow;
  if (cmd.market) provided["market"] = cmd.market;
  provided["identity"] = cmd.identity;
  if (cmd.device) provided["device"] = cmd.device;
  if (cmd.step) provided["step"] = cmd.step;
  provided["complete"] = cmd.complete;
  return provided;
}
