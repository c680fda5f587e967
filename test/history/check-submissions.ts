import type { AuditRecord } from "../../gen/sessionflow/v1/audit_pb.js";
import { answered, cite, mutatingKinds, okFields, type CheckInput, type Violation } from "./checks.js";
import type { Operation } from "./history.js";

/** Refusals after which the request may still have been applied (or may be retried). */
const inconclusive = new Set(["Canceled", "DeadlineExceeded", "Unavailable", "Aborted", "Internal", "Unknown"]);

/**
 * Check 2, no lost or duplicated submission, and every effect once: each request that answered
 * OK has its request id in exactly one audit record, in its own session (and a Submit exactly one
 * submission), however often it was sent; a request refused outright left nothing; every
 * submission comes from a request the workload sent (or a transfer child's sync); audit chains
 * verify; what a transferred session collected while its parent took input reached the parent
 * exactly once; the parent heard TRANSFERRED exactly once per child whose link was opened.
 */
export function checkSubmissions({ history, truths }: CheckInput): Violation[] {
  const out: Violation[] = [];
  const ops = answered(history.ops);
  for (const truth of truths.values()) {
    const mine = ops.filter((op) => op.tenant === truth.tenant);
    const records = new Map<string, { sessionId: string; record: AuditRecord }[]>();
    for (const [sessionId, trail] of truth.audits) {
      if (!trail.verified) out.push({ check: "submissions", message: `the audit chain of session ${sessionId} does not verify`, details: { tenant: truth.tenant } });
      for (const record of trail.records) records.set(record.requestId, [...(records.get(record.requestId) ?? []), { sessionId, record }]);
    }

    const byRequest = new Map<string, Operation[]>();
    for (const op of mine) if (op.requestId && mutatingKinds.has(op.kind)) byRequest.set(op.requestId, [...(byRequest.get(op.requestId) ?? []), op]);
    const sent = new Set(history.ops.filter((op) => op.tenant === truth.tenant && op.requestId).map((op) => op.requestId!));

    for (const [requestId, copies] of byRequest) {
      const ok = copies.find((op) => op.result?.ok && op.pattern !== "late") ?? copies.find((op) => op.result?.ok);
      const found = records.get(requestId) ?? [];
      if (!ok) {
        const refusedOutright = copies.every((op) => op.result && !op.result.ok && !inconclusive.has(op.result.code) && op.result.reason !== "IDEMPOTENCY_KEY_REUSED");
        const allCopies = history.ops.filter((op) => op.requestId === requestId);
        if (refusedOutright && allCopies.every((op) => op.result && !op.result.ok && !op.result.cut) && found.length > 0) {
          out.push({ check: "submissions", message: `request ${requestId} was refused, yet it left ${found.length} audit record(s)`, details: { sessions: found.map((f) => f.sessionId), ops: copies.map(cite) } });
        }
        continue;
      }
      const f = okFields(ok)!;
      const owner = ok.kind === "Submit" || ok.kind === "CreateSession" ? f.sessionId : ok.sessionId;
      const inOwner = found.filter((x) => x.sessionId === owner);
      const elsewhere = found.filter((x) => x.sessionId !== owner);
      if (inOwner.length !== 1 || elsewhere.length > 0) {
        out.push({
          check: "submissions",
          message: `request ${requestId} (${ok.kind}) answered OK; its session ${owner} holds ${inOwner.length} audit record(s) of it${elsewhere.length ? `, and ${elsewhere.length} other session(s) do too` : ""}`,
          details: { tenant: truth.tenant, elsewhere: elsewhere.map((x) => x.sessionId), ops: copies.map(cite) },
        });
      }
      if (ok.kind === "Submit" && owner) {
        const session = truth.sessions.get(owner);
        const n = session?.submissions.filter((s) => s.requestId === requestId).length ?? 0;
        if (n !== 1) {
          out.push({ check: "submissions", message: `Submit ${requestId} answered OK; session ${owner} holds ${n} submission(s) of it`, details: { tenant: truth.tenant, ops: copies.map(cite) } });
        }
      }
    }

    // Every stored submission comes from somewhere.
    for (const session of truth.sessions.values()) {
      for (const submission of session.submissions) {
        if (sent.has(submission.requestId)) continue;
        const record = truth.audits.get(session.id)?.records.find((r) => r.requestId === submission.requestId);
        if (record?.principal.startsWith("transfer:")) continue;
        out.push({
          check: "submissions",
          message: `session ${session.id} holds submission ${submission.index} with request id ${submission.requestId}, which no request sent`,
          details: { tenant: truth.tenant, principal: record?.principal, procedure: record?.procedure },
        });
      }
    }

    // Sync-back: the parent got each child submission and check exactly once.
    const synced = new Map<string, Operation>();
    for (const op of mine) {
      if (!op.result?.ok || op.pattern === "late" || typeof op.request["syncTo"] !== "string" || !op.requestId) continue;
      // A child that had expired was replaced by a session of its own, which syncs nowhere.
      if (op.kind === "Submit" && okFields(op)?.disposition === "REPLACED_EXPIRED") continue;
      if (!synced.has(op.requestId)) synced.set(op.requestId, op);
    }
    for (const op of synced.values()) {
      const parentId = op.request["syncTo"] as string;
      const parentExpiresAt = op.request["parentExpiresAt"] as number;
      // The sync runs inside the request: a parent that expired before the answer may rightly have missed it.
      if (op.completeMs! >= parentExpiresAt) continue;
      const parent = truth.sessions.get(parentId);
      const n =
        op.kind === "Submit"
          ? (parent?.submissions.filter((s) => s.step === op.request["step"]).length ?? 0)
          : (parent?.checks.filter((c) => c.vendor === op.request["vendor"]).length ?? 0);
      if (n !== 1) {
        out.push({
          check: "submissions",
          message: `transferred session ${op.sessionId}'s ${op.kind === "Submit" ? `submission (step ${String(op.request["step"])})` : `check (vendor ${String(op.request["vendor"])})`} answered OK while its parent ${parentId} took input, but the parent holds it ${n} times`,
          details: { tenant: truth.tenant, op: cite(op), copies: mine.filter((x) => x.requestId === op.requestId).map(cite) },
        });
      }
    }

    // TRANSFERRED: once per child whose link was opened while the parent was open.
    for (const transfer of mine) {
      const childId = transfer.kind === "TransferSession" ? okFields(transfer)?.childId : undefined;
      if (!childId || transfer.pattern === "late") continue;
      const announced = truth.feed.filter((e) => e.sessionId === transfer.sessionId && e.type === "TRANSFERRED" && e.related === childId).length;
      const parentExpiresAt = transfer.expect?.expiresAt ?? 0;
      const opened = mine.some((op) => op.kind === "ExchangeLinkToken" && op.sessionId === childId && op.result?.ok && op.completeMs! < parentExpiresAt);
      if (announced > 1 || (opened && announced === 0)) {
        out.push({
          check: "submissions",
          message: `parent ${transfer.sessionId} has ${announced} TRANSFERRED event(s) for child ${childId}${opened ? ", whose link was opened while the parent was open" : ""}`,
          details: { tenant: truth.tenant, transfer: cite(transfer) },
        });
      }
    }
  }
  return out;
}
