import { DomainError } from "./errors.js";
import { emit } from "./lifecycle.js";
import type { RiskAssessment } from "./risk.js";
import { isClosed, terminalEventTypes, type CheckResult, type CheckType, type DecisionRecord, type DecisionValue, type Session } from "./session.js";
import type { ThresholdValues } from "./thresholds.js";

/**
 * The decision of seeds/seon-session-management.txt: PENDING while in progress, DECLINE on a
 * failed check or a FAKE label, REVIEW when SUSPICIOUS, APPROVE otherwise, ABANDONED when the
 * user never finished. A reviewer's verdict is final.
 */
export function decide(session: Session, risk: RiskAssessment | undefined, configurationVersion: number, now: Date): DecisionRecord {
  if (session.decision.reviewer) return session.decision;
  const [decision, reason] = verdict(session, risk);
  return { decision, reason, configurationVersion, decideTime: now };
}

function verdict(session: Session, risk: RiskAssessment | undefined): [DecisionValue, string] {
  if (session.state === "FAILED") {
    return session.outcome?.failureReason === "ABANDONED" ? ["ABANDONED", "SESSION_ABANDONED"] : ["DECLINE", "SESSION_FAILED"];
  }
  const checks = latestChecks(session);
  const failed = checks.find((c) => c.outcome === "FAILED");
  if (failed) return ["DECLINE", `CHECK_FAILED_${failed.type}`];
  if (risk?.label === "FAKE") return ["DECLINE", "RISK_AT_DECLINE"];
  if (!session.inputComplete) return ["PENDING", "IN_PROGRESS"];
  if (checks.some((c) => c.outcome === "RETRY")) return ["PENDING", "RETRY_PENDING"];
  if (risk?.label === "SUSPICIOUS") return ["REVIEW", "RISK_AT_REVIEW"];
  return ["APPROVE", "RISK_BELOW_REVIEW"];
}

/** The latest result of each check type. */
function latestChecks(session: Session): readonly CheckResult[] {
  if (session.checks.length === 0) return session.checks; // most sessions have none: nothing to build
  const latest = new Map<CheckType, CheckResult>();
  for (const c of session.checks) latest.set(c.type, c);
  return [...latest.values()];
}

/**
 * Sets the decision, emitting DECISION only when it changes. When the same change closed the
 * session (its terminal event is among those added since `since`), DECISION goes before the
 * terminal event, so watchers, whose streams end at the terminal event, still receive it.
 */
export function applyDecision(session: Session, next: DecisionRecord, now: Date, since = session.events.length): Session {
  const changed = next.decision !== session.decision.decision || next.reviewer !== session.decision.reviewer;
  const withDecision = { ...session, decision: next };
  if (!changed) return withDecision;
  const last = withDecision.events.at(-1);
  if (!last || withDecision.events.length <= since || !terminalEventTypes.has(last.type)) {
    return emit(withDecision, "DECISION", now, { decision: next });
  }
  const before = { ...withDecision, events: withDecision.events.slice(0, -1) };
  const decided = emit(before, "DECISION", now, { decision: next });
  return { ...decided, events: [...decided.events, { ...last, sequence: decided.events.length + 1 }] };
}

const thresholdOf = (t: ThresholdValues, type: CheckType) => (type === "LIVENESS" ? t.liveness : type === "FACE_MATCH" ? t.faceMatch : t.document);

/**
 * A check result against the thresholds: at or above passes; within the retry band below
 * forces a re-capture while retries remain; anything else fails.
 */
export function evaluateCheck(session: Session, type: CheckType, score: number, vendor: string, t: ThresholdValues, now: Date): Session {
  if (isClosed(session)) throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
  const threshold = thresholdOf(t, type);
  const retriesLeft = session.forcedRetries < t.maxRetries;
  const outcome = score >= threshold ? "PASSED" : score >= threshold - t.retryBand - 1e-9 && retriesLeft ? "RETRY" : "FAILED";
  const check: CheckResult = { id: `c${session.checks.length + 1}`, type, score, outcome, vendor, reportTime: now, threshold };
  const next = {
    ...session,
    checks: [...session.checks, check],
    forcedRetries: session.forcedRetries + (outcome === "RETRY" ? 1 : 0),
  };
  return emit(next, "CHECK", now, { check });
}

/** A reviewer finalizes a REVIEW as APPROVE or DECLINE. */
export function review(session: Session, verdict: "APPROVE" | "DECLINE", reviewer: string, reason: string, now: Date): Session {
  if (session.decision.decision !== "REVIEW" || session.decision.reviewer) {
    throw new DomainError("NOT_UNDER_REVIEW", "only a session whose decision is REVIEW can be reviewed");
  }
  const record: DecisionRecord = {
    decision: verdict,
    reason: `REVIEWED_${verdict}`,
    configurationVersion: session.decision.configurationVersion,
    decideTime: now,
    reviewer,
    reviewReason: reason,
  };
  return applyDecision(session, record, now);
}

/** Recomputes the decision from what the session holds now; DECISION is emitted on a change after event `since`. */
export function redecide(session: Session, now: Date, since: number): Session {
  const version = session.risk?.configurationVersion ?? session.decision.configurationVersion;
  return applyDecision(session, decide(session, session.risk, version, now), now, since);
}
