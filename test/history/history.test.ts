import { describe, expect, it } from "vitest";
import { defaultOptions, runHistoryCheck } from "./harness.js";
import { formatReport } from "./report.js";

/**
 * The history checker in process: three instances over one store, the whole workload for three
 * seconds with a fixed seed, then every check, on each store. On the code before the fixes it
 * found INTERNAL from concurrent TransferSession retries, the replayed ReportCheckResult
 * answering with the latest check, transfer sync-back lost on retries, heartbeat cursors past
 * undelivered backlog events, and a child's sync billing a replacement of its expired parent.
 */
describe("history checker", () => {
  it.each(["memory", "mongo"])("finds no violation in a short run on the %s store", async (store) => {
    const report = await runHistoryCheck({ ...defaultOptions, store, seed: 20260302, seconds: 3 });
    expect(report.workloadOps).toBeGreaterThan(100);
    expect(report.violations, formatReport(report)).toEqual([]);
  }, 90_000);
});
