import type { ServiceImpl } from "@connectrpc/connect";
import type { DecisionUseCases } from "../domain/decisions.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { requestContext } from "./context.js";
import type { Viewer } from "./client-view.js";
import { checkTypeFromProto, sessionToProto } from "./mapping.js";
import { createValidator } from "./validation.js";

const reportProcedure = `/${CheckService.typeName}/${CheckService.method.reportCheckResult.name}`;

export function createCheckService(decisions: DecisionUseCases, viewer: Viewer): ServiceImpl<typeof CheckService> {
  return {
    async reportCheckResult(req, ctx) {
      // Scope first: a client token sees other sessions as unknown, before any validation.
      const rc = requestContext(ctx, reportProcedure, req.requestId, req.sessionId);
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      const type = checkTypeFromProto.get(req.type);
      v.check(type !== undefined, "type", "must be LIVENESS, FACE_MATCH or DOCUMENT");
      v.check(Number.isFinite(req.score) && req.score >= 0 && req.score <= 1, "score", "must be from 0 to 1");
      v.check(/^[A-Za-z0-9._-]{0,64}$/.test(req.vendor), "vendor", "must be at most 64 letters, digits and ._-");
      v.throwIfInvalid();
      const result = await decisions.reportCheck(
        rc,
        req.sessionId.toLowerCase(),
        type!,
        req.score,
        req.vendor || "sdk",
      );
      const view = (await viewer(ctx)).session(sessionToProto(result.session));
      return { check: view.checks.find((c) => c.id === result.check.id)!, session: view };
    },
  };
}
