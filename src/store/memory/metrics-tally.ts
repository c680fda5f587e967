import { throwIfCallStopped } from "../../domain/call-scope.js";
import { countedInMetrics } from "../../domain/metrics.js";
import { createTallies, type MetricsQuery, type MetricsTallies } from "../../domain/metrics-report.js";
import type { Session } from "../../domain/session.js";
import { nextTurn, scanSlice } from "./scan.js";

/**
 * The metrics of one tenant's sessions, counted by the domain's own definitions. The scan lets
 * other calls run every scanSlice sessions and stops there once the call is no longer wanted (a
 * passed deadline), so a large tenant's metrics never hold the event loop for long. It walks the
 * tenant's map itself, whose iterator survives the writes made while it waits its turn. Memory
 * is bounded by the buckets, versions and markets counted.
 */
export async function tallyMetrics(sessions: Iterable<Session>, q: MetricsQuery): Promise<MetricsTallies> {
  const counts = createTallies(q.interval);
  const start = q.start.getTime();
  const end = q.end.getTime();
  let visited = 0;
  for (const s of sessions) {
    if (++visited % scanSlice === 0) {
      await nextTurn();
      throwIfCallStopped();
    }
    const created = s.createTime.getTime();
    if (!countedInMetrics(s) || created < start || created >= end) continue;
    if ((q.workflow !== undefined && s.workflow !== q.workflow) || (q.market !== undefined && s.market !== q.market)) continue;
    counts.add(s, q.now);
  }
  return counts.tallies;
}
