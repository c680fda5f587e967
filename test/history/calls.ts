import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Acknowledgement, FailureReason } from "../../gen/sessionflow/v1/lifecycle_pb.js";
import { CheckOutcome, CheckType, Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { Disposition, SessionState } from "../../gen/sessionflow/v1/session_pb.js";
import type { Expectation } from "./history.js";
import { sessionFields, type CallSpec, type Services } from "./rpc.js";

/**
 * One builder per RPC the workload sends: what the history records of the request and of the
 * answer. Builders only describe calls; how often and where they go is the sender's business.
 */

/** Who a call is made as: the tenant's API key, or a front end's client token. */
export interface As {
  tenant: string;
  auth: string;
  clientToken?: boolean;
}

type Req<K extends keyof Services, M extends keyof Services[K]> = Services[K][M] extends (req: infer R, ...rest: never[]) => unknown ? R : never;
type SubmitInit = Req<"submissions", "submit">;

const who = (as: As) => ({ tenant: as.tenant, auth: as.auth, ...(as.clientToken ? { clientToken: true } : {}) });
const withExpect = (expect?: Expectation) => (expect ? { expect } : {});

export function submitCall(as: As, req: SubmitInit & { requestId: string; workflow: string }, expect?: Expectation, extra: Record<string, unknown> = {}) {
  const spec: CallSpec<Awaited<ReturnType<Services["submissions"]["submit"]>>> = {
    kind: "Submit",
    ...who(as),
    ...(req.sessionId ? { sessionId: req.sessionId } : {}),
    requestId: req.requestId,
    request: {
      ...(req.sessionId ? { sessionId: req.sessionId } : {}),
      workflow: req.workflow,
      ...(req.step ? { step: req.step } : {}),
      ...(req.complete ? { complete: true } : {}),
      ...(req.identity?.email ? { email: req.identity.email } : {}),
      ...(req.device?.automationFlags?.length ? { flags: req.device.automationFlags.join(",") } : {}),
      ...extra,
    },
    ...withExpect(expect),
    invoke: (s, o) => s.submissions.submit(req, o),
    fields: (r) => ({ ...sessionFields(r.session), disposition: Disposition[r.disposition], replayed: r.replayed }),
  };
  return spec;
}

export function createSessionCall(as: As, req: { workflow: string; reference: string; requestId: string }, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["sessions"]["createSession"]>>> = {
    kind: "CreateSession",
    ...who(as),
    requestId: req.requestId,
    request: { ...req },
    ...withExpect(expect),
    invoke: (s, o) => s.sessions.createSession(req, o),
    fields: (r) => ({ ...sessionFields(r.session), url: r.url }),
  };
  return spec;
}

export function exchangeCall(tenant: string, sessionId: string, linkToken: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["clientAuth"]["exchangeLinkToken"]>>> = {
    kind: "ExchangeLinkToken",
    tenant,
    sessionId,
    request: { link: `${linkToken.slice(0, 8)}…` },
    ...withExpect(expect),
    invoke: (s, o) => s.clientAuth.exchangeLinkToken({ linkToken }, o),
    fields: (r) => ({
      sessionId: r.sessionId,
      state: SessionState[r.state],
      ...(r.clientTokenExpireTime ? { clientTokenExpireMs: timestampMs(r.clientTokenExpireTime) } : {}),
    }),
  };
  return spec;
}

export function issueLinkCall(as: As, sessionId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["sessions"]["issueLink"]>>> = {
    kind: "IssueLink",
    ...who(as),
    sessionId,
    request: { sessionId },
    ...withExpect(expect),
    invoke: (s, o) => s.sessions.issueLink({ sessionId }, o),
    fields: (r) => ({ url: r.url }),
  };
  return spec;
}

export function transferCall(as: As, sessionId: string, requestId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["sessions"]["transferSession"]>>> = {
    kind: "TransferSession",
    ...who(as),
    sessionId,
    requestId,
    request: { sessionId },
    ...withExpect(expect),
    invoke: (s, o) => s.sessions.transferSession({ sessionId, requestId }, o),
    fields: (r) => ({
      childId: r.child?.id ?? "",
      url: r.url,
      ...(r.child?.expireTime ? { expireMs: timestampMs(r.child.expireTime) } : {}),
    }),
  };
  return spec;
}

export function acknowledgeCall(as: As, sessionId: string, screenId: string, answer: "PROCEED" | "CANCEL", requestId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["acknowledgements"]["acknowledge"]>>> = {
    kind: "Acknowledge",
    ...who(as),
    sessionId,
    requestId,
    request: { sessionId, screenId, answer },
    ...withExpect(expect),
    invoke: (s, o) => s.acknowledgements.acknowledge({ sessionId, screenId, acknowledgement: Acknowledgement[answer], requestId }, o),
    fields: (r) => ({ ...sessionFields(r.session), replayed: r.replayed }),
  };
  return spec;
}

export function listScreensCall(as: As, sessionId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["acknowledgements"]["listWarningScreens"]>>> = {
    kind: "ListWarningScreens",
    ...who(as),
    sessionId,
    request: { sessionId },
    ...withExpect(expect),
    invoke: (s, o) => s.acknowledgements.listWarningScreens({ sessionId }, o),
    fields: (r) => ({ state: SessionState[r.state], screens: r.warningScreens.map((w) => w.id).join(",") }),
  };
  return spec;
}

export function checkCall(
  as: As,
  req: { sessionId: string; type: "LIVENESS" | "FACE_MATCH" | "DOCUMENT"; score: number; vendor: string; requestId: string },
  expect?: Expectation,
  extra: Record<string, unknown> = {},
) {
  const spec: CallSpec<Awaited<ReturnType<Services["checks"]["reportCheckResult"]>>> = {
    kind: "ReportCheckResult",
    ...who(as),
    sessionId: req.sessionId,
    requestId: req.requestId,
    request: { ...req, ...extra },
    ...withExpect(expect),
    invoke: (s, o) => s.checks.reportCheckResult({ ...req, type: CheckType[req.type] }, o),
    fields: (r) => ({
      ...sessionFields(r.session),
      ...(r.check ? { checkId: r.check.id, checkOutcome: CheckOutcome[r.check.outcome], checkScore: r.check.score } : {}),
    }),
  };
  return spec;
}

export function authenticateCall(as: As, sessionId: string, accountId: string, requestId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["decisions"]["authenticateSession"]>>> = {
    kind: "AuthenticateSession",
    ...who(as),
    sessionId,
    requestId,
    request: { sessionId, accountId },
    ...withExpect(expect),
    invoke: (s, o) => s.decisions.authenticateSession({ sessionId, accountId, requestId, options: { includeSessionDetail: true } }, o),
    fields: (r) => ({
      ...sessionFields(r.decision?.session),
      sessionId: r.decision?.sessionId ?? "",
      accountId: r.decision?.accountId ?? "",
      decision: Decision[r.decision?.decision ?? Decision.UNSPECIFIED],
    }),
  };
  return spec;
}

export function reviewCall(as: As, sessionId: string, verdict: "APPROVE" | "DECLINE", reviewer: string, requestId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["decisions"]["reviewSession"]>>> = {
    kind: "ReviewSession",
    ...who(as),
    sessionId,
    requestId,
    request: { sessionId, verdict, reviewer },
    ...withExpect(expect),
    invoke: (s, o) => s.decisions.reviewSession({ sessionId, decision: Decision[verdict], reviewer, reason: "history checker", requestId }, o),
    fields: (r) => sessionFields(r.session),
  };
  return spec;
}

export function failureCall(as: As, sessionId: string, requestId: string, expect?: Expectation, code = "USER_LEFT") {
  const spec: CallSpec<Awaited<ReturnType<Services["outcomes"]["reportFailure"]>>> = {
    kind: "ReportFailure",
    ...who(as),
    sessionId,
    requestId,
    request: { sessionId, reason: "ABANDONED", code },
    ...withExpect(expect),
    invoke: (s, o) => s.outcomes.reportFailure({ sessionId, reason: FailureReason.ABANDONED, failureCode: code, requestId }, o),
    fields: (r) => ({ ...sessionFields(r.session), replayed: r.replayed }),
  };
  return spec;
}

export function getSessionCall(as: As, sessionId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["sessions"]["getSession"]>>> = {
    kind: "GetSession",
    ...who(as),
    sessionId,
    request: { sessionId },
    ...withExpect(expect),
    invoke: (s, o) => s.sessions.getSession({ sessionId }, o),
    fields: (r) => sessionFields(r.session),
  };
  return spec;
}

export function getOutcomeCall(as: As, sessionId: string, expect?: Expectation) {
  const spec: CallSpec<Awaited<ReturnType<Services["outcomes"]["getOutcome"]>>> = {
    kind: "GetOutcome",
    ...who(as),
    sessionId,
    request: { sessionId },
    ...withExpect(expect),
    invoke: (s, o) => s.outcomes.getOutcome({ sessionId }, o),
    fields: (r) => ({ state: SessionState[r.state] }),
  };
  return spec;
}
