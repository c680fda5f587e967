import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionUseCases } from "../domain/sessions.js";
import { FailureReason } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import type { Viewer } from "./client-view.js";
import { principalFor, requestContext } from "./context.js";
import { failureReasonFromProto, outcomeToProto, screenToProto, sessionToProto, stateToProto } from "./mapping.js";
import { createValidator, requireSessionId } from "./validation.js";

const reportProcedure = `/${OutcomeService.typeName}/${OutcomeService.method.reportFailure.name}`;

export function createOutcomeService(sessions: SessionUseCases, viewer: Viewer): ServiceImpl<typeof OutcomeService> {
  return {
    async getOutcome(req, ctx) {
      const { tenantId } = principalFor(ctx, req.sessionId);
      requireSessionId(req.sessionId);
      const { session } = await sessions.get(tenantId, req.sessionId.toLowerCase());
      return {
        state: stateToProto[session.state],
        ...(session.outcome ? { outcome: outcomeToProto(session.outcome) } : {}),
        warningScreens: session.warningScreens.map(screenToProto),
      };
    },

    async reportFailure(req, ctx) {
      // Scope first: a client token sees other sessions as unknown, before any validation.
      const rc = requestContext(ctx, reportProcedure, req.requestId, req.sessionId);
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      // SERVICE_ERROR is Sessionflow's own verdict; front ends report what they saw.
      v.check(req.reason !== FailureReason.SERVICE_ERROR && failureReasonFromProto.has(req.reason), "reason", "must be SDK_ERROR, INVALID_INPUT or ABANDONED");
      v.check(/^[A-Za-z0-9_.:-]{0,64}$/.test(req.failureCode), "failure_code", "must be at most 64 letters, digits and _.:-");
      v.throwIfInvalid();
      const result = await sessions.reportFailure(
        rc,
        req.sessionId.toLowerCase(),
        failureReasonFromProto.get(req.reason)!,
        req.failureCode,
      );
      return { session: (await viewer(ctx)).session(sessionToProto(result.session)), requestId: result.requestId, replayed: result.replayed };
    },
  };
}
