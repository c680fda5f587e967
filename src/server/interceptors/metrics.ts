import { Code, type Interceptor } from "@connectrpc/connect";
import type { Caller, Metrics } from "../telemetry/metrics.js";
import { nextOf } from "./next-call.js";
import { callerOf, codeName, codeOf, streamEndCode } from "./rpc-outcome.js";

/**
 * Counts every call by procedure and final code, times unary calls, and keeps the gauge of open
 * response streams. It runs first, so refusals by authentication and limits are counted too.
 */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const unary = req.method.methodKind === "unary";
    const started = performance.now();
    return nextOf(next, req).then(
      (res) => {
        if (!res.stream) {
          finish(metrics, procedure, 0, unary, started);
          return res;
        }
        return { ...res, message: counted(res.message, metrics, procedure, callerOf(req.contextValues), req.signal, unary, started) };
      },
      (e: unknown) => {
        finish(metrics, procedure, codeOf(e), unary, started);
        throw e;
      },
    );
  };
}

/** A response stream, counted open while it runs and finished with the code it ended with. */
async function* counted<T>(source: AsyncIterable<T>, metrics: Metrics, procedure: string, caller: Caller, signal: AbortSignal, unary: boolean, started: number) {
  const closed = metrics.streamOpened(procedure, caller);
  // Stopped by its consumer before the end: the client went away.
  let code: number = Code.Canceled;
  try {
    yield* source;
    code = streamEndCode(signal);
  } catch (e) {
    code = codeOf(e);
    throw e;
  } finally {
    closed();
    finish(metrics, procedure, code, unary, started);
  }
}

/** Counts a finished call by its code, and times it when unary. */
function finish(metrics: Metrics, procedure: string, code: number, unary: boolean, started: number): void {
  metrics.rpcFinished(procedure, codeName(code), unary ? (performance.now() - started) / 1000 : undefined);
}
