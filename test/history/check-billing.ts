import { SessionOrigin } from "../../gen/sessionflow/v1/session_pb.js";
import { answered, cite, okFields, type CheckInput, type Violation } from "./checks.js";

const creating = new Set(["CREATED", "REPLACED_EXPIRED", "REPLACED_UNKNOWN"]);

/**
 * Check 1, exactly one billable event per session: every session an answer reported as created
 * (Submit's CREATED / REPLACED_*, CreateSession) is billed exactly once; every billed session was
 * created by a request the workload sent (one whose answer was lost may have made a session the
 * client never heard of, billed once; a session made by the service on its own is a violation);
 * transfer children never are; an expired session is replaced at most once, and two Submits
 * racing on one expired id end on the same replacement, exactly one of them making it.
 */
export function checkBilling({ history, truths }: CheckInput): Violation[] {
  const out: Violation[] = [];
  const ops = answered(history.ops);
  for (const truth of truths.values()) {
    const mine = ops.filter((op) => op.tenant === truth.tenant);
    const created = new Map<string, number>(); // session -> an op that reported it created
    const children = new Map<string, number>();
    for (const op of mine) {
      const f = okFields(op);
      if (!f) continue;
      if (op.kind === "Submit" && f.sessionId && f.disposition && creating.has(f.disposition)) created.set(f.sessionId, op.id);
      if (op.kind === "CreateSession" && f.sessionId) created.set(f.sessionId, op.id);
      if (op.kind === "TransferSession" && f.childId) children.set(f.childId, op.id);
    }
    const billed = new Map<string, number>();
    for (const id of truth.billed) billed.set(id, (billed.get(id) ?? 0) + 1);

    for (const [id, opId] of created) {
      const n = billed.get(id) ?? 0;
      if (n !== 1) out.push({ check: "billing", message: `session ${id} was reported created but is billed ${n} times`, details: { tenant: truth.tenant, op: cite(history.ops[opId - 1]!) } });
    }
    const sent = new Set(history.ops.filter((op) => op.tenant === truth.tenant && op.requestId).map((op) => op.requestId!));
    for (const [id, n] of billed) {
      const s = truth.sessions.get(id);
      const first = truth.audits.get(id)?.records[0];
      if (n !== 1 && !created.has(id)) out.push({ check: "billing", message: `session ${id} is billed ${n} times`, details: { tenant: truth.tenant } });
      if (created.has(id) || (first && sent.has(first.requestId))) continue;
      out.push({
        check: "billing",
        message: `session ${id} is billed ${n} time(s) but no request the workload sent created it${children.has(id) ? " (it is a transfer child)" : ""}`,
        details: {
          tenant: truth.tenant,
          origin: s ? SessionOrigin[s.origin] : "unknown",
          replaces: s?.replaces,
          parent: s?.parentSessionId,
          createdBy: first ? { procedure: first.procedure, principal: first.principal, requestId: first.requestId } : undefined,
        },
      });
    }
    for (const s of truth.sessions.values()) {
      if (s.origin === SessionOrigin.TRANSFER && billed.has(s.id)) out.push({ check: "billing", message: `transfer child ${s.id} is billed`, details: { tenant: truth.tenant, parent: s.parentSessionId } });
    }

    const replacements = new Map<string, string[]>();
    for (const s of truth.sessions.values()) if (s.replaces) replacements.set(s.replaces, [...(replacements.get(s.replaces) ?? []), s.id]);
    for (const [expired, ids] of replacements) {
      if (ids.length > 1) out.push({ check: "billing", message: `expired session ${expired} was replaced ${ids.length} times`, details: { tenant: truth.tenant, replacements: ids } });
    }

    const races = new Map<number, typeof mine>();
    for (const op of mine) if (op.pattern === "race" && op.group !== undefined) races.set(op.group, [...(races.get(op.group) ?? []), op]);
    for (const pair of races.values()) {
      const oks = pair.filter((op) => op.result?.ok);
      if (oks.length < 2) continue;
      const sessions = new Set(oks.map((op) => okFields(op)!.sessionId));
      const made = oks.filter((op) => okFields(op)!.disposition === "REPLACED_EXPIRED").length;
      // Under load the first replacement can itself expire before the slower call reaches it;
      // that call then replaces the replacement (a chain, each link replaced once), which is right.
      const chained =
        sessions.size === 2 &&
        made === 2 &&
        [...sessions].some((id) => {
          const later = id ? truth.sessions.get(id) : undefined;
          const earlier = later?.replaces ? truth.sessions.get(later.replaces) : undefined;
          if (!later?.createTime || !earlier?.expireTime || !sessions.has(earlier.id)) return false;
          return timestampMs(later.createTime) >= timestampMs(earlier.expireTime);
        });
      if (!chained && (sessions.size !== 1 || made !== 1)) {
        out.push({
          check: "billing",
          message: `two Submits racing on expired session ${pair[0]!.sessionId} ended on ${sessions.size} session(s) with ${made} replacement(s); expected one replacement, continued by the other`,
          details: { tenant: truth.tenant, ops: pair.map(cite) },
        });
      }
    }
  }
  return out;
}

const timestampMs = (t: { seconds: bigint; nanos: number }) => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
