import { checkNames } from "./checks.js";
import type { HistoryReport } from "./harness.js";

/** How a run reads on a terminal: the operations it ran, then every violation with its details. */
export function formatReport(report: HistoryReport, maxPerCheck = Number.POSITIVE_INFINITY): string {
  const o = report.options;
  const lines: string[] = [];
  const rerun = `npm run check:history -- --seed ${o.seed} --seconds ${o.seconds} --instances ${o.instances} --store ${o.store} --actors ${o.actors} --latency-ms ${o.latencyMs} --fault-rate ${o.faultRate} --heartbeat-ms ${o.heartbeatMs}`;
  lines.push(`history check, seed ${o.seed} (rerun: ${rerun})`);
  lines.push(
    `${report.workloadOps} operations in ${report.workloadSeconds.toFixed(1)} s (${(report.workloadOps / report.workloadSeconds).toFixed(0)} ops/s), ` +
      `${report.sessions} sessions; ${report.subscriptions} subscriptions over ${report.streams} streams received ${report.deliveries} messages; ` +
      `${report.finalOps} final reads; ${report.totalSeconds.toFixed(1)} s in all`,
  );
  lines.push("operations by kind:");
  for (const [kind, n] of Object.entries(report.opsByKind).sort((a, b) => b[1] - a[1])) lines.push(`  ${kind.padEnd(22)} ${n}`);
  if (Object.keys(report.refusals).length) {
    lines.push("answers other than OK (expected or not; the checks judge them):");
    for (const [reason, n] of Object.entries(report.refusals).sort((a, b) => b[1] - a[1])) lines.push(`  ${reason.padEnd(28)} ${n}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push("checks:");
  for (const name of checkNames) {
    const mine = report.violations.filter((v) => v.check === name);
    lines.push(`  ${name.padEnd(14)} ${mine.length === 0 ? "ok" : `${mine.length} violation(s)`}`);
  }
  for (const name of checkNames) {
    const mine = report.violations.filter((v) => v.check === name);
    if (mine.length === 0) continue;
    lines.push("", `== ${name}: ${mine.length} violation(s) (seed ${o.seed}) ==`);
    for (const v of mine.slice(0, maxPerCheck)) {
      lines.push(`- ${v.message}`);
      if (v.details) lines.push(`  ${JSON.stringify(v.details)}`);
    }
    if (mine.length > maxPerCheck) lines.push(`… and ${mine.length - maxPerCheck} more`);
  }
  lines.push("", report.violations.length === 0 ? "no violations" : `${report.violations.length} violation(s); seed ${o.seed}`);
  return lines.join("\n");
}
