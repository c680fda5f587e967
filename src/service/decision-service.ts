import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import type { DecisionUseCases, DecisionView } from "../domain/decisions.js";
import { Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { DecisionService, SessionDecisionSchema, type DecisionOptions } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { principalOf, requestContext } from "./context.js";
import { decisionToProto, riskToProto, sessionToProto } from "./mapping.js";
import { createValidator, requireSessionId } from "./validation.js";

const procedure = (method: string) => `/${DecisionService.typeName}/${method}`;
const accountPattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const reviewerPattern = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Both decisions answer in one shape (seeds/verisoul-unauthenticated.txt); options add detail. */
function toResponse(tenantId: string, view: DecisionView, options: DecisionOptions | undefined) {
  const risk = riskToProto(view.risk);
  // The flat fields repeat the assessment's headline scores, as the seed's response shape has them.
  const { label, accountScore, bot, multipleAccounts, riskSignals, syntheticIdentity, accountsLinked, lists, configurationVersion } = risk;
  return create(SessionDecisionSchema, {
    projectId: tenantId,
    sessionId: view.session.id,
    requestId: view.requestId,
    accountId: view.accountId ?? "",
    decision: decisionToProto(view.decision).decision,
    label,
    accountScore,
    bot,
    multipleAccounts,
    riskSignals,
    syntheticIdentity,
    accountsLinked,
    lists,
    configurationVersion,
    risk,
    ...(options?.includeSessionDetail ? { session: sessionToProto(view.session) } : {}),
    linkedAccounts: options?.includeLinkedAccounts ? view.risk.linkedAccounts : [],
  });
}

export function createDecisionService(decisions: DecisionUseCases): ServiceImpl<typeof DecisionService> {
  return {
    async authenticateSession(req, ctx) {
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      v.check(accountPattern.test(req.accountId), "account_id", "is required: 1-128 letters, digits and ._:@-");
      v.throwIfInvalid();
      const rc = requestContext(ctx, procedure("AuthenticateSession"), req.requestId);
      const view = await decisions.authenticate(rc, req.sessionId.toLowerCase(), req.accountId);
      return { decision: toResponse(rc.tenantId, view, req.options) };
    },

    async getUnauthenticatedDecision(req, ctx) {
      const { tenantId } = principalOf(ctx);
      requireSessionId(req.sessionId);
      const view = await decisions.unauthenticated(tenantId, req.sessionId.toLowerCase(), randomUUID());
      return { decision: toResponse(tenantId, view, req.options) };
    },

    async reviewSession(req, ctx) {
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      v.check(req.decision === Decision.APPROVE || req.decision === Decision.DECLINE, "decision", "must be APPROVE or DECLINE");
      v.check(reviewerPattern.test(req.reviewer), "reviewer", "is required: 1-128 letters, digits and ._:@-");
      v.check(req.reason.trim().length > 0, "reason", "is required");
      v.text(req.reason, "reason", 500);
      v.throwIfInvalid();
      const verdict = req.decision === Decision.APPROVE ? "APPROVE" : "DECLINE";
      const result = await decisions.review(
        requestContext(ctx, procedure("ReviewSession"), req.requestId),
        req.sessionId.toLowerCase(),
        verdict,
        req.reviewer,
        req.reason.trim(),
      );
      return { session: sessionToProto(result.session) };
    },
  };
}
