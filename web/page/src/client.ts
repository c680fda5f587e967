import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AcknowledgementService } from "../../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { ClientAuthService } from "../../../gen/sessionflow/v1/client_auth_service_pb.js";
import { EventService } from "../../../gen/sessionflow/v1/event_service_pb.js";
import { SessionService } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../../gen/sessionflow/v1/submission_service_pb.js";
import { apiBaseUrl } from "../../shared/api-base.js";

/**
 * What the page may call, as a front end: the link token (its own address) is exchanged for a
 * client token scoped to one session, held in memory only. The page never sees a tenant API key.
 */
export const linkToken = decodeURIComponent(location.pathname.split("/s/")[1] ?? "");

/** The session the link opened, once exchanged. */
export const link = { sessionId: "", workflow: "" };

let clientToken = "";

/**
 * The client token lives for minutes: when the service says it lapsed, the page exchanges its
 * link again and repeats the call once. (It does not trust its own clock to know when.) A lapsed
 * stream is retried by the follower, which reconnects with the renewed token.
 */
const bearer: Interceptor = (next) => async (req) => {
  req.header.set("authorization", `Bearer ${clientToken}`);
  try {
    return await next(req);
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Unauthenticated) throw e;
    await exchange();
    if (req.stream) throw new ConnectError("the client token was renewed", Code.Unavailable);
    req.header.set("authorization", `Bearer ${clientToken}`);
    return next(req);
  }
};
const transport = createConnectTransport({ baseUrl: apiBaseUrl, interceptors: [bearer] });
const auth = createClient(ClientAuthService, createConnectTransport({ baseUrl: apiBaseUrl }));

export const submissions = createClient(SubmissionService, transport);
export const sessions = createClient(SessionService, transport);
export const acks = createClient(AcknowledgementService, transport);
export const events = createClient(EventService, transport);

/** Exchanges the link for a (new) client token; the same link may be exchanged again while it is current. */
export async function exchange() {
  const opened = await auth.exchangeLinkToken({ linkToken });
  clientToken = opened.clientToken;
  link.sessionId = opened.sessionId;
  link.workflow = opened.workflow;
  return opened;
}

/** One WatchSession stream; a lapsed client token is renewed and the follower reconnects. */
export async function* watch(afterSequence: bigint, signal: AbortSignal) {
  try {
    yield* events.watchSession({ sessionId: link.sessionId, afterSequence }, { signal });
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Unauthenticated) throw e;
    await exchange();
    throw new ConnectError("the client token was renewed", Code.Unavailable);
  }
}

