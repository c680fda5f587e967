import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import { decide, evaluateCheck, review } from "../../src/domain/decision.js";
import { fail } from "../../src/domain/lifecycle.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { RiskAssessment } from "../../src/domain/risk.js";
import type { Session } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";
import { configViolations, defaultThresholds, effectiveThresholds, initialConfig } from "../../src/domain/thresholds.js";

const clock = createManualClock(new Date("2026-06-01T10:00:00Z"));
const open = (market = "GB"): Session =>
  createSession({ tenantId: "t", id: "0197f665-6c88-7512-bc33-a7605d487377", workflow: "kyc", market, origin: "LINK", policy: defaultLifetimePolicy }, clock.now());
const risk = (label: RiskAssessment["label"]): RiskAssessment => ({
  label, accountScore: 0, bot: 0, multipleAccounts: 0, riskSignals: 0, syntheticIdentity: 0, accountsLinked: 0, linkedAccounts: [], lists: [], reasons: [], configurationVersion: 7,
});

describe("checks against thresholds (liveness 0.8, retry band 0.1)", () => {
  it.each([
    [0.81, "PASSED"],
    [0.8, "PASSED"],
    [0.79, "RETRY"],
    [0.7, "RETRY"],
    [0.69, "FAILED"],
    [0, "FAILED"],
  ])("score %s -> %s", (score, outcome) => {
    const s = evaluateCheck(open(), "LIVENESS", score, "sdk", defaultThresholds, clock.now());
    expect(s.checks.at(-1)).toMatchObject({ type: "LIVENESS", score, outcome, threshold: 0.8 });
    expect(s.forcedRetries).toBe(outcome === "RETRY" ? 1 : 0);
    expect(s.events.at(-1)).toMatchObject({ type: "CHECK", check: { outcome } });
  });

  it("uses each check's own threshold", () => {
    expect(evaluateCheck(open(), "FACE_MATCH", 0.84, "v", defaultThresholds, clock.now()).checks[0]!.outcome).toBe("RETRY");
    expect(evaluateCheck(open(), "DOCUMENT", 0.75, "v", defaultThresholds, clock.now()).checks[0]!.outcome).toBe("PASSED");
  });

  it("forces at most 5 retries per session, then fails", () => {
    let s = open();
    for (let i = 0; i < 5; i++) s = evaluateCheck(s, i % 2 ? "FACE_MATCH" : "LIVENESS", 0.75, "sdk", { ...defaultThresholds, faceMatch: 0.8 }, clock.now());
    expect(s.forcedRetries).toBe(5);
    expect(s.checks.map((c) => c.outcome)).toEqual(Array(5).fill("RETRY"));
    s = evaluateCheck(s, "LIVENESS", 0.75, "sdk", defaultThresholds, clock.now());
    expect(s.checks.at(-1)!.outcome).toBe("FAILED");
    expect(s.forcedRetries).toBe(5);
    expect(decide(s, risk("REAL"), 7, clock.now())).toMatchObject({ decision: "DECLINE", reason: "CHECK_FAILED_LIVENESS" });
  });

  it("honours a configured retry cap of 0", () => {
    const s = evaluateCheck(open(), "LIVENESS", 0.79, "sdk", { ...defaultThresholds, maxRetries: 0 }, clock.now());
    expect(s.checks[0]!.outcome).toBe("FAILED");
  });

  it("refuses checks on a closed session", () => {
    expect(() => evaluateCheck(fail(open(), "SDK_ERROR", "", clock.now()), "LIVENESS", 0.9, "sdk", defaultThresholds, clock.now())).toThrow(
      expect.objectContaining({ reason: "SESSION_CLOSED" }),
    );
  });
});

describe("per-market overrides", () => {
  const config = { ...initialConfig("t"), version: 4, values: { document: 0.7 }, marketOverrides: { HU: { document: 0.6, maxRetries: 2 } } };
  it("apply over the tenant's values, which apply over the defaults", () => {
    expect(effectiveThresholds(config, "HU")).toMatchObject({ document: 0.6, maxRetries: 2, liveness: 0.8 });
    expect(effectiveThresholds(config, "GB")).toMatchObject({ document: 0.7, maxRetries: 5 });
    expect(effectiveThresholds(config, "")).toMatchObject({ document: 0.7 });
  });
  it("decide the same score differently per market", () => {
    const score = 0.65;
    expect(evaluateCheck(open("HU"), "DOCUMENT", score, "v", effectiveThresholds(config, "HU"), clock.now()).checks[0]!.outcome).toBe("PASSED");
    expect(evaluateCheck(open("GB"), "DOCUMENT", score, "v", effectiveThresholds(config, "GB"), clock.now()).checks[0]!.outcome).toBe("RETRY");
  });
  it("are validated", () => {
    const problems = configViolations({ values: { review: 0.9, decline: 0.8, liveness: 1.2 }, marketOverrides: { hu: { maxRetries: 99 } } });
    expect(problems.map((p) => p.field)).toEqual(["values.liveness", "values.review", "market_overrides[hu].max_retries", "market_overrides[hu]", "market_overrides[hu].review"]);
  });
});

describe("decisions", () => {
  const complete = (s: Session) => ({ ...s, inputComplete: true });
  it.each([
    ["in progress", open(), "REAL", "PENDING", "IN_PROGRESS"],
    ["complete and real", complete(open()), "REAL", "APPROVE", "RISK_BELOW_REVIEW"],
    ["complete and suspicious", complete(open()), "SUSPICIOUS", "REVIEW", "RISK_AT_REVIEW"],
    ["fake, even in progress", open(), "FAKE", "DECLINE", "RISK_AT_DECLINE"],
    ["a retry pending", complete(evaluateCheck(open(), "LIVENESS", 0.75, "sdk", defaultThresholds, clock.now())), "REAL", "PENDING", "RETRY_PENDING"],
    ["a retry then a pass", complete(evaluateCheck(evaluateCheck(open(), "LIVENESS", 0.75, "s", defaultThresholds, clock.now()), "LIVENESS", 0.9, "s", defaultThresholds, clock.now())), "REAL", "APPROVE", "RISK_BELOW_REVIEW"],
    ["abandoned", fail(open(), "ABANDONED", "", clock.now()), "REAL", "ABANDONED", "SESSION_ABANDONED"],
    ["failed otherwise", fail(open(), "SDK_ERROR", "", clock.now()), "REAL", "DECLINE", "SESSION_FAILED"],
  ] as const)("%s -> %s", (_name, session, label, decision, reason) => {
    expect(decide(session, risk(label), 7, clock.now())).toEqual({ decision, reason, configurationVersion: 7, decideTime: clock.now() });
  });

  it("lets a reviewer finalize only a REVIEW, once, with reviewer and reason, as a DECISION event", () => {
    const underReview = { ...complete(open()), decision: decide(complete(open()), risk("SUSPICIOUS"), 7, clock.now()) };
    const approved = review(underReview, "APPROVE", "analyst-7", "documents verified by phone", clock.now());
    expect(approved.decision).toMatchObject({ decision: "APPROVE", reviewer: "analyst-7", reviewReason: "documents verified by phone", configurationVersion: 7 });
    expect(approved.events.at(-1)).toMatchObject({ type: "DECISION", decision: { decision: "APPROVE" } });
    expect(() => review(approved, "DECLINE", "analyst-8", "changed my mind", clock.now())).toThrow(expect.objectContaining({ reason: "NOT_UNDER_REVIEW" }));
    expect(() => review(complete(open()), "APPROVE", "a", "b", clock.now())).toThrow(expect.objectContaining({ reason: "NOT_UNDER_REVIEW" }));
    // The reviewer's verdict outlives later recomputation.
    expect(decide(approved, risk("FAKE"), 9, clock.now())).toBe(approved.decision);
  });
});
