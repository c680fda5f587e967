import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { SessionUseCases } from "../domain/sessions.js";
import type { DecisionValue, SessionState } from "../domain/session.js";
import { SessionService, type ListSessionsRequest } from "../../gen/sessionflow/v1/session_service_pb.js";
import type { LinkUseCases } from "../domain/links.js";
import type { Viewer } from "./client-view.js";
import { principalFor, principalOf, requestContext } from "./context.js";
import { auditRecordToProto, decisionFromProto, sessionToProto, stateFromProto } from "./mapping.js";
import { clampPageSize, decodePageToken, encodePageToken } from "./page-token.js";
import { chargeRead, pageSizes, sessionInView, sessionPage, viewOf } from "./session-view.js";
import { createValidator, isRegionCode, isWorkflowName, requireSessionId } from "./validation.js";

const procedure = (method: string) => `/${SessionService.typeName}/${method}`;
const referencePattern = /^[A-Za-z0-9._:\/-]{0,128}$/;

export function createSessionService(sessions: SessionUseCases, links: LinkUseCases, viewer: Viewer): ServiceImpl<typeof SessionService> {
  return {
    async getSession(req, ctx) {
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      const shown = viewOf(req.view, "FULL", v);
      v.throwIfInvalid();
      const { tenantId } = principalFor(ctx, req.sessionId);
      const view = await sessions.get(tenantId, req.sessionId.toLowerCase());
      chargeRead(view.session, shown);
      return { session: (await viewer(ctx)).session(sessionInView(view.session, shown, view.replacedBy)) };
    },

    async createSession(req, ctx) {
      const v = createValidator();
      v.check(isWorkflowName(req.workflow), "workflow", "is required: 1-64 lowercase letters, digits and hyphens");
      v.check(req.market === "" || isRegionCode(req.market), "market", "must be an ISO 3166-1 alpha-2 code such as GB");
      v.check(referencePattern.test(req.reference), "reference", "must be at most 128 letters, digits and ._:/-");
      v.uuid(req.requestId, "request_id");
      // The workflow's longest lifetime is the domain's to check; the shape and the minimum are checked here.
      const seconds = v.duration(req.lifetime, "lifetime", 60);
      v.throwIfInvalid();
      const rc = requestContext(ctx, procedure("CreateSession"), req.requestId);
      const created = await links.create(rc, {
        workflow: req.workflow,
        market: req.market,
        reference: req.reference,
        ...(seconds !== undefined ? { lifetimeSeconds: Math.floor(seconds) } : {}),
      });
      return { session: sessionToProto(created.session), url: created.url };
    },

    async issueLink(req, ctx) {
      requireSessionId(req.sessionId);
      const v = createValidator();
      v.uuid(req.requestId, "request_id");
      v.throwIfInvalid();
      const rc = requestContext(ctx, procedure("IssueLink"), req.requestId);
      return links.issueLink(rc, req.sessionId.toLowerCase());
    },

    async transferSession(req, ctx) {
      // Scope first: a client token sees other sessions as unknown, before any validation.
      const rc = requestContext(ctx, procedure("TransferSession"), req.requestId, req.sessionId);
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.uuid(req.requestId, "request_id");
      v.throwIfInvalid();
      const t = await links.transfer(rc, req.sessionId.toLowerCase());
      return { child: (await viewer(ctx)).session(sessionToProto(t.child)), url: t.url, qrCodeSvg: t.qrCodeSvg };
    },

    async listSessions(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const { view, ...filter } = listFilter(req);
      const limit = clampPageSize(req.pageSize, pageSizes[view].fallback, pageSizes[view].max);
      const beforeId = decodePageToken(req.pageToken, filter);
      // One extra row tells whether another page exists without a count query.
      // A BASIC page needs only summaries, which spares the store reading whole histories.
      const rows = await sessions.list(tenantId, { ...filter, limit: limit + 1, summary: view === "BASIC", ...(beforeId ? { beforeId } : {}) });
      const page = sessionPage(rows, view, limit);
      return { sessions: page.sessions, nextPageToken: page.more && page.lastId ? encodePageToken(page.lastId, filter) : "" };
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
  v.count(req.states, "states", stateFromProto.size);
  const states: SessionState[] = [];
  req.states.forEach((s, i) => {
    const state = stateFromProto.get(s);
    v.check(state !== undefined, `states[${i}]`, "must be a known session state");
    if (state) states.push(state);
  });
  v.count(req.decisions, "decisions", decisionFromProto.size);
  const decisions: DecisionValue[] = [];
  req.decisions.forEach((d, i) => {
    const decision = decisionFromProto.get(d);
    v.check(decision !== undefined, `decisions[${i}]`, "must be a known decision");
    if (decision) decisions.push(decision);
  });
  const startOk = v.timestamp(req.createTimeStart, "create_time_start");
  const endOk = v.timestamp(req.createTimeEnd, "create_time_end");
  if (req.createTimeStart && req.createTimeEnd && startOk && endOk) {
    v.check(timestampDate(req.createTimeStart) < timestampDate(req.createTimeEnd), "create_time_end", "must be after create_time_start");
  }
  const view = viewOf(req.view, "BASIC", v);
  v.throwIfInvalid();
  return {
    view,
    ...(req.workflow ? { workflow: req.workflow } : {}),
    ...(req.market ? { market: req.market } : {}),
    ...(states.length ? { states } : {}),
    ...(decisions.length ? { decisions } : {}),
    ...(req.createTimeStart ? { createTimeStart: timestampDate(req.createTimeStart) } : {}),
    ...(req.createTimeEnd ? { createTimeEnd: timestampDate(req.createTimeEnd) } : {}),
  };
}
