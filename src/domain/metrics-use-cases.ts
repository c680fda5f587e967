import type { Clock } from "./clock.js";
import { DomainError, invalid, type FieldViolation } from "./errors.js";
import { bucketCount, maxMetricsBuckets, maxMetricsRangeDays, reportOf, type MetricsQuery, type MetricsReport } from "./metrics-report.js";
import type { Store } from "./store.js";

export type MetricsRequest = Omit<MetricsQuery, "now">;

export interface MetricsUseCases {
  /** The tenant's operational metrics for the request; refuses ranges and series the limits do not allow. */
  get(tenantId: string, request: MetricsRequest): Promise<MetricsReport>;
}

/** What is wrong with a range, by field; empty when it is a non-empty range of at most maxMetricsRangeDays. */
export function metricsRangeViolations(start: Date, end: Date): FieldViolation[] {
  if (end.getTime() <= start.getTime()) return [{ field: "end_time", description: "must be after start_time" }];
  if (end.getTime() - start.getTime() > maxMetricsRangeDays * 86_400_000) {
    return [{ field: "end_time", description: `must be at most ${maxMetricsRangeDays} days after start_time` }];
  }
  return [];
}

export function createMetricsUseCases({ store, clock }: { store: Store; clock: Clock }): MetricsUseCases {
  return {
    async get(tenantId, request) {
      const violations = metricsRangeViolations(request.start, request.end);
      if (violations.length) throw invalid(violations);
      if (bucketCount(request.start, request.end, request.interval) > maxMetricsBuckets) {
        throw new DomainError(
          "TOO_MANY_BUCKETS",
          `the series would have more than ${maxMetricsBuckets} buckets; use a longer interval or a shorter range`,
          [{ field: "interval", description: `must make at most ${maxMetricsBuckets} buckets of the range` }],
          { max_buckets: String(maxMetricsBuckets) },
        );
      }
      const query: MetricsQuery = { ...request, now: clock.now() };
      return reportOf(await store.sessions.tallyMetrics(tenantId, query), query);
    },
  };
}
