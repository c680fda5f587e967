import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor, StatusObject } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { DomainError } from "../../domain/errors.js";
import { connectErrorOf, reasonError } from "../../service/connect-errors.js";
import { requestErrorOf } from "../request-errors.js";
import { requestIdOf } from "../request-id.js";
import { statusOf } from "./status.js";

/** How long a stream past its deadline has to end itself before grpc-js's status is sent. */
const streamDeadlineGraceMs = 1_000;

type PartialStatusObject = Parameters<ServerInterceptingCallInterface["sendStatus"]>[0];
type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/**
 * grpc-js answers some calls itself, without the adapter: a request over the size cap, one it
 * cannot decompress, a missing or extra message, a passed deadline, a response it fails to
 * write. Those statuses carry no catalog reason and grpc-js's own text. This grpc-js
 * interceptor gives them the reason and text the main port sends (see framework-errors.ts):
 * before the request was read whole the fault is the client's, after it an error is ours,
 * except a passed deadline. grpc-js sends these from inside its base call, past any
 * interceptor's responder, so the base call's own sendStatus is wrapped; the adapter's
 * statuses always carry metadata, grpc-js's never do, which tells them apart.
 */
export interface FrameworkStatusOptions {
  logger: Logger;
  /** The request message of a method, by its path. */
  inputOf: (path: string) => DescMessage | undefined;
  /** The request size cap, named in REQUEST_TOO_LARGE. */
  maxBytes: number;
  /** Told of each call refused before it reached the interceptors. */
  onRefused: (procedure: string, code: Code) => void;
}

export function createFrameworkStatusInterceptor({ logger, inputOf, maxBytes, onRefused }: FrameworkStatusOptions): ServerInterceptor {
  return (method, call) => {
    const arrived = performance.now();
    // Read whole: a message arrived and the client half-closed. A half-close with no message, or
    // with a cut one, is the client's fault, which grpc-js reports as if it were ours.
    let messageArrived = false;
    let requestRead = false;
    const start = call.start;
    call.start = (listener: Listener) =>
      start.call(call, {
        ...listener,
        onReceiveMessage(message: unknown) {
          messageArrived = true;
          listener.onReceiveMessage(message);
        },
        onReceiveHalfClose() {
          requestRead = messageArrived;
          listener.onReceiveHalfClose();
        },
      });
    const send = call.sendStatus;
    let deferred: NodeJS.Timeout | undefined;
    // A call has one status; grpc-js may try a second (a missing message after refusing an oversized one).
    let sent = false;
    call.sendStatus = (status: PartialStatusObject) => {
      if (sent) return;
      clearTimeout(deferred);
      const code = status.code as number as Code;
      if (status.metadata || code === Code.Canceled || (code as number) === 0) {
        sent = true;
        return send.call(call, status);
      }
      const original = new ConnectError(status.details, code);
      let replaced: ConnectError;
      if (code === Code.DeadlineExceeded) {
        replaced = connectErrorOf(new DomainError("DEADLINE_EXCEEDED", "the call's deadline passed before it finished"));
        if (method.responseStream) {
          // The adapter's own timer has the stream end itself, with where to resume; this status
          // goes out only if the implementation does not end the stream in time.
          deferred = setTimeout(() => {
            if (sent) return;
            sent = true;
            send.call(call, statusOf(replaced, new Headers()));
          }, streamDeadlineGraceMs);
          return;
        }
      } else if (requestRead) {
        replaced = reasonError("INTERNAL", "internal error");
        logger.error({ procedure: method.path.slice(1), code: Code[original.code], cause: original.rawMessage }, "response failed");
      } else {
        const input = inputOf(method.path);
        replaced = input ? requestErrorOf(original, input, maxBytes) : original;
        // The call never reached the interceptors, so it gets its "rpc" line here; never grpc-js's text.
        const ms = Math.round((performance.now() - arrived) * 10) / 10;
        logger.warn({ rid: requestIdOf(null), procedure: method.path.slice(1), code: Code[replaced.code], ms }, "rpc");
        onRefused(method.path.slice(1), replaced.code);
      }
      sent = true;
      return send.call(call, statusOf(replaced, new Headers()) satisfies StatusObject);
    };
    // Returning the base call itself adds no layer to every call; grpc-js only calls its methods.
    return call as unknown as ServerInterceptingCall;
  };
}
