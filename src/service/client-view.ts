import type { Session } from "../../gen/sessionflow/v1/session_pb.js";
import type { LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
import type { Analysis } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import type { CheckResult } from "../../gen/sessionflow/v1/risk_pb.js";
import type { TenantConfig } from "../domain/thresholds.js";
import { principalOf, type WithValues } from "./context.js";

/** How a caller sees sessions and events: in full, or in the reduced view front ends get. */
export interface View {
  session(s: Session): Session;
  event(e: LifecycleEvent): LifecycleEvent;
}

const full: View = { session: (s) => s, event: (e) => e };

/**
 * Front ends (client tokens) see their own session without risk scores, the decision, check
 * scores or the account, unless the tenant's configuration turns `client_scores` on. The parts
 * it hides are copied, never changed in place: mapping shares converted parts between responses
 * (see frozen-memo.ts).
 */
const reduced: View = {
  session: (s) => ({
    ...s,
    risk: undefined,
    decision: undefined,
    accountId: "",
    checks: s.checks.map(withoutScores),
    analyses: s.analyses.map(withoutRisk),
  }),
  event: (e) => ({
    ...e,
    decision: undefined,
    ...(e.check ? { check: withoutScores(e.check) } : {}),
    ...(e.analysis ? { analysis: withoutRisk(e.analysis) } : {}),
  }),
};

const withoutScores = (c: CheckResult): CheckResult => ({ ...c, score: 0, threshold: 0 });
const withoutRisk = (a: Analysis): Analysis => ({ ...a, risk: 0, reasonCodes: [] });

export type Viewer = (ctx: WithValues) => Promise<View>;

export function createViewer(configFor: (tenantId: string) => Promise<TenantConfig>): Viewer {
  return async (ctx) => {
    const principal = principalOf(ctx);
    if (principal.sessionId === undefined) return full;
    return (await configFor(principal.tenantId)).clientScores ? full : reduced;
  };
}
