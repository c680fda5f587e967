import { throwIfCallStopped } from "../../domain/call-scope.js";
import { countedInMetrics, tallyOf } from "../../domain/metrics.js";
import { createTallies, type MetricsQuery, type MetricsTallies } from "../../domain/metrics-report.js";
import type { Session } from "../../domain/session.js";
import { scanSlice, scanUp } from "./scan.js";

/**
 * The metrics of one tenant's sessions, counted by the domain's own definitions as a scan of
 * its ids hands them over. The scan lets other calls run every scanSlice sessions and stops
 * there once the call is no longer wanted (a passed deadline), so a large tenant's metrics
 * never hold the event loop. Memory is bounded by the buckets, versions and markets counted.
 */
export async function tallyMetrics(ids: () => readonly string[], get: (id: string) => Session | undefined, q: MetricsQuery): Promise<MetricsTallies> {
  const counts = createTallies(q.interval);
  let visited = 0;
  await scanUp(ids, undefined, (id) => {
    if (++visited % scanSlice === 0) throwIfCallStopped();
    const s = get(id);
    if (!s || !countedInMetrics(s) || s.createTime < q.start || s.createTime >= q.end) return true;
    if ((q.workflow !== undefined && s.workflow !== q.workflow) || (q.market !== undefined && s.market !== q.market)) return true;
    counts.add(tallyOf(s, q.now), s.createTime, s.decision.configurationVersion, s.market);
    return true;
  });
  return counts.tallies;
}
