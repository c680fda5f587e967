import { periodOf, type UsagePeriod, type UsageRow } from "../../domain/billing.js";

const dayMs = 86_400_000;

/**
 * Counts billable sessions per UTC day or month and workflow as a scan hands them over, making
 * no Date and no string per session (the periods are whole days, so a day number keys them);
 * the rows come out as countUsage in domain/billing.ts orders them.
 */
export function createUsageCounter(period: UsagePeriod) {
  const counts = new Map<string, Map<number, number>>(); // workflow -> period start -> count
  const monthOfDay = new Map<number, number>(); // day number -> start of its month
  const periodStart = (ms: number) => {
    const day = Math.floor(ms / dayMs);
    if (period === "DAY") return day * dayMs;
    let start = monthOfDay.get(day);
    if (start === undefined) monthOfDay.set(day, (start = periodOf(new Date(day * dayMs), "MONTH").start.getTime()));
    return start;
  };
  return {
    add(createTime: Date, workflow: string) {
      let byPeriod = counts.get(workflow);
      if (!byPeriod) counts.set(workflow, (byPeriod = new Map()));
      const start = periodStart(createTime.getTime());
      byPeriod.set(start, (byPeriod.get(start) ?? 0) + 1);
    },
    rows(): UsageRow[] {
      const rows: UsageRow[] = [];
      for (const [workflow, byPeriod] of counts) {
        for (const [start, billableEvents] of byPeriod) {
          const { start: periodStart, end: periodEnd } = periodOf(new Date(start), period);
          rows.push({ periodStart, periodEnd, workflow, billableEvents });
        }
      }
      return rows.sort((a, b) => a.periodStart.getTime() - b.periodStart.getTime() || a.workflow.localeCompare(b.workflow));
    },
  };
}
