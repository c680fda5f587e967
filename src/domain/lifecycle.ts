import { DomainError } from "./errors.js";
import {
  isClosed,
  type Acknowledgement,
  type Analysis,
  type EventType,
  type FailureReason,
  type Outcome,
  type Session,
  type SessionEvent,
  type SessionState,
  type WarningScreen,
} from "./session.js";

/**
 * The lifecycle of seeds/tunicpay-session-states.txt as pure functions over the aggregate:
 * OPEN -> ANALYSING -> WARNING -> RESOLVED | FAILED. Each function returns a new aggregate
 * with the transition applied and its lifecycle events appended, or throws a DomainError.
 */
export const legalTransitions: Readonly<Record<SessionState, readonly SessionState[]>> = {
  OPEN: ["ANALYSING", "FAILED"],
  ANALYSING: ["WARNING", "RESOLVED", "FAILED"],
  WARNING: ["RESOLVED", "FAILED"],
  RESOLVED: [],
  FAILED: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return legalTransitions[from].includes(to);
}

function moveTo(session: Session, to: SessionState): Session {
  if (isClosed(session)) throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
  if (!canTransition(session.state, to)) {
    throw new DomainError("ILLEGAL_TRANSITION", `a session in state ${session.state} cannot move to ${to}`);
  }
  return { ...session, state: to };
}

/** Appends a lifecycle event numbered after the session's last one. */
export function emit(session: Session, type: EventType, time: Date, about: Partial<SessionEvent> = {}): Session {
  const event: SessionEvent = { ...about, sequence: session.events.length + 1, type, time, state: session.state };
  return { ...session, events: [...session.events, event] };
}

export interface AnalysisResult {
  analysis: Analysis;
  /** The screen the analysis asks to show, when its risk crossed the warn threshold. */
  warning?: Pick<WarningScreen, "kind" | "impact" | "contentKey">;
}

/** Records analyses started and finished on what the session holds, emitting NEW_ANALYSIS for each. */
export function recordAnalyses(session: Session, results: readonly AnalysisResult[], now: Date): Session {
  let next = session;
  for (const { analysis } of results) {
    next = emit({ ...next, analyses: [...next.analyses, analysis] }, "NEW_ANALYSIS", now, { analysis });
  }
  return next;
}

/**
 * Input is complete: the session moves to ANALYSING, records the analyses, then presents the
 * first warning screen (WARNING) or resolves when there is none. A failed analysis fails the
 * session as a SYSTEM_ERROR / SERVICE_ERROR.
 */
export function completeInput(session: Session, results: readonly AnalysisResult[], now: Date): Session {
  let next = moveTo({ ...session, inputComplete: true }, "ANALYSING");
  next = recordAnalyses(next, results, now);
  if (results.some((r) => r.analysis.status === "FAILED")) {
    return fail(next, "SERVICE_ERROR", "ANALYZER_FAILED", now);
  }
  // Highest impact first; a stable sort keeps analyzer order between equal impacts.
  const screens: WarningScreen[] = results
    .flatMap((r) => (r.warning ? [{ ...r.warning, analysisId: r.analysis.id }] : []))
    .sort((a, b) => b.impact - a.impact)
    .map((w, i) => ({ ...w, id: `ws${i + 1}`, status: "PENDING" as const }));
  if (screens.length === 0) return resolve(next, now);
  return presentNext({ ...moveTo(next, "WARNING"), warningScreens: screens }, now);
}

function presentNext(session: Session, now: Date): Session {
  const index = session.warningScreens.findIndex((s) => s.status === "PENDING");
  if (index < 0) return resolve(session, now);
  const screen: WarningScreen = { ...session.warningScreens[index]!, status: "PRESENTED", presentTime: now };
  const warningScreens = session.warningScreens.map((s, i) => (i === index ? screen : s));
  return emit({ ...session, warningScreens }, "WARNING", now, { screen });
}

/** The user's answer to the presented screen (SPEC §2). CANCEL resolves at once, skipping the rest. */
export function acknowledge(session: Session, screenId: string, answer: Acknowledgement, now: Date): Session {
  if (isClosed(session)) throw new DomainError("SESSION_CLOSED", "the session is closed and can no longer change");
  const screen = session.warningScreens.find((s) => s.id === screenId);
  if (screen?.status === "ACKNOWLEDGED") {
    throw new DomainError("SCREEN_ALREADY_ACKNOWLEDGED", "the warning screen was already acknowledged");
  }
  if (session.state !== "WARNING" || screen?.status !== "PRESENTED") {
    throw new DomainError("SCREEN_NOT_PRESENTED", "the warning screen is not the one presented now");
  }
  const answered: WarningScreen = { ...screen, status: "ACKNOWLEDGED", acknowledgement: answer, acknowledgeTime: now };
  let next: Session = { ...session, warningScreens: session.warningScreens.map((s) => (s.id === screenId ? answered : s)) };
  next = emit(next, "ACKNOWLEDGEMENT", now, { screen: answered });
  if (answer === "CANCEL") {
    const warningScreens = next.warningScreens.map((s) => (s.status === "PENDING" ? { ...s, status: "SKIPPED" as const } : s));
    return resolve({ ...next, warningScreens }, now);
  }
  return presentNext(next, now);
}

function resolve(session: Session, now: Date): Session {
  const outcome: Outcome = { kind: "RESOLVED", closeTime: now };
  return emit({ ...moveTo(session, "RESOLVED"), outcome, updateTime: now }, "RESOLVED", now, { outcome });
}

const failureKinds: Record<FailureReason, Outcome["kind"]> = {
  INVALID_INPUT: "USER_ERROR",
  ABANDONED: "USER_ERROR",
  SDK_ERROR: "SYSTEM_ERROR",
  SERVICE_ERROR: "SYSTEM_ERROR",
};

/** Ends an open session unsuccessfully; legal from every non-terminal state. */
export function fail(session: Session, reason: FailureReason, code: string, now: Date): Session {
  const outcome: Outcome = { kind: failureKinds[reason], failureReason: reason, ...(code ? { failureCode: code } : {}), closeTime: now };
  return emit({ ...moveTo(session, "FAILED"), outcome, updateTime: now }, "FAILED", now, { outcome });
}

/** SPEC §2: a session that reaches its expire time without closing fails as ABANDONED. */
export function needsAbandoning(session: Session, now: Date): boolean {
  return !isClosed(session) && now.getTime() >= session.expireTime.getTime();
}
