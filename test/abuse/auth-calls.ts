import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";

export interface Caller {
  /** The bearer credential; none when unset. */
  credential?: string;
  /** Sent as X-Forwarded-For. */
  forwardedFor?: string;
}

/** What a call came back with: its code, reason, and RetryInfo's delay in ms if any. */
export interface Outcome {
  code: string;
  reason?: string;
  retryMs?: number;
}

const headers = ({ credential, forwardedFor }: Caller): Interceptor => (next) => (req) => {
  if (credential !== undefined) req.header.set("authorization", `Bearer ${credential}`);
  if (forwardedFor !== undefined) req.header.set("x-forwarded-for", forwardedFor);
  return next(req);
};

/** GetSession of an unknown session as `caller`: OK is never the answer, NOT_FOUND means authenticated. */
export async function getSessionAs(url: string, caller: Caller, sessionId = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", protocol: "grpc" | "connect" = "connect"): Promise<Outcome> {
  const transport = protocol === "grpc"
    ? createGrpcTransport({ baseUrl: url, interceptors: [headers(caller)] })
    : createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [headers(caller)] });
  try {
    await createClient(SessionService, transport).getSession({ sessionId });
    return { code: "OK" };
  } catch (e) {
    return outcomeOf(e);
  }
}

/** A session of tenant "acme" opened through its link: its id and a client token for it. */
export async function openSession(url: string, key: string): Promise<{ sessionId: string; clientToken: string }> {
  const created = await createClient(SessionService, createGrpcTransport({ baseUrl: url, interceptors: [headers({ credential: key })] })).createSession({ workflow: "kyc", reference: "r" });
  const auth = createClient(ClientAuthService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  const { clientToken } = await auth.exchangeLinkToken({ linkToken: created.url.split("/s/")[1]! });
  return { sessionId: created.session!.id, clientToken };
}

/** An API key in the right shape that no server issued. */
export const unknownKey = (i: number) => `sf_k_${i.toString(16).padStart(12, "0")}_${"x".repeat(43)}`;

/** ExchangeLinkToken of `linkToken` from `caller`'s address: OK when it was exchanged. */
export async function exchangeAs(url: string, linkToken: string, caller: Caller = {}): Promise<Outcome> {
  const auth = createClient(ClientAuthService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [headers(caller)] }));
  try {
    await auth.exchangeLinkToken({ linkToken });
    return { code: "OK" };
  } catch (e) {
    return outcomeOf(e);
  }
}

function outcomeOf(e: unknown): Outcome {
  const error = ConnectError.from(e);
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return {
    code: Code[error.code],
    ...(error.findDetails(ErrorInfoSchema)[0] ? { reason: error.findDetails(ErrorInfoSchema)[0]!.reason } : {}),
    ...(delay ? { retryMs: Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6) } : {}),
  };
}
