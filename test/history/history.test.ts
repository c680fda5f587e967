import { describe, expect, it } from "vitest";
import { defaultOptions, runHistoryCheck } from "./harness.js";
import { formatReport } from "./report.js";

/**
 * The history checker in process: three instances over one memory store, the whole workload for
 * three seconds with a fixed seed, then every check. Skipped for now: on the current code it
 * finds the known bugs (INTERNAL from concurrent TransferSession retries, the replayed
 * ReportCheckResult answering with the latest check, transfer sync-back lost on retries, and
 * heartbeat cursors past undelivered backlog events). Enable it once those are fixed.
 */
describe("history checker", () => {
  it.skip("finds no violation in a short run on the memory store", async () => {
    const report = await runHistoryCheck({ ...defaultOptions, seed: 20260302, seconds: 3 });
    expect(report.workloadOps).toBeGreaterThan(100);
    expect(report.violations, formatReport(report)).toEqual([]);
  }, 90_000);
});
