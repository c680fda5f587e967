import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Principal } from "../domain/api-key.js";
import { reasonError } from "./connect-errors.js";

/** Set by the auth interceptor; handlers read the caller's tenant from here and nowhere else. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/** What these helpers need of a handler's context. */
export type WithValues = Pick<HandlerContext, "values">;

/** Set by the logging interceptor: the per-request child logger, made on first use. */
export const loggerKey = createContextKey<(() => Logger) | undefined>(undefined, { description: "logger" });

/**
 * Set by a transport that makes a call's AbortSignal only when something reads it (the native
 * gRPC port, where most unary calls never need one): whether the call has been aborted, asked
 * without making the signal. Without it, read the request's signal.
 */
export const callAbortedKey = createContextKey<{ aborted(): boolean } | undefined>(undefined, { description: "call aborted" });

/** Whether `signal` was aborted because the call's deadline passed (Connect aborts it with DEADLINE_EXCEEDED). */
export function deadlinePassed(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded;
}

export function principalOf(ctx: WithValues): Principal {
  const principal = ctx.values.get(principalKey);
  // The auth interceptor runs before every handler that needs this; reaching here without one is a wiring bug.
  if (!principal) throw reasonError("UNAUTHENTICATED", "missing credentials");
  return principal;
}

/** Who is making a mutating call and with which request id; the caller's id, or a fresh one. */
export function requestContext(
  ctx: WithValues,
  procedure: string,
  requestId: string,
  sessionId?: string,
) {
  const principal = sessionId === undefined ? principalOf(ctx) : principalFor(ctx, sessionId);
  const clientRequestId = requestId !== "";
  return {
    tenantId: principal.tenantId,
    principal: principal.name,
    procedure,
    requestId: clientRequestId ? requestId.toLowerCase() : randomUUID(),
    clientRequestId,
  };
}

/**
 * The caller, for an RPC about one session. A front end's client token names the one session
 * it may touch; any other id is answered as unknown, exactly like another tenant's.
 */
export function principalFor(ctx: WithValues, sessionId: string): Principal {
  const principal = principalOf(ctx);
  if (principal.sessionId !== undefined && principal.sessionId !== sessionId.toLowerCase()) {
    throw reasonError("SESSION_NOT_FOUND", "no such session");
  }
  return principal;
}
