import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { MetricsFigures, MetricsInterval, Rate } from "../domain/metrics-report.js";
import { metricsRangeViolations, type MetricsUseCases } from "../domain/metrics-use-cases.js";
import { MetricsInterval as ProtoInterval, type SessionMetricsSchema } from "../../gen/sessionflow/v1/metrics_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { CheckType } from "../../gen/sessionflow/v1/risk_pb.js";
import { principalOf } from "./context.js";
import { createValidator, isRegionCode, isWorkflowName } from "./validation.js";

/** UNSPECIFIED means days, as the proto says; any other number is unknown and refused. */
const intervals: Partial<Record<ProtoInterval, MetricsInterval>> = {
  [ProtoInterval.UNSPECIFIED]: "DAY",
  [ProtoInterval.HOUR]: "HOUR",
  [ProtoInterval.DAY]: "DAY",
};

/** GetMetrics: reads aggregates only, for the caller's tenant; the definitions are the domain's (domain/metrics.ts). */
export function createMetricsService(metrics: MetricsUseCases): ServiceImpl<typeof MetricsService> {
  return {
    async getMetrics(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const v = createValidator();
      v.check(req.startTime !== undefined, "start_time", "is required");
      v.check(req.endTime !== undefined, "end_time", "is required");
      v.check(req.workflow === "" || isWorkflowName(req.workflow), "workflow", "must be a workflow name");
      v.check(req.market === "" || isRegionCode(req.market), "market", "must be an ISO 3166-1 alpha-2 code");
      v.check(req.interval in intervals, "interval", "must be HOUR or DAY");
      const startOk = v.timestamp(req.startTime, "start_time");
      const endOk = v.timestamp(req.endTime, "end_time");
      if (req.startTime && req.endTime && startOk && endOk) {
        for (const violation of metricsRangeViolations(timestampDate(req.startTime), timestampDate(req.endTime))) {
          v.check(false, violation.field, violation.description);
        }
      }
      v.throwIfInvalid();
      const report = await metrics.get(tenantId, {
        start: timestampDate(req.startTime!),
        end: timestampDate(req.endTime!),
        interval: intervals[req.interval]!,
        ...(req.workflow ? { workflow: req.workflow } : {}),
        ...(req.market ? { market: req.market } : {}),
      });
      return {
        total: figuresToProto(report.total),
        series: report.series.map((b) => ({ startTime: timestampFromDate(b.start), endTime: timestampFromDate(b.end), metrics: figuresToProto(b.metrics) })),
        configurationVersions: report.configurationVersions.map((v) => ({ configurationVersion: BigInt(v.configurationVersion), metrics: figuresToProto(v.metrics) })),
        configurationVersionsTruncated: report.configurationVersionsTruncated,
        markets: report.markets.map((m) => ({ market: m.market, metrics: figuresToProto(m.metrics) })),
        computeTime: timestampFromDate(report.computeTime),
      };
    },
  };
}

const rateToProto = (r: Rate) => ({ numerator: BigInt(r.numerator), denominator: BigInt(r.denominator), rate: r.rate });

function figuresToProto(f: MetricsFigures): MessageInitShape<typeof SessionMetricsSchema> {
  const d = f.decisions;
  return {
    sessions: BigInt(f.sessions),
    approval: rateToProto(f.approval),
    rejection: rateToProto(f.rejection),
    abandonment: rateToProto(f.abandonment),
    forcedRetry: rateToProto(f.forcedRetry),
    decisions: {
      approvedAutomatically: BigInt(d.approvedAutomatically),
      approvedByReview: BigInt(d.approvedByReview),
      declinedAutomatically: BigInt(d.declinedAutomatically),
      declinedByReview: BigInt(d.declinedByReview),
      inReview: BigInt(d.inReview),
      pending: BigInt(d.pending),
      abandoned: BigInt(d.abandoned),
    },
    forcedRetries: BigInt(f.forcedRetries),
    checks: f.checks.map((c) => ({
      type: CheckType[c.type],
      results: BigInt(c.results),
      passed: BigInt(c.passed),
      retryRequested: BigInt(c.retryRequested),
      failed: BigInt(c.failed),
      failureRate: rateToProto(c.failureRate),
      retryRate: rateToProto(c.retryRate),
      failureShare: rateToProto(c.failureShare),
      sessionsFailed: BigInt(c.sessionsFailed),
    })),
  };
}
