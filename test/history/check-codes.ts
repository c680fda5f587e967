import { cite, type CheckInput, type Violation } from "./checks.js";

const forbidden = new Set(["Internal", "Unknown"]);
const injected = (message: string) => message.includes("InjectedFault");

/**
 * Check 5, no INTERNAL or UNKNOWN from any call or stream: the spec allows neither for any
 * input. The one exception is a call whose server logged only the checker's injected store
 * fault (a lost database answer) as its cause. Each is reported with what the server logged for that call (the checker sends its
 * operation id as x-request-id, which the server's logs carry). What servers log outside an
 * answered call (a stream whose client went away, a sweep) reaches no client: the report lists
 * it as a note, not a violation.
 */
export function checkCodes({ history, serverErrors, injectedFaults }: CheckInput): Violation[] {
  const out: Violation[] = [];
  /** A fault struck this instance while the call ran, and nothing else was logged for the call. */
  const struckUnlogged = (instance: number, fromMs: number, toMs: number, logged: readonly string[]) =>
    logged.length === 0 && injectedFaults.some((f) => f.instance === instance && f.atMs >= fromMs && f.atMs <= toMs);
  for (const op of history.ops) {
    const r = op.result;
    if (!r || r.ok || !forbidden.has(r.code)) continue;
    const logged = serverErrors.filter((e) => e.rid === `op-${op.id}`).map((e) => `instance ${e.instance}: ${e.message}`);
    // A store answer the checker dropped on purpose: INTERNAL is the honest answer to that. Some
    // are logged where the call's id is not known yet (authentication's key lookup, which runs
    // before the logging interceptor): then a fault on that instance during the call tells.
    if (logged.length > 0 && logged.every(injected)) continue;
    if (struckUnlogged(op.instance, op.invokeMs, op.completeMs ?? Date.now(), logged)) continue;
    out.push({ check: "codes", message: `${op.kind} answered ${r.code} (${r.reason || "no reason"}): ${r.message}`, details: { ...cite(op), serverLog: logged } });
  }
  for (const sub of history.subscriptions) {
    for (const [i, s] of sub.segments.entries()) {
      const logged = serverErrors.filter((e) => e.rid === `${sub.id}.${i}`);
      const excused = (logged.length > 0 && logged.every((e) => injected(e.message))) || struckUnlogged(s.instance, s.startMs ?? 0, s.end?.atMs ?? Date.now(), logged.map((e) => e.message));
      if (s.end?.how === "error" && forbidden.has(s.end.code ?? "") && !excused) {
        out.push({ check: "codes", message: `${sub.kind} stream ${sub.id}#${i} ended ${s.end.code}: ${s.end.message ?? ""}`, details: { instance: s.instance, protocol: s.protocol, filter: sub.filter, session: sub.sessionId } });
      }
    }
  }
  return out;
}
