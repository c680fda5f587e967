import type { Document } from "mongodb";
import {
  checkOutcomes,
  checkTypes,
  closedStateList,
  counterNames,
  decisionClasses,
  decisionRules,
  otherDecisions,
  type DecisionRule,
} from "../../domain/metrics.js";
import { emptyTally, type Tally } from "../../domain/metrics.js";
import type { MetricsQuery, MetricsTallies } from "../../domain/metrics-report.js";

/**
 * The operational metrics as ONE aggregation pipeline, built from the domain's own tables
 * (src/domain/metrics.ts), so the definitions are written once:
 *
 * 1. $match: the tenant's counted (billable) sessions created in the range, of the workflow and
 *    market when set. Every field is a key of the `tenant_metrics` index (equality on tenantId
 *    and billable, a range on createTime, then workflow and market), so the server reads one
 *    contiguous stretch of the index, filters workflow and market on index keys alone, and
 *    fetches only the documents that match; the store passes the index as a hint.
 * 2. $project: per session, only what the metrics need (bucket, version, market, the decision
 *    class from the decision table, and the counters), so nothing else of the document travels
 *    further down the pipeline.
 * 3. $facet: the same $group of sums four ways (total, bucket, version, market), in one pass.
 */

export const metricsIndexName = "tenant_metrics";

export function metricsMatch(tenantId: string, q: MetricsQuery): Document {
  return {
    tenantId: { $eq: tenantId },
    // countedInMetrics(): a session is counted when it bills.
    billable: { $eq: true },
    createTime: { $gte: q.start, $lt: q.end },
    ...(q.workflow !== undefined ? { workflow: { $eq: q.workflow } } : {}),
    ...(q.market !== undefined ? { market: { $eq: q.market } } : {}),
  };
}

/** decisionFactsOf() in MQL. */
const facts = (now: Date) => ({
  reviewed: { $ne: [{ $ifNull: ["$decision.reviewer", ""] }, ""] },
  expiredOpen: { $and: [{ $not: [{ $in: ["$state", closedStateList] }] }, { $lte: ["$expireTime", now] }] },
});

/** decisionClassOf(): the decision table as a $switch, first match wins. */
function decisionClassExpr(now: Date): Document {
  const f = facts(now);
  const caseOf = (rule: DecisionRule) => ({
    $and: [
      ...(rule.reviewed !== undefined ? [{ $eq: [f.reviewed, rule.reviewed] }] : []),
      ...(rule.expiredOpen !== undefined ? [{ $eq: [f.expiredOpen, rule.expiredOpen] }] : []),
      ...(rule.decision !== undefined ? [{ $eq: ["$decision.decision", rule.decision] }] : []),
    ],
  });
  return { $switch: { branches: decisionRules.map((rule) => ({ case: caseOf(rule), then: rule.then })), default: otherDecisions } };
}

const countOf = (type: string, outcome: string) => ({
  $size: { $filter: { input: { $ifNull: ["$checks", []] }, as: "c", cond: { $and: [{ $eq: ["$$c.type", type] }, { $eq: ["$$c.outcome", outcome] }] } } },
});
const oneIf = (condition: Document) => ({ $cond: [condition, 1, 0] });

/** tallyOf() in MQL: each counter of counterNames, for one session. */
function sessionCounters(): Document {
  const counters: Document = {
    sessions: { $literal: 1 },
    ...Object.fromEntries(decisionClasses.map((c) => [c, oneIf({ $eq: ["$class", c] })])),
    retriedSessions: oneIf({ $gt: [{ $ifNull: ["$forcedRetries", 0] }, 0] }),
    forcedRetries: { $ifNull: ["$forcedRetries", 0] },
  };
  for (const type of checkTypes) {
    for (const outcome of checkOutcomes) counters[`${type}_${outcome}`] = countOf(type, outcome);
    counters[`${type}_SESSIONS_FAILED`] = oneIf({ $gt: [countOf(type, "FAILED"), 0] });
  }
  return counters;
}

export function metricsPipeline(tenantId: string, q: MetricsQuery): Document[] {
  const sums = Object.fromEntries(counterNames.map((name) => [name, { $sum: `$${name}` }]));
  const group = (by: unknown) => [{ $group: { _id: by, ...sums } }];
  return [
    { $match: metricsMatch(tenantId, q) },
    {
      $project: {
        _id: 0,
        bucket: { $dateTrunc: { date: "$createTime", unit: q.interval === "HOUR" ? "hour" : "day" } },
        version: "$decision.configurationVersion",
        market: 1,
        forcedRetries: 1,
        checks: 1,
        class: decisionClassExpr(q.now),
      },
    },
    { $project: { bucket: 1, version: 1, market: 1, ...sessionCounters() } },
    { $facet: { total: group(null), series: group("$bucket"), versions: group("$version"), markets: group("$market") } },
  ];
}

type Row = { _id: unknown } & Record<string, number>;
export type MetricsFacets = { total: Row[]; series: Row[]; versions: Row[]; markets: Row[] };

const tallyOfRow = (row: Row): Tally => counterNames.map((name) => Number(row[name] ?? 0));

/** The pipeline's one result document, as tallies. */
export function talliesOf(facets: MetricsFacets | undefined): MetricsTallies {
  const total = facets?.total[0];
  return {
    total: total ? tallyOfRow(total) : emptyTally(),
    series: new Map((facets?.series ?? []).map((r) => [new Date(r._id as Date).getTime(), tallyOfRow(r)])),
    versions: new Map((facets?.versions ?? []).map((r) => [Number(r._id ?? 0), tallyOfRow(r)])),
    markets: new Map((facets?.markets ?? []).map((r) => [String(r._id ?? ""), tallyOfRow(r)])),
  };
}
