import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionUseCases } from "../domain/sessions.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import type { Viewer } from "./client-view.js";
import { principalFor, requestContext } from "./context.js";
import { acknowledgementFromProto, screenToProto, sessionToProto, stateToProto } from "./mapping.js";
import { createValidator, requireSessionId } from "./validation.js";

const acknowledgeProcedure = `/${AcknowledgementService.typeName}/${AcknowledgementService.method.acknowledge.name}`;

export function createAcknowledgementService(sessions: SessionUseCases, viewer: Viewer): ServiceImpl<typeof AcknowledgementService> {
  return {
    async acknowledge(req, ctx) {
      // Scope first: a client token sees other sessions as unknown, before any validation.
      const rc = requestContext(ctx, acknowledgeProcedure, req.requestId, req.sessionId);
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      v.check(/^[A-Za-z0-9_-]{1,64}$/.test(req.screenId), "screen_id", "is required: the id of a warning screen");
      const answer = acknowledgementFromProto.get(req.acknowledgement);
      v.check(answer !== undefined, "acknowledgement", "must be PROCEED or CANCEL");
      v.throwIfInvalid();
      const result = await sessions.acknowledge(
        rc,
        req.sessionId.toLowerCase(),
        req.screenId,
        answer!,
      );
      return { session: (await viewer(ctx)).session(sessionToProto(result.session)), requestId: result.requestId, replayed: result.replayed };
    },

    async listWarningScreens(req, ctx) {
      const { tenantId } = principalFor(ctx, req.sessionId);
      requireSessionId(req.sessionId);
      const { session } = await sessions.get(tenantId, req.sessionId.toLowerCase());
      return { warningScreens: session.warningScreens.map(screenToProto), state: stateToProto[session.state] };
    },
  };
}
