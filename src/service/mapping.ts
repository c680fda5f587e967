import { create } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { canonicalJson } from "../domain/canonical-json.js";
import type * as domain from "../domain/session.js";
import type { DeviceSignals, Identity, PostalAddress } from "../../gen/sessionflow/v1/identity_pb.js";
import {
  Disposition,
  SessionOrigin,
  SessionState,
  type Session,
  type Submission,
} from "../../gen/sessionflow/v1/session_pb.js";
import { AuditRecordSchema, type AuditRecord } from "../../gen/sessionflow/v1/audit_pb.js";
import {
  Acknowledgement,
  AnalysisSchema,
  AnalysisStatus,
  FailureReason,
  OutcomeKind,
  OutcomeSchema,
  WarningScreenSchema,
  WarningScreenStatus,
  type Analysis,
  type Outcome,
  type WarningScreen,
} from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { LifecycleEventSchema, LifecycleEventType, type LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
import type { FeedEvent } from "../domain/store.js";
import { memoFrozen, memoList, memoRecent } from "./frozen-memo.js";
import type * as risk from "../domain/risk.js";
import type * as thresholds from "../domain/thresholds.js";
import {
  CheckOutcome,
  CheckResultSchema,
  CheckType,
  Decision,
  RiskLabel,
  type CheckResult,
  type DecisionRecord,
  type RiskAssessment,
  type RiskReason,
} from "../../gen/sessionflow/v1/risk_pb.js";
import { ListsSchema, ThresholdsConfigSchema, ThresholdsSchema, type Lists, type Thresholds, type ThresholdsConfig } from "../../gen/sessionflow/v1/thresholds_pb.js";

/** Proto <-> domain for the session resource. Proto enums map by name, so the two never drift silently. */

export const stateToProto: Record<domain.SessionState, SessionState> = {
  OPEN: SessionState.OPEN,
  ANALYSING: SessionState.ANALYSING,
  WARNING: SessionState.WARNING,
  RESOLVED: SessionState.RESOLVED,
  FAILED: SessionState.FAILED,
};

export const stateFromProto = new Map<SessionState, domain.SessionState>(
  Object.entries(stateToProto).map(([name, value]) => [value, name as domain.SessionState]),
);

export const decisionFromProto = new Map<Decision, domain.DecisionValue>([
  [Decision.PENDING, "PENDING"],
  [Decision.APPROVE, "APPROVE"],
  [Decision.REVIEW, "REVIEW"],
  [Decision.DECLINE, "DECLINE"],
  [Decision.ABANDONED, "ABANDONED"],
]);

export const dispositionToProto: Record<domain.Disposition, Disposition> = {
  CREATED: Disposition.CREATED,
  CONTINUED: Disposition.CONTINUED,
  REPLACED_EXPIRED: Disposition.REPLACED_EXPIRED,
  REPLACED_UNKNOWN: Disposition.REPLACED_UNKNOWN,
};

const originToProto: Record<domain.SessionOrigin, SessionOrigin> = {
  SUBMISSION: SessionOrigin.SUBMISSION,
  LINK: SessionOrigin.LINK,
  TRANSFER: SessionOrigin.TRANSFER,
};

export function identityFromProto(identity: Identity | undefined): domain.Identity {
  if (!identity) return {};
  const out: domain.Identity = {};
  if (identity.fullName) out.fullName = identity.fullName.trim();
  if (identity.email) out.email = identity.email.trim();
  if (identity.phone) out.phone = identity.phone.trim();
  if (identity.dateOfBirth) out.dateOfBirth = identity.dateOfBirth;
  if (identity.address) {
    const a = identity.address;
    out.address = {
    lines: [...a.lines],
    locality: a.locality,
    administrativeArea: a.administrativeArea,
    postalCode: a.postalCode,
    regionCode: a.regionCode,
    };
  }
  return out;
}

export function deviceFromProto(device: DeviceSignals | undefined): domain.DeviceSignals | undefined {
  if (!device) return undefined;
  const out: domain.DeviceSignals = { automationFlags: [...device.automationFlags] };
  if (device.deviceId) out.deviceId = device.deviceId;
  if (device.ipAddress) out.ipAddress = device.ipAddress;
  if (device.userAgent) out.userAgent = device.userAgent;
  return out;
}

/*
 * The session and the parts every response holds are built as object literals, not with
 * create(): protobuf-es messages are plain objects tagged with $typeName, and the generated types
 * make the compiler insist on every field, so the literal is the message create() would build,
 * without its walk over the schema on every call. Unset message fields are left out, as create()
 * leaves them. A list passed through is taken as empty when missing, as create() takes it: the
 * compiler cannot see that a stored document may lack one (risk reasons are one a summary read
 * leaves out).
 */

const identityOf = (identity: domain.Identity): Identity => ({
  $typeName: "sessionflow.v1.Identity",
  fullName: identity.fullName ?? "",
  email: identity.email ?? "",
  phone: identity.phone ?? "",
  ...(identity.address ? { address: addressToProto(identity.address) } : {}),
  dateOfBirth: identity.dateOfBirth ?? "",
});

/** The session's merged identity, remembered per stored version; a submission's is converted with its submission. */
export const identityToProto = memoFrozen(identityOf);

const addressToProto = (a: domain.PostalAddress): PostalAddress => ({
  $typeName: "sessionflow.v1.PostalAddress",
  lines: a.lines ?? [],
  locality: a.locality,
  administrativeArea: a.administrativeArea,
  postalCode: a.postalCode,
  regionCode: a.regionCode,
});

const deviceToProto = (d: domain.DeviceSignals): DeviceSignals => ({
  $typeName: "sessionflow.v1.DeviceSignals",
  deviceId: d.deviceId ?? "",
  ipAddress: d.ipAddress ?? "",
  userAgent: d.userAgent ?? "",
  automationFlags: d.automationFlags ?? [],
});

/** timestampFromDate, as a literal. */
function timestampOf(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * A session as its responses show it. A stored version read recently is converted once, and its
 * encoding is then remembered too (shared-encoding.ts), so reading it again costs neither; a
 * session shown as replaced is converted on each read, as its replacement is found then.
 */
export function sessionToProto(session: domain.Session, replacedBy?: string): Session {
  return replacedBy ? sessionOf(session, replacedBy) : storedSessionToProto(session);
}

/** Versions read again soon are answered from here; the oldest of more than this many are converted again. */
export const rememberedSessions = 4096;
const storedSessionToProto = memoRecent((session: domain.Session) => sessionOf(session), rememberedSessions);

function sessionOf(session: domain.Session, replacedBy?: string): Session {
  return {
    $typeName: "sessionflow.v1.Session",
    id: session.id,
    workflow: session.workflow,
    market: session.market,
    state: stateToProto[session.state],
    origin: originToProto[session.origin],
    createTime: timestampOf(session.createTime),
    updateTime: timestampOf(session.updateTime),
    expireTime: timestampOf(session.expireTime),
    replaces: session.replaces ?? "",
    replacedBy: replacedBy ?? "",
    identity: identityToProto(session.identity),
    submissions: submissionsToProto(session.submissions),
    version: BigInt(session.version),
    currentStep: session.currentStep,
    inputComplete: session.inputComplete,
    analyses: analysesToProto(session.analyses),
    warningScreens: screensToProto(session.warningScreens),
    ...(session.outcome ? { outcome: outcomeToProto(session.outcome) } : {}),
    // Sequences run 1, 2, 3… with no gaps, so the last one is the count; a summary holds only the last event.
    lastEventSequence: BigInt(session.events.at(-1)?.sequence ?? 0),
    ...(session.risk ? { risk: riskToProto(session.risk) } : {}),
    decision: decisionToProto(session.decision),
    checks: checksToProto(session.checks),
    forcedRetries: session.forcedRetries,
    accountId: session.accountId ?? "",
    reference: session.reference,
    completedSteps: session.completedSteps ?? [],
    parentSessionId: session.parentSessionId ?? "",
  };
}

/**
 * A stored version shares its old submissions, analyses, checks and screens with the versions
 * before it (see frozen-memo.ts), so each of these is converted once, not on every response.
 */
const submissionsToProto = memoList(
  (s: domain.Submission): Submission => ({
    $typeName: "sessionflow.v1.Submission",
    index: s.index,
    requestId: s.requestId,
    submitTime: timestampOf(s.submitTime),
    identity: identityOf(s.identity),
    ...(s.device ? { device: deviceToProto(s.device) } : {}),
    step: s.step,
    complete: s.complete,
  }),
);

export const riskToProto = memoFrozen(
  (r: risk.RiskAssessment): RiskAssessment => ({
    $typeName: "sessionflow.v1.RiskAssessment",
    label: RiskLabel[r.label],
    accountScore: r.accountScore,
    bot: r.bot,
    multipleAccounts: r.multipleAccounts,
    riskSignals: r.riskSignals,
    syntheticIdentity: r.syntheticIdentity,
    accountsLinked: r.accountsLinked,
    lists: r.lists ?? [],
    reasons: (r.reasons ?? []).map(reasonToProto),
    configurationVersion: BigInt(r.configurationVersion),
  }),
);

const reasonToProto = (r: risk.RiskReason): RiskReason => ({ $typeName: "sessionflow.v1.RiskReason", component: r.component, code: r.code, weight: r.weight });

export const decisionToProto = memoFrozen(
  (d: domain.DecisionRecord): DecisionRecord => ({
    $typeName: "sessionflow.v1.DecisionRecord",
    decision: Decision[d.decision],
    reason: d.reason,
    configurationVersion: BigInt(d.configurationVersion),
    decideTime: timestampOf(d.decideTime),
    reviewer: d.reviewer ?? "",
    reviewReason: d.reviewReason ?? "",
  }),
);

export const checkToProto = memoFrozen((c: domain.CheckResult): CheckResult =>
  create(CheckResultSchema, {
    id: c.id,
    type: CheckType[c.type],
    score: c.score,
    outcome: CheckOutcome[c.outcome],
    vendor: c.vendor,
    reportTime: timestampFromDate(c.reportTime),
    threshold: c.threshold,
  }),
);

const checksToProto = memoList(checkToProto);

export const checkTypeFromProto = new Map<CheckType, domain.CheckType>([
  [CheckType.LIVENESS, "LIVENESS"],
  [CheckType.FACE_MATCH, "FACE_MATCH"],
  [CheckType.DOCUMENT, "DOCUMENT"],
]);

export function thresholdsToProto(t: thresholds.ThresholdOverride): Thresholds {
  return create(ThresholdsSchema, { ...t });
}

/** Only the fields the caller set: unset ones inherit. */
export function thresholdsFromProto(t: Thresholds | undefined): thresholds.ThresholdOverride {
  const out: thresholds.ThresholdOverride = {};
  if (!t) return out;
  for (const key of ["liveness", "faceMatch", "document", "review", "decline", "warn", "retryBand", "maxRetries"] as const) {
    const v = t[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function listsToProto(l: thresholds.TenantLists): Lists {
  return create(ListsSchema, l);
}

export function listsFromProto(l: Lists | undefined): thresholds.TenantLists {
  return {
    denyEmails: [...(l?.denyEmails ?? [])],
    denyPhones: [...(l?.denyPhones ?? [])],
    denyDomains: [...(l?.denyDomains ?? [])],
    denyDeviceIds: [...(l?.denyDeviceIds ?? [])],
    allowEmails: [...(l?.allowEmails ?? [])],
    allowPhones: [...(l?.allowPhones ?? [])],
    allowDomains: [...(l?.allowDomains ?? [])],
    allowDeviceIds: [...(l?.allowDeviceIds ?? [])],
  };
}

export function configToProto(c: thresholds.TenantConfig): ThresholdsConfig {
  return create(ThresholdsConfigSchema, {
    version: BigInt(c.version),
    values: thresholdsToProto(c.values),
    marketOverrides: Object.fromEntries(Object.entries(c.marketOverrides).map(([m, o]) => [m, thresholdsToProto(o)])),
    lists: listsToProto(c.lists),
    reason: c.reason,
    principal: c.principal,
    createTime: timestampFromDate(c.createTime),
    clientScores: c.clientScores ?? false,
  });
}

export const analysisToProto = memoFrozen((a: domain.Analysis): Analysis =>
  create(AnalysisSchema, {
    id: a.id,
    analyzer: a.analyzer,
    status: AnalysisStatus[a.status],
    startTime: timestampFromDate(a.startTime),
    ...(a.finishTime ? { finishTime: timestampFromDate(a.finishTime) } : {}),
    risk: a.risk,
    reasonCodes: a.reasonCodes,
  }),
);

const analysesToProto = memoList(analysisToProto);

export const acknowledgementFromProto = new Map<Acknowledgement, domain.Acknowledgement>([
  [Acknowledgement.PROCEED, "PROCEED"],
  [Acknowledgement.CANCEL, "CANCEL"],
]);

export const screenToProto = memoFrozen((w: domain.WarningScreen): WarningScreen =>
  create(WarningScreenSchema, {
    id: w.id,
    kind: w.kind,
    impact: w.impact,
    contentKey: w.contentKey,
    analysisId: w.analysisId,
    status: WarningScreenStatus[w.status],
    acknowledgement: w.acknowledgement ? Acknowledgement[w.acknowledgement] : Acknowledgement.UNSPECIFIED,
    ...(w.presentTime ? { presentTime: timestampFromDate(w.presentTime) } : {}),
    ...(w.acknowledgeTime ? { acknowledgeTime: timestampFromDate(w.acknowledgeTime) } : {}),
  }),
);

const screensToProto = memoList(screenToProto);

export const failureReasonFromProto = new Map<FailureReason, domain.FailureReason>([
  [FailureReason.INVALID_INPUT, "INVALID_INPUT"],
  [FailureReason.ABANDONED, "ABANDONED"],
  [FailureReason.SDK_ERROR, "SDK_ERROR"],
  [FailureReason.SERVICE_ERROR, "SERVICE_ERROR"],
]);

export const outcomeToProto = memoFrozen((o: domain.Outcome): Outcome =>
  create(OutcomeSchema, {
    kind: OutcomeKind[o.kind],
    failureReason: o.failureReason ? FailureReason[o.failureReason] : FailureReason.UNSPECIFIED,
    failureCode: o.failureCode ?? "",
    closeTime: timestampFromDate(o.closeTime),
  }),
);

export const eventTypeFromProto = new Map<LifecycleEventType, domain.EventType>(
  (Object.keys(LifecycleEventType) as (keyof typeof LifecycleEventType)[])
    .filter((name) => Number.isNaN(Number(name)) && name !== "UNSPECIFIED")
    .map((name) => [LifecycleEventType[name], name as domain.EventType]),
);

export function eventToProto(sessionId: string, workflow: string, cursor: string, e: domain.SessionEvent): LifecycleEvent {
  return create(LifecycleEventSchema, {
    sessionId,
    workflow,
    sequence: BigInt(e.sequence),
    cursor,
    type: LifecycleEventType[e.type],
    eventTime: timestampFromDate(e.time),
    state: stateToProto[e.state],
    ...(e.analysis ? { analysis: analysisToProto(e.analysis) } : {}),
    ...(e.screen ? { warningScreen: screenToProto(e.screen) } : {}),
    ...(e.outcome ? { outcome: outcomeToProto(e.outcome) } : {}),
    submissionIndex: e.submissionIndex ?? 0,
    relatedSessionId: e.relatedSessionId ?? "",
    ...(e.check ? { check: checkToProto(e.check) } : {}),
    ...(e.decision ? { decision: decisionToProto(e.decision) } : {}),
  });
}

export function feedEventToProto(f: FeedEvent): LifecycleEvent {
  return eventToProto(f.sessionId, f.workflow, f.cursor, f.event);
}

export function auditRecordToProto(sessionId: string, record: domain.AuditRecord): AuditRecord {
  return create(AuditRecordSchema, {
    sessionId,
    sequence: BigInt(record.sequence),
    recordTime: timestampFromDate(record.recordTime),
    requestId: record.requestId,
    procedure: record.procedure,
    principal: record.principal,
    provided: toStruct(record.provided),
    returned: toStruct(record.returned),
    previousHash: record.previousHash,
    hash: record.hash,
  });
}

/** Dates become ISO strings and undefined fields vanish, as in the hashed canonical form. */
function toStruct(value: Record<string, unknown>): JsonObject {
  return JSON.parse(canonicalJson(value)) as JsonObject;
}
