import type { RiskAssessment } from "./risk.js";

/** The session aggregate: everything one session holds, stored as one unit. */

export type SessionState = "OPEN" | "ANALYSING" | "WARNING" | "RESOLVED" | "FAILED";
export type SessionOrigin = "SUBMISSION" | "LINK" | "TRANSFER";
export type Disposition = "CREATED" | "CONTINUED" | "REPLACED_EXPIRED" | "REPLACED_UNKNOWN";

export interface PostalAddress {
  lines: string[];
  locality: string;
  administrativeArea: string;
  postalCode: string;
  regionCode: string;
}

export interface Identity {
  fullName?: string;
  email?: string;
  phone?: string;
  address?: PostalAddress;
  dateOfBirth?: string;
}

export interface DeviceSignals {
  deviceId?: string;
  ipAddress?: string;
  userAgent?: string;
  automationFlags: string[];
}

export interface Submission {
  index: number;
  requestId: string;
  submitTime: Date;
  identity: Identity;
  device?: DeviceSignals;
  step: string;
  complete: boolean;
}

/** One immutable, hash-chained record of a request that touched the session. */
export interface AuditRecord {
  sequence: number;
  recordTime: Date;
  requestId: string;
  /** SHA-256 of the canonical request without its request id; tells a retry from a reuse. */
  fingerprint: string;
  procedure: string;
  principal: string;
  provided: Record<string, unknown>;
  returned: Record<string, unknown>;
  previousHash: string;
  hash: string;
}

export type AnalysisStatus = "RUNNING" | "COMPLETED" | "FAILED";

export interface Analysis {
  id: string;
  analyzer: string;
  status: AnalysisStatus;
  startTime: Date;
  finishTime?: Date;
  risk: number;
  reasonCodes: string[];
}

export type WarningScreenStatus = "PENDING" | "PRESENTED" | "ACKNOWLEDGED" | "SKIPPED";
export type Acknowledgement = "PROCEED" | "CANCEL";

export interface WarningScreen {
  id: string;
  kind: string;
  impact: number;
  contentKey: string;
  analysisId: string;
  status: WarningScreenStatus;
  acknowledgement?: Acknowledgement;
  presentTime?: Date;
  acknowledgeTime?: Date;
}

export type OutcomeKind = "RESOLVED" | "USER_ERROR" | "SYSTEM_ERROR";
export type FailureReason = "INVALID_INPUT" | "ABANDONED" | "SDK_ERROR" | "SERVICE_ERROR";

export interface Outcome {
  kind: OutcomeKind;
  failureReason?: FailureReason;
  failureCode?: string;
  closeTime: Date;
}

export type EventType =
  | "OPENED"
  | "SUBMISSION"
  | "NEW_ANALYSIS"
  | "WARNING"
  | "ACKNOWLEDGEMENT"
  | "RESOLVED"
  | "FAILED"
  | "DECISION"
  | "AUTHENTICATED"
  | "REPLACED"
  | "TRANSFERRED"
  | "CHECK";

export const terminalEventTypes: ReadonlySet<EventType> = new Set(["RESOLVED", "FAILED"]);

/** One lifecycle hook, numbered within its session; carries a snapshot of what it is about. */
export interface SessionEvent {
  sequence: number;
  type: EventType;
  time: Date;
  /** The session's state right after the event. */
  state: SessionState;
  analysis?: Analysis;
  screen?: WarningScreen;
  outcome?: Outcome;
  submissionIndex?: number;
  relatedSessionId?: string;
  check?: CheckResult;
  decision?: DecisionRecord;
}

export type DecisionValue = "PENDING" | "APPROVE" | "REVIEW" | "DECLINE" | "ABANDONED";

export interface DecisionRecord {
  decision: DecisionValue;
  reason: string;
  configurationVersion: number;
  decideTime: Date;
  reviewer?: string;
  reviewReason?: string;
}

export type CheckType = "LIVENESS" | "FACE_MATCH" | "DOCUMENT";
export type CheckOutcome = "PASSED" | "RETRY" | "FAILED";

export interface CheckResult {
  id: string;
  type: CheckType;
  score: number;
  outcome: CheckOutcome;
  vendor: string;
  reportTime: Date;
  threshold: number;
}

export interface Session {
  tenantId: string;
  id: string;
  workflow: string;
  market: string;
  state: SessionState;
  origin: SessionOrigin;
  createTime: Date;
  updateTime: Date;
  expireTime: Date;
  /** The expired session this one replaced. The reverse link is found by querying this field. */
  replaces?: string;
  /** False only for sessions that must not bill, such as transfers (one billable event per journey). */
  billable: boolean;
  version: number;
  identity: Identity;
  submissions: Submission[];
  currentStep: string;
  inputComplete: boolean;
  analyses: Analysis[];
  /** Highest impact first: the order they are presented in. */
  warningScreens: WarningScreen[];
  outcome?: Outcome;
  risk?: RiskAssessment;
  decision: DecisionRecord;
  checks: CheckResult[];
  forcedRetries: number;
  /** The tenant's account, once the session is authenticated. */
  accountId?: string;
  /** The tenant's own reference (CreateSession). */
  reference: string;
  /** Steps completed so far, in first-completion order: the saved progress. */
  completedSteps: string[];
  /** For a transferred session: the session it continues and syncs back into. */
  parentSessionId?: string;
  /** Which link is current; issuing a new link bumps it, so older links stop matching. */
  linkVersion: number;
  /** SHA-256 of the current link token; the token itself is never stored. */
  linkTokenHash?: string;
  events: SessionEvent[];
  audit: AuditRecord[];
}

export const closedStates: ReadonlySet<SessionState> = new Set(["RESOLVED", "FAILED"]);

export function isClosed(session: Session): boolean {
  return closedStates.has(session.state);
}

export function isExpired(session: Session, now: Date): boolean {
  return now.getTime() >= session.expireTime.getTime();
}

/**
 * Merges identity elements: a later non-empty value wins, an address replaces the earlier one whole.
 * A submission that repeats what the session holds returns `base` itself, so the write that
 * follows sees an unchanged identity without comparing it, and what is worked out per identity
 * (identity-graph.ts) is reused.
 */
export function mergeIdentity(base: Identity, update: Identity): Identity {
  let merged: Identity | undefined;
  for (const key of identityTexts) {
    const value = update[key];
    if (value !== undefined && value !== "" && value !== base[key]) (merged ??= { ...base })[key] = value;
  }
  if (update.address && !(base.address && sameAddress(base.address, update.address))) (merged ??= { ...base }).address = update.address;
  return merged ?? base;
}

const identityTexts = ["fullName", "email", "phone", "dateOfBirth"] as const;

function sameAddress(a: PostalAddress, b: PostalAddress): boolean {
  return (
    a.locality === b.locality &&
    a.administrativeArea === b.administrativeArea &&
    a.postalCode === b.postalCode &&
    a.regionCode === b.regionCode &&
    a.lines.length === b.lines.length &&
    a.lines.every((line, i) => line === b.lines[i])
  );
}
