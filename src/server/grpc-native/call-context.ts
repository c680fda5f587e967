import { Code, ConnectError, createContextValues, type ContextValues } from "@connectrpc/connect";
import type { Deadline, Metadata } from "@grpc/grpc-js";

/** What the adapter uses of every kind of grpc-js server call. */
export interface ServerSurfaceCall {
  readonly cancelled: boolean;
  readonly metadata: Metadata;
  getPeer(): string;
  getDeadline(): Deadline;
  getHost(): string;
  on(event: "cancelled", listener: () => void): unknown;
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}
import { peerAddressKey } from "../request-source.js";
import { headersOf } from "./status.js";

/** Whether a call has been aborted, asked without making its AbortSignal (see callAbortedKey). */
export interface AbortState {
  aborted(): boolean;
}

/**
 * What one native call shares with the connect interceptors and the handler: one AbortSignal per
 * call, aborted only when the caller cancels, its deadline passes or (for streams) the server
 * shuts down, always with a ConnectError reason. connect-node links three signals per call and
 * aborts them at every call's end, creating a DOMException each time; unary handlers here add no
 * abort listeners, so a finished call has nothing to abort. The shutdown signal is linked to
 * streams only: in-flight unary calls keep their grace period anyway (interceptors/deadline.ts
 * ignores a drain).
 *
 * The AbortController is made only when something reads the signal: an AbortController costs
 * about 2 us on Node 20, more than the rest of this context, and a unary call that is not
 * cancelled usually never reads it (its deadline checks ask `aborted()`). A call aborted before
 * its signal is made keeps the reason, and the signal is born aborted with it. A class, not an
 * object literal: V8 makes literals with getters slowly, and every call makes one of these.
 */
export class CallContext implements AbortState {
  readonly header: Headers;
  readonly values: ContextValues;
  readonly responseHeader = new Headers();
  readonly responseTrailer = new Headers();
  readonly #deadlineMs: number | undefined;
  readonly #shutdown: AbortSignal;
  #controller: AbortController | undefined = undefined;
  // Whether, and why, the call was aborted before its signal was made.
  #abortedEarly = false;
  #reason: unknown = undefined;
  #finished = false;
  // Streams only: their own deadline timer, and the link to the server's shutdown.
  #timer: NodeJS.Timeout | undefined = undefined;
  #onShutdown: (() => void) | undefined = undefined;

  constructor(call: ServerSurfaceCall, peer: string, stream: boolean, shutdown: AbortSignal) {
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? deadline : undefined;
    this.#deadlineMs = deadlineMs;
    this.#shutdown = shutdown;
    if (stream) {
      // A stream's own deadline, as connect-node keeps one: the implementation then ends the stream
      // with DEADLINE_EXCEEDED and where to resume (grpc-js's own status waits, see framework-statuses.ts).
      if (deadlineMs !== undefined) {
        this.#timer = setTimeout(() => this.#abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), Math.max(0, deadlineMs - Date.now()));
      }
      const onShutdown = () => this.#abort(shutdown.reason);
      if (shutdown.aborted) onShutdown();
      else {
        shutdown.addEventListener("abort", onShutdown, { once: true });
        this.#onShutdown = onShutdown;
      }
    }
    // grpc-js emits 'cancelled' once; `on` spares once()'s wrapper, made for every call.
    call.on("cancelled", () => {
      clearTimeout(this.#timer);
      if (this.#finished) return;
      const late = deadlineMs !== undefined && Date.now() >= deadlineMs;
      this.#abort(late ? new ConnectError("the operation timed out", Code.DeadlineExceeded) : new ConnectError("the caller went away", Code.Canceled));
    });
    const header = headersOf(call.metadata);
    // grpc-js takes the content type out too, having checked it is gRPC's; interceptors tell protocols by it.
    header.set("content-type", "application/grpc");
    // grpc-js takes grpc-timeout out of the metadata; the deadline interceptor reads it from here.
    if (deadlineMs !== undefined) header.set("grpc-timeout", `${Math.max(0, deadlineMs - Date.now())}m`);
    this.header = header;
    this.values = createContextValues().set(peerAddressKey, peerAddressOf(peer));
  }

  /** Made on first read. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortedEarly) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  aborted(): boolean {
    return this.#controller ? this.#controller.signal.aborted : this.#abortedEarly;
  }

  /** Milliseconds left until the deadline; undefined without one. */
  timeoutMs(): number | undefined {
    return this.#deadlineMs === undefined ? undefined : this.#deadlineMs - Date.now();
  }

  /** The status is about to be sent: a later 'cancelled' from grpc-js is only the stream closing. */
  finish(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    if (this.#onShutdown) this.#shutdown.removeEventListener("abort", this.#onShutdown);
  }

  #abort(reason: unknown): void {
    if (this.#controller) this.#controller.abort(reason);
    else if (!this.#abortedEarly) {
      this.#abortedEarly = true;
      this.#reason = reason;
    }
  }
}

/** grpc-js names the peer "address:port" ("unknown" without a socket). */
function peerAddressOf(peer: string): string | undefined {
  const colon = peer.lastIndexOf(":");
  return colon > 0 ? peer.slice(0, colon) : undefined;
}
