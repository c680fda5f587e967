import type { Clock } from "./clock.js";
import { evaluateCheck, decide, review } from "./decision.js";
import { DomainError } from "./errors.js";
import { elementsOf, lookupKeys } from "./identity-graph.js";
import { emit } from "./lifecycle.js";
import type { RiskAssessment } from "./risk.js";
import { lastDevice } from "./risk-context.js";
import { requireRoomFor } from "./limits.js";
import type { CheckResult, CheckType, DecisionRecord, Session } from "./session.js";
import type { MutationResult, RequestContext, SessionUseCases } from "./sessions.js";
import { parentRequest, syncToParent } from "./transfer-sync.js";
import { configViolations, initialConfig, listEntryViolations, type TenantConfig, type TenantLists, type ThresholdOverride } from "./thresholds.js";
import { invalid } from "./errors.js";
import type { Store } from "./store.js";

export interface DecisionView {
  session: Session;
  risk: RiskAssessment;
  decision: DecisionRecord;
  accountId?: string;
  requestId: string;
}

export interface DecisionUseCases {
  authenticate(ctx: RequestContext, sessionId: string, accountId: string): Promise<DecisionView>;
  /** Writes nothing: the session is judged as a brand-new account's first login. */
  unauthenticated(tenantId: string, sessionId: string, requestId: string): Promise<DecisionView>;
  /** The result carries the check this request recorded (on a replay too, not the session's latest). */
  reportCheck(ctx: RequestContext, sessionId: string, type: CheckType, score: number, vendor: string): Promise<MutationResult & { check: CheckResult }>;
  review(ctx: RequestContext, sessionId: string, verdict: "APPROVE" | "DECLINE", reviewer: string, reason: string): Promise<MutationResult>;
  config(tenantId: string): Promise<TenantConfig>;
  updateConfig(
    ctx: Pick<RequestContext, "tenantId" | "principal">,
    expectedVersion: number,
    reason: string,
    change: { values: ThresholdOverride; marketOverrides: Record<string, ThresholdOverride>; lists: TenantLists; clientScores?: boolean },
  ): Promise<TenantConfig>;
  revisions(tenantId: string, beforeVersion: number | undefined, limit: number): Promise<TenantConfig[]>;
}

export function createDecisionUseCases({ sessions, store, clock }: { sessions: SessionUseCases; store: Store; clock: Clock }): DecisionUseCases {
  /** An authenticated session's place in the identity graph; approval makes it corroborating. */
  async function link(session: Session) {
    if (!session.accountId) return;
    const elements = elementsOf(session.identity, lastDevice(session), session.market);
    await store.identity.upsert({
      tenantId: session.tenantId,
      sessionId: session.id,
      accountId: session.accountId,
      keys: lookupKeys(elements),
      ...(elements.name ? { name: elements.name } : {}),
      ...(elements.address ? { address: elements.address } : {}),
      approved: session.decision.decision === "APPROVE",
      time: session.createTime,
    });
  }

  return {
    async authenticate(ctx, sessionId, accountId) {
      const result = await sessions.mutate(ctx, sessionId, { accountId }, async (s, now) => {
        if (s.accountId && s.accountId !== accountId) {
          throw new DomainError("ACCOUNT_MISMATCH", "the session is already authenticated as another account");
        }
        const config = await sessions.risk.configFor(s.tenantId);
        const risk = await sessions.risk.assess(s, accountId, config);
        const authenticated = s.accountId ? { ...s, risk } : emit({ ...s, accountId, risk }, "AUTHENTICATED", now);
        return authenticated;
      });
      await link(result.session);
      return { session: result.session, risk: result.session.risk!, decision: result.session.decision, accountId, requestId: result.requestId };
    },

    async unauthenticated(tenantId, sessionId, requestId) {
      const { session } = await sessions.get(tenantId, sessionId);
      const config = await sessions.risk.configFor(tenantId);
      const risk = await sessions.risk.assess(session, undefined, config);
      const decision = decide(session, risk, config.version, clock.now());
      return { session, risk, decision, requestId };
    },

    async reportCheck(ctx, sessionId, type, score, vendor) {
      const check = (c: RequestContext, id: string) =>
        sessions.mutate(
          c,
          id,
          { type, score, vendor },
          async (s, now) => {
            requireRoomFor(s, "checks");
            const config = await sessions.risk.configFor(s.tenantId);
            return evaluateCheck(s, type, score, vendor, sessions.risk.thresholdsFor(config, s.market), now);
          },
          (next) => ({ checkId: next.checks.at(-1)!.id }),
        );
      const result = await check(ctx, sessionId);
      const parentId = result.session.parentSessionId;
      // A transferred session's checks count on its parent, retry cap included; on replays too (see transfer-sync).
      if (parentId) await syncToParent(() => check(parentRequest(ctx, result.session), parentId));
      const recorded = result.session.checks.find((c) => c.id === result.returned["checkId"]);
      if (!recorded) throw new Error("reportCheck: the request's check is missing from its session");
      return { ...result, check: recorded };
    },

    async review(ctx, sessionId, verdict, reviewer, reason) {
      const result = await sessions.mutate(ctx, sessionId, { verdict, reviewer, reason }, (s, now) => review(s, verdict, reviewer, reason, now));
      await link(result.session);
      return result;
    },

    async config(tenantId) {
      return (await store.configurations.current(tenantId)) ?? initialConfig(tenantId);
    },

    async updateConfig(ctx, expectedVersion, reason, change) {
      // Entries that could never match (an email with no valid domain, a phone with no digits) are refused, not stored.
      const violations = [...configViolations(change), ...listEntryViolations(change.lists)];
      if (!reason.trim()) violations.push({ field: "reason", description: "is required: say why the configuration changes" });
      if (violations.length) throw invalid(violations);
      const current = (await store.configurations.current(ctx.tenantId)) ?? initialConfig(ctx.tenantId);
      const stale = () =>
        new DomainError("STALE_CONFIGURATION", `the configuration is at version ${current.version}; read it again and retry`, [], {
          current_version: String(current.version),
        });
      if (current.version !== expectedVersion) throw stale();
      const next: TenantConfig = {
        tenantId: ctx.tenantId,
        version: current.version + 1,
        ...change,
        reason: reason.trim(),
        principal: ctx.principal,
        createTime: clock.now(),
      };
      // The version is unique per tenant, so of two racing updates exactly one lands.
      if (!(await store.configurations.append(next))) throw stale();
      sessions.risk.invalidate(ctx.tenantId);
      return next;
    },

    revisions: (tenantId, beforeVersion, limit) => store.configurations.list(tenantId, beforeVersion, limit),
  };
}
