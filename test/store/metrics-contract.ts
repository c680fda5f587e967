import { expect, it } from "vitest";
import { appendAudit } from "../../src/domain/audit.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { emptyTally, type DecisionClass } from "../../src/domain/metrics.js";
import { figuresOf, reportOf, type MetricsFigures, type MetricsQuery } from "../../src/domain/metrics-report.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { CheckOutcome, CheckType, DecisionValue, Session, SessionState } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";
import type { Store } from "../../src/domain/store.js";

/**
 * GetMetrics' counts, against a fixture computed by hand: sessions in every decision class
 * (an expired open session counting as abandoned, a reviewed one that expired open keeping its
 * verdict), retries, failed checks, three markets, three configuration versions, and sessions
 * that must not count (a transfer, another tenant, just outside the range).
 */

const at = (iso: string) => new Date(iso);
const now = at("2026-03-04T12:00:00Z");
const ids = createUuidV7Generator(() => Date.UTC(2026, 2, 2));

interface Spec {
  tenant?: string;
  workflow?: string;
  market: string;
  created: string;
  state: SessionState;
  decision: DecisionValue;
  reviewer?: string;
  version: number;
  checks?: [CheckType, CheckOutcome][];
  expires?: string;
  billable?: boolean;
}

function build(spec: Spec): Session {
  const created = at(spec.created);
  const base = createSession(
    { tenantId: spec.tenant ?? "acme", id: ids.next(), workflow: spec.workflow ?? "bank-signup", market: spec.market, origin: spec.billable === false ? "TRANSFER" : "SUBMISSION", policy: defaultLifetimePolicy, billable: spec.billable ?? true },
    created,
  );
  const checks = (spec.checks ?? []).map(([type, outcome], i) => ({ id: `c${i + 1}`, type, score: 0.5, outcome, vendor: "sdk", reportTime: created, threshold: 0.6 }));
  return {
    ...base,
    version: 1,
    state: spec.state,
    expireTime: spec.expires ? at(spec.expires) : base.expireTime,
    decision: { decision: spec.decision, reason: "FIXTURE", configurationVersion: spec.version, decideTime: created, ...(spec.reviewer ? { reviewer: spec.reviewer, reviewReason: "checked" } : {}) },
    checks,
    forcedRetries: checks.filter((c) => c.outcome === "RETRY").length,
    audit: appendAudit([], { recordTime: created, requestId: `req-${base.id}`, fingerprint: "f", procedure: "/p", principal: "key:k", provided: {}, returned: {} }),
  };
}

const fixture: Record<string, Spec> = {
  A: { market: "GB", created: "2026-03-02T09:10:00Z", state: "RESOLVED", decision: "APPROVE", version: 1, checks: [["LIVENESS", "PASSED"], ["FACE_MATCH", "PASSED"]] },
  B: { market: "GB", created: "2026-03-02T09:20:00Z", state: "RESOLVED", decision: "APPROVE", reviewer: "r1", version: 1, checks: [["LIVENESS", "RETRY"], ["LIVENESS", "PASSED"]] },
  C: { market: "DE", created: "2026-03-02T10:05:00Z", state: "RESOLVED", decision: "DECLINE", version: 2, checks: [["DOCUMENT", "FAILED"], ["DOCUMENT", "FAILED"]] },
  D: { market: "DE", created: "2026-03-02T10:30:00Z", state: "RESOLVED", decision: "DECLINE", reviewer: "r1", version: 2, checks: [["DOCUMENT", "RETRY"], ["DOCUMENT", "PASSED"]] },
  K: { workflow: "card-payment", market: "GB", created: "2026-03-02T11:00:00Z", state: "RESOLVED", decision: "APPROVE", version: 1, checks: [["DOCUMENT", "PASSED"]] },
  N: { market: "", created: "2026-03-02T23:59:59Z", state: "FAILED", decision: "DECLINE", version: 1, checks: [["FACE_MATCH", "FAILED"], ["LIVENESS", "FAILED"]] },
  E: { market: "GB", created: "2026-03-03T08:00:00Z", state: "RESOLVED", decision: "REVIEW", version: 2 },
  F: { market: "", created: "2026-03-03T08:30:00Z", state: "OPEN", decision: "PENDING", version: 0, expires: "2026-03-10T00:00:00Z", checks: [["FACE_MATCH", "RETRY"], ["FACE_MATCH", "RETRY"]] },
  G: { market: "GB", created: "2026-03-03T09:00:00Z", state: "FAILED", decision: "ABANDONED", version: 1 },
  // Open past its expire time with an automatic APPROVE: abandoned, as the sweep will make it.
  H: { market: "DE", created: "2026-03-03T09:30:00Z", state: "WARNING", decision: "APPROVE", version: 0, expires: "2026-03-03T09:40:00Z", checks: [["LIVENESS", "RETRY"]] },
  // Open past its expire time, but a reviewer's verdict is final.
  O: { market: "GB", created: "2026-03-03T10:00:00Z", state: "WARNING", decision: "APPROVE", reviewer: "r2", version: 2, expires: "2026-03-03T10:10:00Z" },
  // Not counted: a transfer (its checks count on its parent), another tenant, outside the range at either end.
  J: { market: "GB", created: "2026-03-02T09:15:00Z", state: "RESOLVED", decision: "DECLINE", version: 1, billable: false, checks: [["LIVENESS", "FAILED"]] },
  L: { tenant: "globex", market: "GB", created: "2026-03-02T09:00:00Z", state: "RESOLVED", decision: "APPROVE", version: 1 },
  M: { market: "GB", created: "2026-03-04T00:00:00Z", state: "RESOLVED", decision: "APPROVE", version: 1 },
  P: { market: "GB", created: "2026-03-01T23:59:59.999Z", state: "RESOLVED", decision: "DECLINE", version: 1 },
};

const range = { start: at("2026-03-02T00:00:00Z"), end: at("2026-03-04T00:00:00Z") };
const query = (q: Partial<MetricsQuery> = {}): MetricsQuery => ({ ...range, interval: "DAY", now, ...q });

/** The figures as compact counts: sessions, the seven decision classes in proto order, retried sessions, forced retries, and per check type [passed, retry, failed, sessions failed]. */
function counts(f: MetricsFigures) {
  const order: DecisionClass[] = ["approvedAutomatically", "approvedByReview", "declinedAutomatically", "declinedByReview", "inReview", "pending", "abandoned"];
  return {
    sessions: f.sessions,
    decisions: order.map((c) => f.decisions[c]),
    retried: f.forcedRetry.numerator,
    forcedRetries: f.forcedRetries,
    checks: Object.fromEntries(f.checks.map((c) => [c.type, [c.passed, c.retryRequested, c.failed, c.sessionsFailed]])),
  };
}

export function metricsContractCases(store: () => Store) {
  async function seeded() {
    for (const spec of Object.values(fixture)) await store().sessions.insert(build(spec));
  }
  const tally = async (q: MetricsQuery, tenant = "acme") => reportOf(await store().sessions.tallyMetrics(tenant, q), q);

  it("counts the operational metrics of a hand-computed fixture", async () => {
    await seeded();
    const report = await tally(query());
    const total = report.total;
    expect(counts(total)).toEqual({
      sessions: 11,
      decisions: [2, 2, 2, 1, 1, 1, 2],
      retried: 4,
      forcedRetries: 5,
      checks: { LIVENESS: [2, 2, 1, 1], FACE_MATCH: [1, 2, 1, 1], DOCUMENT: [2, 1, 2, 1] },
    });
    expect(total.approval).toEqual({ numerator: 4, denominator: 11, rate: 4 / 11 });
    expect(total.rejection).toEqual({ numerator: 2, denominator: 11, rate: 2 / 11 });
    expect(total.abandonment).toEqual({ numerator: 2, denominator: 11, rate: 2 / 11 });
    expect(total.forcedRetry).toEqual({ numerator: 4, denominator: 11, rate: 4 / 11 });
    const document = total.checks.find((c) => c.type === "DOCUMENT")!;
    expect(document.results).toBe(5);
    expect(document.failureRate).toEqual({ numerator: 2, denominator: 5, rate: 0.4 });
    expect(document.retryRate).toEqual({ numerator: 1, denominator: 5, rate: 0.2 });
    expect(document.failureShare).toEqual({ numerator: 2, denominator: 4, rate: 0.5 });

    expect(report.series.map((b) => [b.start.toISOString(), b.end.toISOString(), b.metrics.sessions])).toEqual([
      ["2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z", 6],
      ["2026-03-03T00:00:00.000Z", "2026-03-04T00:00:00.000Z", 5],
    ]);
    expect(counts(report.series[1]!.metrics).decisions).toEqual([0, 1, 0, 0, 1, 1, 2]);
    expect(report.configurationVersions.map((v) => [v.configurationVersion, counts(v.metrics).decisions])).toEqual([
      [2, [0, 1, 1, 1, 1, 0, 0]],
      [1, [2, 1, 1, 0, 0, 0, 1]],
      [0, [0, 0, 0, 0, 0, 1, 1]],
    ]);
    expect(report.configurationVersionsTruncated).toBe(false);
    expect(report.markets.map((m) => [m.market, m.metrics.sessions, m.metrics.approval.numerator])).toEqual([
      ["", 2, 0],
      ["DE", 3, 0],
      ["GB", 6, 4],
    ]);
    expect(report.computeTime).toEqual(now);
  });

  it("filters metrics by workflow and market, buckets by hour, and keeps tenants apart", async () => {
    await seeded();
    const card = (await tally(query({ workflow: "card-payment" }))).total;
    expect(counts(card)).toEqual({ sessions: 1, decisions: [1, 0, 0, 0, 0, 0, 0], retried: 0, forcedRetries: 0, checks: { LIVENESS: [0, 0, 0, 0], FACE_MATCH: [0, 0, 0, 0], DOCUMENT: [1, 0, 0, 0] } });
    const de = (await tally(query({ market: "DE" }))).total;
    expect(counts(de)).toEqual({ sessions: 3, decisions: [0, 0, 1, 1, 0, 0, 1], retried: 2, forcedRetries: 2, checks: { LIVENESS: [0, 1, 0, 0], FACE_MATCH: [0, 0, 0, 0], DOCUMENT: [1, 1, 2, 1] } });
    const hours = await tally(query({ start: at("2026-03-02T09:05:00Z"), end: at("2026-03-02T11:30:00Z"), interval: "HOUR", workflow: "bank-signup" }));
    expect(hours.series.map((b) => [b.start.toISOString(), b.end.toISOString(), b.metrics.sessions])).toEqual([
      ["2026-03-02T09:05:00.000Z", "2026-03-02T10:00:00.000Z", 2],
      ["2026-03-02T10:00:00.000Z", "2026-03-02T11:00:00.000Z", 2],
      ["2026-03-02T11:00:00.000Z", "2026-03-02T11:30:00.000Z", 0],
    ]);
    expect(counts((await tally(query(), "globex")).total).decisions).toEqual([1, 0, 0, 0, 0, 0, 0]);
    const none = await tally(query(), "initech");
    expect(none.total).toEqual(figuresOf(emptyTally()));
    expect(none.series.map((b) => b.metrics.sessions)).toEqual([0, 0]);
    expect([none.configurationVersions, none.markets]).toEqual([[], []]);
  });

  it("counts an open session as abandoned only once its expire time has passed", async () => {
    await seeded();
    const before = await tally(query({ now: at("2026-03-03T09:39:59Z") }));
    expect(counts(before.total).decisions).toEqual([3, 2, 2, 1, 1, 1, 1]);
    const atExpiry = await tally(query({ now: at("2026-03-03T09:40:00Z") }));
    expect(counts(atExpiry.total).decisions).toEqual([2, 2, 2, 1, 1, 1, 2]);
  });
}
