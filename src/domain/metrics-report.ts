import { checkTypes, counter, decisionClasses, emptyTally, tallyInto, type DecisionClass, type Tally } from "./metrics.js";
import type { CheckType, Session } from "./session.js";

/** Turns the counts a store tallied into the rates GetMetrics reports, bucket by bucket. */

export type MetricsInterval = "HOUR" | "DAY";

export const intervalMs: Readonly<Record<MetricsInterval, number>> = { HOUR: 3_600_000, DAY: 86_400_000 };

/** The longest range one request may cover, and the most buckets one series may have. */
export const maxMetricsRangeDays = 366;
export const maxMetricsBuckets = 1000;
/** Versions reported per request, newest first; a tenant may have made any number of changes. */
export const maxConfigurationVersions = 100;

/** Sessions created in [start, end) of the tenant, of the workflow and market when set. */
export interface MetricsQuery {
  start: Date;
  end: Date;
  workflow?: string;
  market?: string;
  interval: MetricsInterval;
  /** The time a session must be open past to count as abandoned. */
  now: Date;
}

/** What a store counts for a query: the tally of every session, and split four ways. */
export interface MetricsTallies {
  total: Tally;
  /** By the UTC start of the hour or day the session was created in (epoch milliseconds). */
  series: Map<number, Tally>;
  /** By the configuration version recorded with the session's decision. */
  versions: Map<number, Tally>;
  /** By market ("" for none). */
  markets: Map<string, Tally>;
}

/** The UTC hour or day containing `ms`: epoch time has no leap seconds, so flooring is exact. */
export const bucketStartOf = (ms: number, interval: MetricsInterval) => Math.floor(ms / intervalMs[interval]) * intervalMs[interval];

/** How many buckets [start, end) touches; end is exclusive and after start. */
export function bucketCount(start: Date, end: Date, interval: MetricsInterval): number {
  const first = bucketStartOf(start.getTime(), interval);
  const last = bucketStartOf(end.getTime() - 1, interval);
  return (last - first) / intervalMs[interval] + 1;
}

export interface Rate {
  numerator: number;
  denominator: number;
  /** numerator / denominator, or 0 when the denominator is 0. */
  rate: number;
}

export interface CheckFigures {
  type: CheckType;
  results: number;
  passed: number;
  retryRequested: number;
  failed: number;
  failureRate: Rate;
  retryRate: Rate;
  failureShare: Rate;
  sessionsFailed: number;
}

export interface MetricsFigures {
  sessions: number;
  approval: Rate;
  rejection: Rate;
  abandonment: Rate;
  forcedRetry: Rate;
  decisions: Record<DecisionClass, number>;
  forcedRetries: number;
  checks: CheckFigures[];
}

export interface MetricsReport {
  total: MetricsFigures;
  series: { start: Date; end: Date; metrics: MetricsFigures }[];
  configurationVersions: { configurationVersion: number; metrics: MetricsFigures }[];
  configurationVersionsTruncated: boolean;
  markets: { market: string; metrics: MetricsFigures }[];
  computeTime: Date;
}

export const rateOf = (numerator: number, denominator: number): Rate => ({ numerator, denominator, rate: denominator === 0 ? 0 : numerator / denominator });

/** The figures of one tally; the rates are defined in proto/sessionflow/v1/metrics.proto. */
export function figuresOf(t: Tally): MetricsFigures {
  const sessions = t[counter.sessions]!;
  const decisions = Object.fromEntries(decisionClasses.map((c) => [c, t[counter.decision(c)]!])) as Record<DecisionClass, number>;
  const allFailed = checkTypes.reduce((sum, type) => sum + t[counter.check(type, "FAILED")]!, 0);
  return {
    sessions,
    approval: rateOf(decisions.approvedAutomatically + decisions.approvedByReview, sessions),
    rejection: rateOf(decisions.declinedAutomatically, sessions),
    abandonment: rateOf(decisions.abandoned, sessions),
    forcedRetry: rateOf(t[counter.retriedSessions]!, sessions),
    decisions,
    forcedRetries: t[counter.forcedRetries]!,
    checks: checkTypes.map((type) => {
      const passed = t[counter.check(type, "PASSED")]!;
      const retryRequested = t[counter.check(type, "RETRY")]!;
      const failed = t[counter.check(type, "FAILED")]!;
      const results = passed + retryRequested + failed;
      return {
        type,
        results,
        passed,
        retryRequested,
        failed,
        failureRate: rateOf(failed, results),
        retryRate: rateOf(retryRequested, results),
        failureShare: rateOf(failed, allFailed),
        sessionsFailed: t[counter.sessionsFailed(type)]!,
      };
    }),
  };
}

/** The report: every bucket of the range (empty ones too, cut to the range), newest versions first, markets in code order. */
export function reportOf(tallies: MetricsTallies, q: MetricsQuery): MetricsReport {
  const step = intervalMs[q.interval];
  const series: MetricsReport["series"] = [];
  for (let b = bucketStartOf(q.start.getTime(), q.interval); b < q.end.getTime(); b += step) {
    series.push({
      start: new Date(Math.max(b, q.start.getTime())),
      end: new Date(Math.min(b + step, q.end.getTime())),
      metrics: figuresOf(tallies.series.get(b) ?? emptyTally()),
    });
  }
  const versions = [...tallies.versions.keys()].sort((a, b) => b - a);
  const markets = [...tallies.markets.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    total: figuresOf(tallies.total),
    series,
    configurationVersions: versions.slice(0, maxConfigurationVersions).map((v) => ({ configurationVersion: v, metrics: figuresOf(tallies.versions.get(v)!) })),
    configurationVersionsTruncated: versions.length > maxConfigurationVersions,
    markets: markets.map((m) => ({ market: m, metrics: figuresOf(tallies.markets.get(m)!) })),
    computeTime: q.now,
  };
}

/** Collects per-session tallies into MetricsTallies; for stores that count in process. */
export function createTallies(interval: MetricsInterval) {
  const tallies: MetricsTallies = { total: emptyTally(), series: new Map(), versions: new Map(), markets: new Map() };
  return {
    tallies,
    /** Counts the session in the total, its bucket, its decision's configuration version and its market. */
    add(session: Session, now: Date) {
      tallyInto(
        [
          tallies.total,
          into(tallies.series, bucketStartOf(session.createTime.getTime(), interval)),
          into(tallies.versions, session.decision.configurationVersion),
          into(tallies.markets, session.market),
        ],
        session,
        now,
      );
    },
  };
}

function into<K>(map: Map<K, Tally>, key: K): Tally {
  let t = map.get(key);
  if (!t) map.set(key, (t = emptyTally()));
  return t;
}
