import type { Session } from "./session.js";

/** A session's billable event; it is part of the session aggregate, so it exists exactly once. */
export interface BillableEvent {
  id: string;
  sessionId: string;
  workflow: string;
  market: string;
  createTime: Date;
}

export type UsagePeriod = "DAY" | "MONTH";

export interface UsageRow {
  periodStart: Date;
  periodEnd: Date;
  workflow: string;
  billableEvents: number;
}

export function billableEventOf(session: Pick<Session, "id" | "workflow" | "market" | "createTime">): BillableEvent {
  return {
    id: session.id,
    sessionId: session.id,
    workflow: session.workflow,
    market: session.market,
    createTime: session.createTime,
  };
}

/** The UTC period containing `time`: [start, end). */
export function periodOf(time: Date, period: UsagePeriod): { start: Date; end: Date } {
  const y = time.getUTCFullYear();
  const m = time.getUTCMonth();
  if (period === "MONTH") return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  const d = time.getUTCDate();
  return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
}

/** Counts events per period and workflow; used by stores that cannot aggregate natively. */
export function countUsage(events: Iterable<BillableEvent>, period: UsagePeriod): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const event of events) {
    const { start, end } = periodOf(event.createTime, period);
    const key = `${start.toISOString()}|${event.workflow}`;
    const row = rows.get(key);
    if (row) row.billableEvents++;
    else rows.set(key, { periodStart: start, periodEnd: end, workflow: event.workflow, billableEvents: 1 });
  }
  return [...rows.values()].sort(
    (a, b) => a.periodStart.getTime() - b.periodStart.getTime() || a.workflow.localeCompare(b.workflow),
  );
}
