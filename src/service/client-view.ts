import type { Session } from "../../gen/sessionflow/v1/session_pb.js";
import type { LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
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
 * scores or the account, unless the tenant's configuration turns `client_scores` on.
 */
const reduced: View = {
  session(s) {
    s.risk = undefined;
    s.decision = undefined;
    s.accountId = "";
    for (const c of s.checks) {
      c.score = 0;
      c.threshold = 0;
    }
    for (const a of s.analyses) {
      a.risk = 0;
      a.reasonCodes = [];
    }
    return s;
  },
  event(e) {
    e.decision = undefined;
    if (e.check) {
      e.check.score = 0;
      e.check.threshold = 0;
    }
    if (e.analysis) {
      e.analysis.risk = 0;
      e.analysis.reasonCodes = [];
    }
    return e;
  },
};

export type Viewer = (ctx: WithValues) => Promise<View>;

export function createViewer(configFor: (tenantId: string) => Promise<TenantConfig>): Viewer {
  return async (ctx) => {
    const principal = principalOf(ctx);
    if (principal.sessionId === undefined) return full;
    return (await configFor(principal.tenantId)).clientScores ? full : reduced;
  };
}
