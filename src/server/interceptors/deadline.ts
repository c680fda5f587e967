import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { runInCall, type CallScope } from "../../domain/call-scope.js";
import { DomainError } from "../../domain/errors.js";
import { callAbortedKey, deadlinePassed } from "../../service/context.js";

/**
 * Runs each unary handler inside a call scope (domain/call-scope.ts), so its store calls stop
 * once the call's deadline passes or its caller goes away. While the server drains, calls in
 * flight keep their grace period: shutdown aborts every call's signal, but that is no reason
 * to cut work a caller still waits for. Streams are left out: they end on their signal already.
 */
export function createDeadlineInterceptor(draining: AbortSignal): Interceptor {
  return (next) => (req) => {
    if (req.stream) return next(req);
    const deadline = deadlineOf(req.header, Date.now());
    // Asked before every store call: where the transport can tell without making the signal, it does.
    const aborted = req.contextValues.get(callAbortedKey);
    const scope: CallScope = {
      work: 0,
      stopReason() {
        if (!(aborted ? aborted.aborted() : req.signal.aborted) || draining.aborted) return undefined;
        // A client usually cancels at its deadline, racing the server's own timer: either way the deadline passed.
        if (deadlinePassed(req.signal) || (deadline !== undefined && Date.now() >= deadline)) {
          return new DomainError("DEADLINE_EXCEEDED", "the call's deadline passed before it finished");
        }
        return new ConnectError("the caller went away", Code.Canceled);
      },
    };
    return runInCall(scope, () => next(req));
  };
}

const grpcUnitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** When the call's deadline passes, from the Connect or gRPC timeout header; undefined without one. */
function deadlineOf(header: Headers, now: number): number | undefined {
  const connect = header.get("connect-timeout-ms");
  if (connect !== null && /^\d{1,10}$/.test(connect)) return now + Number(connect);
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(header.get("grpc-timeout") ?? "");
  return grpc ? now + Number(grpc[1]) * grpcUnitMs[grpc[2]!]! : undefined;
}
