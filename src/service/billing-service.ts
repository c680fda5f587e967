import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Store } from "../domain/store.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { UsagePeriod } from "../../gen/sessionflow/v1/billing_pb.js";
import { principalOf } from "./context.js";
import { clampPageSize, decodePageToken, encodePageToken } from "./page-token.js";
import { createValidator, isWorkflowName, type Validator } from "./validation.js";

/** Billing reads only: billable events are written with their sessions, never here. */
export function createBillingService(store: Store): ServiceImpl<typeof BillingService> {
  return {
    async listBillableEvents(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const range = timeRange(createValidator(), req.startTime, req.endTime, req.workflow, req.pageSize);
      const limit = clampPageSize(req.pageSize, 100, 1000);
      const query = { start: range.start.toISOString(), end: range.end.toISOString(), workflow: range.workflow };
      const afterId = decodePageToken(req.pageToken, query);
      const rows = await store.sessions.listBillableEvents(tenantId, {
        ...range,
        limit: limit + 1,
        ...(afterId ? { afterId } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page.map((e) => ({ ...e, createTime: timestampFromDate(e.createTime) })),
        nextPageToken: rows.length > limit && last ? encodePageToken(last.id, query) : "",
      };
    },

    async getUsage(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const v = createValidator();
      v.check(req.period in periods, "period", "must be DAY or MONTH");
      const range = timeRange(v, req.startTime, req.endTime, req.workflow, 0);
      const period = periods[req.period]!;
      const rows = await store.sessions.countUsage(tenantId, { ...range, period });
      return {
        rows: rows.map((r) => ({
          periodStartTime: timestampFromDate(r.periodStart),
          periodEndTime: timestampFromDate(r.periodEnd),
          workflow: r.workflow,
          billableEvents: BigInt(r.billableEvents),
        })),
        totalBillableEvents: BigInt(rows.reduce((sum, r) => sum + r.billableEvents, 0)),
      };
    },
  };
}

/** UNSPECIFIED means days, as the proto says; any other number is unknown and refused. */
const periods: Partial<Record<UsagePeriod, "DAY" | "MONTH">> = {
  [UsagePeriod.UNSPECIFIED]: "DAY",
  [UsagePeriod.DAY]: "DAY",
  [UsagePeriod.MONTH]: "MONTH",
};

/** Adds the range checks to `v`, throws if anything in `v` failed, and returns the range. */
function timeRange(v: Validator, start: Timestamp | undefined, end: Timestamp | undefined, workflow: string, pageSize: number) {
  v.check(start !== undefined, "start_time", "is required");
  v.check(end !== undefined, "end_time", "is required");
  v.check(pageSize >= 0, "page_size", "must not be negative");
  v.check(workflow === "" || isWorkflowName(workflow), "workflow", "must be a workflow name");
  const startOk = v.timestamp(start, "start_time");
  const endOk = v.timestamp(end, "end_time");
  if (start && end && startOk && endOk) v.check(timestampDate(start) < timestampDate(end), "end_time", "must be after start_time");
  v.throwIfInvalid();
  return { start: timestampDate(start!), end: timestampDate(end!), ...(workflow ? { workflow } : {}) };
}
