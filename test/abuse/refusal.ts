import { ConnectError, createClient } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";

/** What a refused call said: its code, catalog reason, metadata and RetryInfo delay. */
export interface Refusal {
  code: number;
  reason: string | undefined;
  metadata: Record<string, string>;
  retryMs: number | undefined;
}

/** The refusal a call ended with, or undefined when it succeeded. */
export async function refusalOf(call: Promise<unknown>): Promise<Refusal | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    const error = ConnectError.from(e);
    const info = error.findDetails(ErrorInfoSchema)[0];
    const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
    return {
      code: error.code,
      reason: info?.reason,
      metadata: { ...info?.metadata },
      retryMs: delay ? Number(delay.seconds) * 1000 + delay.nanos / 1e6 : undefined,
    };
  }
}

/** A new session of the key's tenant and a front end's client token for it. */
export async function openAsFrontEnd(baseUrl: string, key: string): Promise<{ sessionId: string; token: string }> {
  const created = await createClient(SessionService, transportFor("grpc-h2", baseUrl, key)).createSession({ workflow: "kyc" });
  const linkToken = created.url.split("/s/")[1]!;
  const exchanged = await createClient(ClientAuthService, transportFor("connect-json-h1", baseUrl)).exchangeLinkToken({ linkToken });
  return { sessionId: exchanged.sessionId, token: exchanged.clientToken };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
