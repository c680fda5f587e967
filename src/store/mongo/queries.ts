import type { Document } from "mongodb";
import type { BillableEventQuery, SessionQuery, UsageQuery } from "../../domain/store.js";

/**
 * Every filter, sort and pipeline the MongoDB store sends, as pure functions of their inputs,
 * so tests can run them with an in-memory implementation of the query language (mingo).
 * Each one starts from the tenant id; user input only ever appears as a value, never as a
 * key or operator, and string inputs are compared with $eq so "$gt"-shaped values stay literal.
 */

export const sessionById = (tenantId: string, id: string) => ({ tenantId: { $eq: tenantId }, _id: { $eq: id } });

export const sessionAtVersion = (tenantId: string, id: string, version: number) => ({
  ...sessionById(tenantId, id),
  version: { $eq: version },
});

export const sessionByRequestId = (tenantId: string, requestId: string) => ({
  tenantId: { $eq: tenantId },
  "audit.requestId": { $eq: requestId },
});

export const replacementOf = (tenantId: string, replacedId: string) => ({
  tenantId: { $eq: tenantId },
  replaces: { $eq: replacedId },
});

export function sessionList(tenantId: string, q: SessionQuery) {
  const filter: Document = { tenantId: { $eq: tenantId } };
  if (q.beforeId !== undefined) filter["_id"] = { $lt: q.beforeId };
  if (q.workflow !== undefined) filter["workflow"] = { $eq: q.workflow };
  if (q.market !== undefined) filter["market"] = { $eq: q.market };
  if (q.states?.length) filter["state"] = { $in: [...q.states] };
  if (q.decisions?.length) filter["decision.decision"] = { $in: [...q.decisions] };
  if (q.createTimeStart || q.createTimeEnd) {
    filter["createTime"] = {
      ...(q.createTimeStart ? { $gte: q.createTimeStart } : {}),
      ...(q.createTimeEnd ? { $lt: q.createTimeEnd } : {}),
    };
  }
  return { filter, sort: { _id: -1 as const }, limit: q.limit, ...(q.summary ? { projection: summaryProjection } : {}) };
}

/** A summary leaves out the lists that grow with every call, and keeps the latest event for its sequence. */
const summaryProjection = {
  submissions: 0,
  analyses: 0,
  warningScreens: 0,
  checks: 0,
  completedSteps: 0,
  audit: 0,
  "risk.reasons": 0,
  events: { $slice: -1 },
} as const;

function billableMatch(tenantId: string, q: { start: Date; end: Date; workflow?: string }): Document {
  return {
    tenantId: { $eq: tenantId },
    billable: { $eq: true },
    createTime: { $gte: q.start, $lt: q.end },
    ...(q.workflow !== undefined ? { workflow: { $eq: q.workflow } } : {}),
  };
}

export function billableEvents(tenantId: string, q: BillableEventQuery) {
  const filter = billableMatch(tenantId, q);
  if (q.afterId !== undefined) filter["_id"] = { $gt: q.afterId };
  return {
    filter,
    sort: { _id: 1 as const },
    limit: q.limit,
    projection: { _id: 1, workflow: 1, market: 1, createTime: 1 },
  };
}

/** Billable events per UTC day or month and workflow; MongoDB's $dateTrunc works in UTC by default. */
export function usagePipeline(tenantId: string, q: UsageQuery): Document[] {
  return [
    { $match: billableMatch(tenantId, q) },
    {
      $group: {
        _id: { period: { $dateTrunc: { date: "$createTime", unit: q.period === "MONTH" ? "month" : "day" } }, workflow: "$workflow" },
        count: { $sum: 1 },
      },
    },
    { $sort: { "_id.period": 1, "_id.workflow": 1 } },
  ];
}

/** Not-closed sessions past their expire time, any tenant: the sweep's query. */
export const expiredOpen = (now: Date) => ({ open: { $eq: true }, expireTime: { $lte: now } });

export const feedAfter = (tenantId: string, afterCursor: string | undefined, upTo: string | undefined) => {
  const range = { ...(afterCursor !== undefined ? { $gt: afterCursor } : {}), ...(upTo !== undefined ? { $lte: upTo } : {}) };
  return { tenantId: { $eq: tenantId }, ...(Object.keys(range).length ? { _id: range } : {}) };
};

export const apiKeyByHash = (hash: string) => ({ _id: { $eq: hash } });

export const linksByKeys = (tenantId: string, keys: readonly string[]) => ({
  tenantId: { $eq: tenantId },
  keys: { $in: [...keys] },
});

export const configRevisions = (tenantId: string, beforeVersion?: number) => ({
  tenantId: { $eq: tenantId },
  ...(beforeVersion !== undefined ? { version: { $lt: beforeVersion } } : {}),
});

export const sessionByLinkHash = (hash: string) => ({ linkTokenHash: { $eq: hash } });
