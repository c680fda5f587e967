import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { SessionUseCases } from "../domain/sessions.js";
import type { SessionState } from "../domain/session.js";
import { SessionService, type ListSessionsRequest } from "../../gen/sessionflow/v1/session_service_pb.js";
import { principalOf } from "./context.js";
import { auditRecordToProto, sessionToProto, stateFromProto } from "./mapping.js";
import { clampPageSize, decodePageToken, encodePageToken } from "./page-token.js";
import { createValidator, isRegionCode, isWorkflowName, requireSessionId } from "./validation.js";

export function createSessionService(sessions: SessionUseCases): ServiceImpl<typeof SessionService> {
  return {
    async getSession(req, ctx) {
      const { tenantId } = principalOf(ctx);
      requireSessionId(req.sessionId);
      const view = await sessions.get(tenantId, req.sessionId.toLowerCase());
      return { session: sessionToProto(view.session, view.replacedBy) };
    },

    async listSessions(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const filter = listFilter(req);
      const limit = clampPageSize(req.pageSize, 50, 500);
      const beforeId = decodePageToken(req.pageToken, filter);
      // One extra row tells whether another page exists without a count query.
      const rows = await sessions.list(tenantId, { ...filter, limit: limit + 1, ...(beforeId ? { beforeId } : {}) });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        sessions: page.map((s) => sessionToProto(s)),
        nextPageToken: rows.length > limit && last ? encodePageToken(last.id, filter) : "",
      };
    },

    async getAuditTrail(req, ctx) {
      const { tenantId } = principalOf(ctx);
      requireSessionId(req.sessionId);
      const id = req.sessionId.toLowerCase();
      const trail = await sessions.auditTrail(tenantId, id);
      return { records: trail.records.map((r) => auditRecordToProto(id, r)), chainVerified: trail.verified };
    },
  };
}

function listFilter(req: ListSessionsRequest) {
  const v = createValidator();
  v.check(req.pageSize >= 0, "page_size", "must not be negative");
  v.check(req.workflow === "" || isWorkflowName(req.workflow), "workflow", "must be a workflow name");
  v.check(req.market === "" || isRegionCode(req.market), "market", "must be an ISO 3166-1 alpha-2 code");
  const states: SessionState[] = [];
  req.states.forEach((s, i) => {
    const state = stateFromProto.get(s);
    v.check(state !== undefined, `states[${i}]`, "must be a known session state");
    if (state) states.push(state);
  });
  v.throwIfInvalid();
  return {
    ...(req.workflow ? { workflow: req.workflow } : {}),
    ...(req.market ? { market: req.market } : {}),
    ...(states.length ? { states } : {}),
    ...(req.createTimeStart ? { createTimeStart: timestampDate(req.createTimeStart) } : {}),
    ...(req.createTimeEnd ? { createTimeEnd: timestampDate(req.createTimeEnd) } : {}),
  };
}
