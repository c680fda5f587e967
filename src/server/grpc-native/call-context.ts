import { Code, ConnectError, createContextValues, type ContextValues } from "@connectrpc/connect";
import type { Deadline, Metadata } from "@grpc/grpc-js";

/** What the adapter uses of every kind of grpc-js server call. */
export interface ServerSurfaceCall {
  readonly cancelled: boolean;
  readonly metadata: Metadata;
  getPeer(): string;
  getDeadline(): Deadline;
  getHost(): string;
  once(event: "cancelled" | "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}
import { peerAddressKey } from "../request-source.js";
import { headersOf } from "./status.js";

/** What one native call shares with the connect interceptors and the handler. */
export interface CallContext {
  header: Headers;
  values: ContextValues;
  signal: AbortSignal;
  /** Milliseconds left until the deadline; undefined without one. */
  timeoutMs(): number | undefined;
  responseHeader: Headers;
  responseTrailer: Headers;
  /** The status is about to be sent: a later 'cancelled' from grpc-js is only the stream closing. */
  finish(): void;
}

/**
 * One AbortController per call, aborted only when the caller cancels, its deadline passes or (for
 * streams) the server shuts down, always with a ConnectError reason. connect-node links three
 * signals per call and aborts them at every call's end, creating a DOMException each time; unary
 * handlers here add no abort listeners, so a finished call has nothing to abort. The shutdown
 * signal is linked to streams only: in-flight unary calls keep their grace period anyway
 * (interceptors/deadline.ts ignores a drain).
 */
export function createCallContext(call: ServerSurfaceCall, peer: string, stream: boolean, shutdown: AbortSignal): CallContext {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? deadline : undefined;
  let finished = false;
  // Streams only; a unary call makes no closure it does not need.
  const onShutdown = stream ? () => controller.abort(shutdown.reason) : undefined;
  // A stream's own deadline, as connect-node keeps one: the implementation then ends the stream
  // with DEADLINE_EXCEEDED and where to resume (grpc-js's own status waits, see framework-statuses.ts).
  const timer =
    stream && deadlineMs !== undefined
      ? setTimeout(() => controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), Math.max(0, deadlineMs - Date.now()))
      : undefined;
  call.once("cancelled", () => {
    clearTimeout(timer);
    if (finished) return;
    const late = deadlineMs !== undefined && Date.now() >= deadlineMs;
    controller.abort(late ? new ConnectError("the operation timed out", Code.DeadlineExceeded) : new ConnectError("the caller went away", Code.Canceled));
  });
  if (onShutdown) {
    if (shutdown.aborted) onShutdown();
    else shutdown.addEventListener("abort", onShutdown, { once: true });
  }
  const header = headersOf(call.metadata);
  // grpc-js takes the content type out too, having checked it is gRPC's; interceptors tell protocols by it.
  header.set("content-type", "application/grpc");
  // grpc-js takes grpc-timeout out of the metadata; the deadline interceptor reads it from here.
  if (deadlineMs !== undefined) header.set("grpc-timeout", `${Math.max(0, deadlineMs - Date.now())}m`);
  return {
    header,
    values: createContextValues().set(peerAddressKey, peerAddressOf(peer)),
    signal: controller.signal,
    timeoutMs() {
      return deadlineMs === undefined ? undefined : deadlineMs - Date.now();
    },
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    finish() {
      finished = true;
      clearTimeout(timer);
      if (onShutdown) shutdown.removeEventListener("abort", onShutdown);
    },
  };
}

/** grpc-js names the peer "address:port" ("unknown" without a socket). */
function peerAddressOf(peer: string): string | undefined {
  const colon = peer.lastIndexOf(":");
  return colon > 0 ? peer.slice(0, colon) : undefined;
}
