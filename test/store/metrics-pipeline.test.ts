import { describe, expect, it } from "vitest";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { metricsIndexName, metricsMatch, metricsPipeline } from "../../src/store/mongo/metrics-pipeline.js";

/** The GetMetrics pipeline is one aggregation whose $match the tenant_metrics index serves in full. */
describe("metrics pipeline", () => {
  const q = { start: new Date("2026-03-01T00:00:00Z"), end: new Date("2026-03-02T00:00:00Z"), interval: "DAY" as const, now: new Date("2026-03-03T00:00:00Z") };
  const index = indexDeclarations({ eventRetentionSeconds: 60 }).find((i) => i.name === metricsIndexName)!;

  it("matches on the index's keys only: equality first, then the createTime range, then the optional filters", () => {
    const keys = Object.keys(index.key as Record<string, number>);
    expect(index.collection).toBe("sessions");
    expect(keys).toEqual(["tenantId", "billable", "createTime", "workflow", "market"]);
    for (const filters of [{}, { workflow: "w" }, { market: "GB" }, { workflow: "w", market: "GB" }]) {
      const match = metricsMatch("acme", { ...q, ...filters });
      expect(Object.keys(match).every((k) => keys.includes(k))).toBe(true);
      expect(Object.keys(match).slice(0, 3)).toEqual(["tenantId", "billable", "createTime"]);
      expect(match["createTime"]).toEqual({ $gte: q.start, $lt: q.end });
    }
  });

  it("is a single pipeline that starts with the match and ends with one $facet", () => {
    const pipeline = metricsPipeline("acme", { ...q, workflow: "a$b", market: "GB" });
    expect(Object.keys(pipeline[0]!)).toEqual(["$match"]);
    expect(Object.keys(pipeline.at(-1)!)).toEqual(["$facet"]);
    // Client input appears only as $eq values, never as a key or operator.
    expect(pipeline[0]!["$match"].workflow).toEqual({ $eq: "a$b" });
  });
});
