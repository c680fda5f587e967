import { answered, cite, okFields, type CheckInput, type Violation } from "./checks.js";
import type { Operation } from "./history.js";

/**
 * The refusals that are expected although the model said the action was valid, and why:
 * - SESSION_CLOSED and LINK_EXPIRED once the session's expire time has passed (the call may have
 *   been handled after it); also what an expiry implies for the call (ReviewSession's
 *   NOT_UNDER_REVIEW once the expired session is abandoned);
 * - UNAUTHENTICATED once the client token's expire time has passed;
 * - CONCURRENT_MODIFICATION (ABORTED, "safe to retry"): the sender retries it; counted, not a violation;
 * - the call the client cut off on purpose, which has no answer at all.
 * INTERNAL and UNKNOWN are left to the codes check. Everything else is a violation. So is an
 * OK answer to a probe the model says must be refused, a disposition, check outcome or read
 * state the model rules out, a session version going back between an actor's calls, and a
 * final read that fails or disagrees with another read of the same, unchanging state.
 */
const afterExpiry = new Set(["SESSION_CLOSED", "LINK_EXPIRED"]);
const leftToCodes = new Set(["Internal", "Unknown"]);

export function checkRefusals({ history, truths }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const truth of truths.values()) {
    for (const p of truth.problems.filter((x) => x.check === "refusals")) out.push({ check: "refusals", message: `final read of tenant ${truth.tenant}: ${p.message}` });
  }
  const violation = (op: Operation, message: string) => out.push({ check: "refusals", message: `${op.kind}: ${message}`, details: cite(op) });
  for (const op of answered(history.ops)) {
    const r = op.result!;
    const x = op.expect;
    if (!x) {
      if (!r.ok && !leftToCodes.has(r.code)) violation(op, `a final read was refused: ${r.code} ${r.reason}`);
      continue;
    }
    const late = x.expiresAt !== undefined && op.completeMs! >= x.expiresAt;
    if (!r.ok) {
      if (leftToCodes.has(r.code) || r.reason === "CONCURRENT_MODIFICATION") continue;
      if (x.outcome === r.reason) continue;
      if (late && (afterExpiry.has(r.reason) || x.afterExpiry?.includes(r.reason))) continue;
      if (op.clientToken && x.tokenExpiresAt !== undefined && op.completeMs! >= x.tokenExpiresAt && r.code === "Unauthenticated") continue;
      violation(op, `refused with ${r.code}/${r.reason || "-"} (${r.message}); the model expected ${x.outcome === "ok" ? "success" : x.outcome}`);
      continue;
    }
    if (x.outcome !== "ok") {
      if (!late) violation(op, `answered OK; the model expected the refusal ${x.outcome}`);
      continue;
    }
    const f = r.fields;
    if (x.dispositions && f.disposition && !x.dispositions.includes(f.disposition)) {
      if (!(late && f.disposition === "REPLACED_EXPIRED")) violation(op, `disposition ${f.disposition}; the model expected ${x.dispositions.join(" or ")}`);
    }
    // A replay answers with the first call's disposition, which may well predate the expiry.
    const firstSent = f.replayed ? firstInvoke(history.ops, op) : op.invokeMs;
    if (x.dispositions?.includes("CONTINUED") && f.disposition === "CONTINUED" && x.expiresAt !== undefined && firstSent >= x.expiresAt) {
      violation(op, `continued a session that had expired before the call was sent (expire ${x.expiresAt}, sent ${op.invokeMs})`);
    }
    if (x.checkOutcome && f.checkOutcome !== x.checkOutcome) {
      violation(op, `check outcome ${f.checkOutcome}; the thresholds and the forced retries so far give ${x.checkOutcome}`);
    }
    if (x.state && f.state !== x.state && !(late && f.state === "FAILED")) {
      violation(op, `read state ${f.state}; the actor's model says ${x.state}`);
    }
  }
  out.push(...versionsGoingBack(history.ops));
  return out;
}

/** Monotonic reads: an actor's later call never shows an older version of a session than an earlier one did. */
function versionsGoingBack(ops: readonly Operation[]): Violation[] {
  const out: Violation[] = [];
  const seen = new Map<string, { version: number; op: Operation }[]>(); // actor|session -> answers
  for (const op of answered(ops)) {
    const f = okFields(op);
    if (!f?.sessionId || f.version === undefined || op.actor === "final") continue;
    const key = `${op.actor}|${f.sessionId}`;
    const earlier = seen.get(key) ?? [];
    const newer = earlier.find((e) => e.op.completeMs! < op.invokeMs && e.version > f.version!);
    if (newer) {
      out.push({
        check: "refusals",
        message: `${op.kind} showed session ${f.sessionId} at version ${f.version} after ${newer.op.kind} had shown version ${newer.version}`,
        details: { earlier: cite(newer.op), later: cite(op) },
      });
    }
    seen.set(key, [...earlier, { version: f.version, op }]);
  }
  return out;
}

/** When the first call carrying this operation's request id was sent. */
function firstInvoke(ops: readonly Operation[], op: Operation): number {
  let first = op.invokeMs;
  for (const other of ops) if (other.requestId === op.requestId && other.invokeMs < first) first = other.invokeMs;
  return first;
}
