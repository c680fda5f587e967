import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import {
  acknowledge,
  canTransition,
  completeInput,
  fail,
  legalTransitions,
  needsAbandoning,
  type AnalysisResult,
} from "../../src/domain/lifecycle.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { Session, SessionState } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";

const clock = createManualClock(new Date("2026-06-01T10:00:00Z"));
const states: SessionState[] = ["OPEN", "ANALYSING", "WARNING", "RESOLVED", "FAILED"];

function open(): Session {
  return createSession(
    { tenantId: "t", id: "0197f665-6c88-7512-bc33-a7605d487377", workflow: "w", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy },
    clock.now(),
  );
}

function result(id: string, warning?: { kind: string; impact: number }, failed = false): AnalysisResult {
  const analysis = {
    id,
    analyzer: `analyzer-${id}`,
    status: failed ? ("FAILED" as const) : ("COMPLETED" as const),
    startTime: clock.now(),
    finishTime: clock.now(),
    risk: warning ? 0.9 : 0,
    reasonCodes: [],
  };
  return warning ? { analysis, warning: { ...warning, contentKey: `warning.${warning.kind}` } } : { analysis };
}

/** A session in WARNING with two screens: impact 60 from a1 and impact 90 from a2. */
const withTwoWarnings = () => completeInput(open(), [result("a1", { kind: "LOW", impact: 60 }), result("a2", { kind: "HIGH", impact: 90 })], clock.now());

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { reason?: string }).reason;
  }
  return undefined;
}

describe("legal transitions", () => {
  const legal = new Set(["OPEN>ANALYSING", "OPEN>FAILED", "ANALYSING>WARNING", "ANALYSING>RESOLVED", "ANALYSING>FAILED", "WARNING>RESOLVED", "WARNING>FAILED"]);
  const pairs = states.flatMap((from) => states.map((to) => [from, to] as const));
  it.each(pairs)("%s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(legal.has(`${from}>${to}`));
  });
  it("has no way out of the terminal states", () => {
    expect(legalTransitions.RESOLVED).toEqual([]);
    expect(legalTransitions.FAILED).toEqual([]);
  });
});

describe("completing input", () => {
  it("resolves at once when no analysis warns", () => {
    const s = completeInput(open(), [result("a1")], clock.now());
    expect(s.state).toBe("RESOLVED");
    expect(s.outcome).toEqual({ kind: "RESOLVED", closeTime: clock.now() });
    expect(s.events.map((e) => [e.type, e.state])).toEqual([
      ["OPENED", "OPEN"],
      ["NEW_ANALYSIS", "ANALYSING"],
      ["RESOLVED", "RESOLVED"],
    ]);
  });

  it("presents the highest-impact screen first and keeps the rest pending", () => {
    const s = withTwoWarnings();
    expect(s.state).toBe("WARNING");
    expect(s.warningScreens.map((w) => [w.id, w.kind, w.status])).toEqual([
      ["ws1", "HIGH", "PRESENTED"],
      ["ws2", "LOW", "PENDING"],
    ]);
    expect(s.events.map((e) => e.type)).toEqual(["OPENED", "NEW_ANALYSIS", "NEW_ANALYSIS", "WARNING"]);
    expect(s.events.at(-1)!.screen?.id).toBe("ws1");
    expect(s.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("fails the session as a service error when an analysis failed", () => {
    const s = completeInput(open(), [result("a1"), result("a2", undefined, true)], clock.now());
    expect(s.state).toBe("FAILED");
    expect(s.outcome).toMatchObject({ kind: "SYSTEM_ERROR", failureReason: "SERVICE_ERROR" });
    expect(s.events.at(-1)!.type).toBe("FAILED");
  });

  it("cannot happen twice", () => {
    expect(refusal(() => completeInput(withTwoWarnings(), [], clock.now()))).toBe("ILLEGAL_TRANSITION");
  });
});

describe("acknowledgements", () => {
  it("PROCEED, PROCEED presents each screen in turn and then resolves", () => {
    let s = acknowledge(withTwoWarnings(), "ws1", "PROCEED", clock.now());
    expect(s.state).toBe("WARNING");
    expect(s.warningScreens.map((w) => w.status)).toEqual(["ACKNOWLEDGED", "PRESENTED"]);
    s = acknowledge(s, "ws2", "PROCEED", clock.now());
    expect(s.state).toBe("RESOLVED");
    expect(s.warningScreens.map((w) => [w.status, w.acknowledgement])).toEqual([
      ["ACKNOWLEDGED", "PROCEED"],
      ["ACKNOWLEDGED", "PROCEED"],
    ]);
    expect(s.events.slice(4).map((e) => e.type)).toEqual(["ACKNOWLEDGEMENT", "WARNING", "ACKNOWLEDGEMENT", "RESOLVED"]);
  });

  it("CANCEL on the first resolves at once and skips the rest", () => {
    const s = acknowledge(withTwoWarnings(), "ws1", "CANCEL", clock.now());
    expect(s.state).toBe("RESOLVED");
    expect(s.outcome?.kind).toBe("RESOLVED");
    expect(s.warningScreens.map((w) => w.status)).toEqual(["ACKNOWLEDGED", "SKIPPED"]);
    expect(s.events.slice(4).map((e) => e.type)).toEqual(["ACKNOWLEDGEMENT", "RESOLVED"]);
  });

  it.each([
    ["a screen twice", (s: Session) => acknowledge(acknowledge(s, "ws1", "PROCEED", clock.now()), "ws1", "PROCEED", clock.now()), "SCREEN_ALREADY_ACKNOWLEDGED"],
    ["a screen not presented yet", (s: Session) => acknowledge(s, "ws2", "PROCEED", clock.now()), "SCREEN_NOT_PRESENTED"],
    ["an unknown screen", (s: Session) => acknowledge(s, "ws9", "CANCEL", clock.now()), "SCREEN_NOT_PRESENTED"],
    ["a screen of an open session", (_s: Session) => acknowledge(open(), "ws1", "PROCEED", clock.now()), "SCREEN_NOT_PRESENTED"],
    ["a skipped screen", (s: Session) => acknowledge(acknowledge(s, "ws1", "CANCEL", clock.now()), "ws2", "PROCEED", clock.now()), "SESSION_CLOSED"],
  ])("refuses %s", (_name, act, reason) => {
    const before = withTwoWarnings();
    const snapshot = structuredClone(before);
    expect(refusal(() => act(before))).toBe(reason);
    expect(before).toEqual(snapshot);
  });
});

describe("failures and closed sessions", () => {
  it.each(["OPEN", "ANALYSING", "WARNING"] as const)("fails from %s with the outcome the reason implies", (state) => {
    const s = fail({ ...withTwoWarnings(), state }, "SDK_ERROR", "ENOENT", clock.now());
    expect(s.state).toBe("FAILED");
    expect(s.outcome).toEqual({ kind: "SYSTEM_ERROR", failureReason: "SDK_ERROR", failureCode: "ENOENT", closeTime: clock.now() });
    expect(s.events.at(-1)).toMatchObject({ type: "FAILED", state: "FAILED" });
    expect(fail(open(), "INVALID_INPUT", "", clock.now()).outcome?.kind).toBe("USER_ERROR");
    expect(fail(open(), "ABANDONED", "", clock.now()).outcome?.kind).toBe("USER_ERROR");
  });

  it.each(["RESOLVED", "FAILED"] as const)("never changes a %s session again", (state) => {
    const closed = state === "RESOLVED" ? acknowledge(withTwoWarnings(), "ws1", "CANCEL", clock.now()) : fail(withTwoWarnings(), "ABANDONED", "", clock.now());
    const snapshot = structuredClone(closed);
    expect(refusal(() => fail(closed, "SDK_ERROR", "", clock.now()))).toBe("SESSION_CLOSED");
    expect(refusal(() => acknowledge(closed, "ws2", "PROCEED", clock.now()))).toBe("SESSION_CLOSED");
    expect(refusal(() => completeInput(closed, [], clock.now()))).toBe("SESSION_CLOSED");
    expect(closed).toEqual(snapshot);
  });

  it("needs abandoning exactly from the expire time, unless closed", () => {
    const s = open();
    expect(needsAbandoning(s, new Date(s.expireTime.getTime() - 1))).toBe(false);
    expect(needsAbandoning(s, s.expireTime)).toBe(true);
    expect(needsAbandoning(fail(s, "SDK_ERROR", "", clock.now()), s.expireTime)).toBe(false);
  });
});
