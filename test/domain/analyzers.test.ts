import { describe, expect, it } from "vitest";
import { builtInAnalyzers, runAnalyses, type Analyzer } from "../../src/domain/analyzers.js";

const now = () => new Date("2026-06-01T10:00:00Z");
const ids = () => {
  let n = 0;
  return () => `a${++n}`;
};
const opts = { analyzers: builtInAnalyzers, warnThreshold: 0.5, timeoutMs: 200 };

describe("built-in analyzers", () => {
  it.each([
    ["clean input", { identity: { email: "alice@example.com" } }, [0, 0], [[], []]],
    ["automation flags", { identity: {}, device: { automationFlags: ["webdriver", "headless"] } }, [0.9, 0], [["AUTOMATION_FLAG_WEBDRIVER", "AUTOMATION_FLAG_HEADLESS"], []]],
    ["a disposable email domain", { identity: { email: "x@Mailinator.com" } }, [0, 0.6], [[], ["EMAIL_DOMAIN_DISPOSABLE"]]],
  ])("%s", async (_name, input, risks, reasons) => {
    const results = await runAnalyses({ workflow: "w", market: "", ...input }, opts, now, ids());
    expect(results.map((r) => r.analysis.risk)).toEqual(risks);
    expect(results.map((r) => r.analysis.reasonCodes)).toEqual(reasons);
    expect(results.map((r) => r.analysis.status)).toEqual(["COMPLETED", "COMPLETED"]);
  });

  it("shows a warning only at or above the warn threshold", async () => {
    const input = { workflow: "w", market: "", identity: { email: "x@yopmail.com" } };
    const at = await runAnalyses(input, { ...opts, warnThreshold: 0.6 }, now, ids());
    const above = await runAnalyses(input, { ...opts, warnThreshold: 0.61 }, now, ids());
    expect(at[1]!.warning?.kind).toBe("DISPOSABLE_EMAIL");
    expect(above[1]!.warning).toBeUndefined();
  });
});

describe("running analyzers", () => {
  const throwing: Analyzer = { name: "throws", analyze: () => { throw new Error("down"); } };
  const hanging: Analyzer = { name: "hangs", analyze: (_i, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))) };
  const wild: Analyzer = { name: "wild", analyze: () => ({ risk: 7, reasonCodes: ["X"] }) };

  it("turns a throw or a timeout into a FAILED analysis instead of hanging", async () => {
    const started = Date.now();
    const results = await runAnalyses({ workflow: "w", market: "", identity: {} }, { ...opts, analyzers: [throwing, hanging], timeoutMs: 50 }, now, ids());
    expect(results.map((r) => [r.analysis.analyzer, r.analysis.status, r.analysis.reasonCodes])).toEqual([
      ["throws", "FAILED", ["ANALYZER_FAILED"]],
      ["hangs", "FAILED", ["ANALYZER_FAILED"]],
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("clamps risk into 0..1", async () => {
    const [r] = await runAnalyses({ workflow: "w", market: "", identity: {} }, { ...opts, analyzers: [wild] }, now, ids());
    expect(r!.analysis.risk).toBe(1);
  });
});
