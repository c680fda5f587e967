import { answered, cite, mutatingKinds, type CheckInput, type Violation } from "./checks.js";
import type { Fields, Operation } from "./history.js";

/** What every answer to one request id must agree on, whenever it was sent again. */
const identity: Partial<Record<string, (keyof Fields)[]>> = {
  Submit: ["sessionId", "disposition"],
  CreateSession: ["sessionId"],
  TransferSession: ["childId"],
  Acknowledge: ["sessionId"],
  ReportCheckResult: ["sessionId", "checkId", "checkOutcome", "checkScore"],
  AuthenticateSession: ["sessionId", "accountId"],
  ReviewSession: ["sessionId", "decision", "reviewer"],
  ReportFailure: ["sessionId"],
};
/** What copies sent together (at once, or right after the first answered) must also agree on. */
const together: Partial<Record<string, (keyof Fields)[]>> = {
  Submit: ["state"],
  CreateSession: ["url", "state"],
  TransferSession: ["url"],
  Acknowledge: ["state"],
  ReportCheckResult: ["state"],
  ReportFailure: ["state"],
};
const withReplayedFlag = new Set(["Submit", "Acknowledge", "ReportFailure"]);

/**
 * Check 6, a retry answers like the first call: all OK answers to one request id (sent twice at
 * once to two instances, again after the first answered, again after a cut-off attempt, or much
 * later) name the same session, disposition, check, child or account; copies sent together also
 * show the same state (unless the session expired in between); at most one answer is the
 * original (replayed=false). That the effect happened once is check 2's business.
 */
export function checkReplays({ history }: CheckInput): Violation[] {
  const out: Violation[] = [];
  const groups = new Map<string, Operation[]>();
  for (const op of answered(history.ops)) {
    if (!op.result?.ok || !op.requestId || !mutatingKinds.has(op.kind) || op.actor === "final") continue;
    const key = `${op.tenant}|${op.kind}|${op.requestId}`;
    groups.set(key, [...(groups.get(key) ?? []), op]);
  }
  for (const copies of groups.values()) {
    if (copies.length < 2) continue;
    const first = copies[0]!;
    const f0 = (first.result as { fields: Fields }).fields;
    for (const op of copies.slice(1)) {
      const f = (op.result as { fields: Fields }).fields;
      const differs = (identity[op.kind] ?? []).filter((k) => f[k] !== f0[k]);
      const sameGroup = op.group === first.group && op.pattern !== "late";
      const late = op.expect?.expiresAt !== undefined && op.completeMs! >= op.expect.expiresAt;
      if (sameGroup && !late) differs.push(...(together[op.kind] ?? []).filter((k) => f[k] !== f0[k]));
      if (differs.length > 0) {
        out.push({
          check: "replays",
          message: `${op.kind} request ${op.requestId} sent again (${op.pattern}) answered ${differs.map((k) => `${k}=${String(f[k])}`).join(", ")}; the first answer had ${differs.map((k) => `${k}=${String(f0[k])}`).join(", ")}`,
          details: { first: cite(first), again: cite(op) },
        });
      }
    }
    if (withReplayedFlag.has(first.kind)) {
      const originals = copies.filter((op) => (op.result as { fields: Fields }).fields.replayed === false);
      if (originals.length > 1) {
        out.push({ check: "replays", message: `${first.kind} request ${first.requestId} was answered as an original (replayed=false) ${originals.length} times`, details: { ops: originals.map(cite) } });
      }
    }
  }
  return out;
}
