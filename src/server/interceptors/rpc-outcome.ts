import { ConnectError, type ContextValues } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { principalKey } from "../../service/context.js";
import type { Caller } from "../telemetry/metrics.js";

/** A call's status code: 0 (OK) without an error. */
export function codeOf(error?: unknown): number {
  return error === undefined ? 0 : ConnectError.from(error).code;
}

/** A code as the Connect protocol spells it: "ok", "invalid_argument", "resource_exhausted", … */
export function codeName(code: number): string {
  return code === 0 ? "ok" : codeToString(code);
}

/**
 * How a response stream ended when its handler returned: a handler may end it quietly once the
 * call's signal aborts, because the caller went away or the deadline passed, and that is no success.
 */
export function streamEndCode(signal: AbortSignal): number {
  return signal.aborted ? ConnectError.from(signal.reason).code : 0;
}

/** Who made the call, once authentication has run (it sets the principal in the call's values). */
export function callerOf(values: ContextValues): Caller {
  const principal = values.get(principalKey);
  if (!principal) return "anonymous";
  return principal.sessionId === undefined ? "tenant" : "client";
}
