import { describe, expect, it } from "vitest";
import { decisionClassOf, decisionClasses, type DecisionFacts } from "../../src/domain/metrics.js";
import { bucketCount, maxMetricsBuckets, reportOf, type MetricsTallies } from "../../src/domain/metrics-report.js";
import { createMetricsUseCases, metricsRangeViolations } from "../../src/domain/metrics-use-cases.js";
import { createManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { emptyTally } from "../../src/domain/metrics.js";
import type { DecisionValue } from "../../src/domain/session.js";
import type { Store } from "../../src/domain/store.js";

describe("metric definitions", () => {
  const cls = (decision: DecisionValue, reviewed = false, expiredOpen = false) => decisionClassOf({ decision, reviewed, expiredOpen } satisfies DecisionFacts);

  it("puts every decision in exactly one class; a reviewer's verdict is final and expiry abandons the rest", () => {
    expect([cls("APPROVE"), cls("DECLINE"), cls("REVIEW"), cls("PENDING"), cls("ABANDONED")]).toEqual([
      "approvedAutomatically", "declinedAutomatically", "inReview", "pending", "abandoned",
    ]);
    expect([cls("APPROVE", true), cls("DECLINE", true), cls("APPROVE", true, true)]).toEqual(["approvedByReview", "declinedByReview", "approvedByReview"]);
    for (const d of ["APPROVE", "DECLINE", "REVIEW", "PENDING", "ABANDONED"] as const) expect(cls(d, false, true)).toBe("abandoned");
    expect(decisionClasses).toHaveLength(7);
  });

  it("counts the buckets a range touches, UTC-aligned, end exclusive", () => {
    const d = (iso: string) => new Date(iso);
    expect(bucketCount(d("2026-03-02T00:00:00Z"), d("2026-03-03T00:00:00Z"), "DAY")).toBe(1);
    expect(bucketCount(d("2026-03-02T23:59:59Z"), d("2026-03-03T00:00:01Z"), "DAY")).toBe(2);
    expect(bucketCount(d("2026-03-02T00:30:00Z"), d("2026-03-02T02:00:00Z"), "HOUR")).toBe(2);
    expect(bucketCount(d("2025-03-02T00:00:00Z"), d("2026-03-03T00:00:00Z"), "DAY")).toBe(366);
  });

  it("refuses reversed, empty and over-long ranges by field, and series of too many buckets with their own reason", async () => {
    const d = (iso: string) => new Date(iso);
    expect(metricsRangeViolations(d("2026-03-02T00:00:00Z"), d("2026-03-02T00:00:00Z"))).toEqual([{ field: "end_time", description: "must be after start_time" }]);
    expect(metricsRangeViolations(d("2025-01-01T00:00:00Z"), d("2026-01-02T00:00:01Z"))[0]?.field).toBe("end_time");
    expect(metricsRangeViolations(d("2025-01-01T00:00:00Z"), d("2026-01-02T00:00:00Z"))).toEqual([]);
    let scanned = 0;
    const store = { sessions: { tallyMetrics: async () => (scanned++, { total: emptyTally(), series: new Map(), versions: new Map(), markets: new Map() }) } } as unknown as Store;
    const metrics = createMetricsUseCases({ store, clock: createManualClock() });
    const hours = (n: number) => ({ start: d("2026-03-01T00:00:00Z"), end: new Date(Date.parse("2026-03-01T00:00:00Z") + n * 3_600_000), interval: "HOUR" as const });
    await expect(metrics.get("acme", hours(maxMetricsBuckets))).resolves.toBeDefined();
    const refused = await metrics.get("acme", hours(maxMetricsBuckets + 1)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect({ reason: (refused as DomainError).reason, metadata: (refused as DomainError).metadata }).toEqual({ reason: "TOO_MANY_BUCKETS", metadata: { max_buckets: "1000" } });
    expect(scanned).toBe(1);
  });

  it("reports at most 100 configuration versions, newest first, and says when it left some out", () => {
    const versions = new Map(Array.from({ length: 101 }, (_, v) => [v, emptyTally()] as const));
    const tallies: MetricsTallies = { total: emptyTally(), series: new Map(), versions, markets: new Map() };
    const report = reportOf(tallies, { start: new Date(0), end: new Date(86_400_000), interval: "DAY", now: new Date(0) });
    expect(report.configurationVersions.map((v) => v.configurationVersion).slice(0, 2)).toEqual([100, 99]);
    expect(report.configurationVersions).toHaveLength(100);
    expect(report.configurationVersionsTruncated).toBe(true);
    expect(report.total.approval).toEqual({ numerator: 0, denominator: 0, rate: 0 });
  });
});
