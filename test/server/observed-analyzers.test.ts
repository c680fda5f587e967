import { describe, expect, it } from "vitest";
import type { Analyzer } from "../../src/domain/analyzers.js";
import { createMetrics } from "../../src/server/telemetry/metrics.js";
import { observeAnalyzers } from "../../src/server/telemetry/observed-analyzers.js";
import { parseExposition, valueOf } from "../support/prometheus.js";

const input = { workflow: "kyc", market: "GB", identity: {} };

describe("observed analyzers", () => {
  it("times each analyzer by result: ok, error, and timeout when the domain gives up on it", async () => {
    const metrics = createMetrics({ feedHealthy: () => true });
    const analyzers: Analyzer[] = [
      { name: "fine", analyze: () => ({ risk: 0, reasonCodes: [] }) },
      { name: "broken", analyze: () => Promise.reject(new Error("vendor down")) },
      { name: "stuck", analyze: () => new Promise(() => {}) },
    ];
    const [fine, broken, stuck] = observeAnalyzers(analyzers, { metrics });
    await expect(fine!.analyze(input, new AbortController().signal)).resolves.toEqual({ risk: 0, reasonCodes: [] });
    await expect(broken!.analyze(input, new AbortController().signal)).rejects.toThrow("vendor down");
    const timeout = new AbortController();
    void stuck!.analyze(input, timeout.signal);
    timeout.abort(); // what runAnalyses does at its deadline

    const m = parseExposition(await metrics.exposition());
    expect(valueOf(m, "sessionflow_analyzer_duration_seconds", { analyzer: "fine", result: "ok" })).toBe(1);
    expect(valueOf(m, "sessionflow_analyzer_duration_seconds", { analyzer: "broken", result: "error" })).toBe(1);
    expect(valueOf(m, "sessionflow_analyzer_duration_seconds", { analyzer: "stuck", result: "timeout" })).toBe(1);
  });

  it("hands the analyzers back unwrapped when nothing observes them", () => {
    const analyzer: Analyzer = { name: "fine", analyze: () => ({ risk: 0, reasonCodes: [] }) };
    expect(observeAnalyzers([analyzer], {})[0]).toBe(analyzer);
  });
});
