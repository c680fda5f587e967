import { Code, type Interceptor } from "@connectrpc/connect";
import type { Metrics } from "../telemetry/metrics.js";
import { callerOf, codeName, codeOf, streamEndCode } from "./rpc-outcome.js";

/**
 * Counts every call by procedure and final code, times unary calls, and keeps the gauge of open
 * response streams. It runs first, so refusals by authentication and limits are counted too.
 */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const unary = req.method.methodKind === "unary";
    const started = performance.now();
    let res;
    try {
      res = await next(req);
    } catch (e) {
      finish(metrics, procedure, codeOf(e), unary, started);
      throw e;
    }
    if (!res.stream) {
      finish(metrics, procedure, 0, unary, started);
      return res;
    }
    const source = res.message;
    const caller = callerOf(req.contextValues);
    async function* counted() {
      const closed = metrics.streamOpened(procedure, caller);
      // Stopped by its consumer before the end: the client went away.
      let code: number = Code.Canceled;
      try {
        yield* source;
        code = streamEndCode(req.signal);
      } catch (e) {
        code = codeOf(e);
        throw e;
      } finally {
        closed();
        finish(metrics, procedure, code, unary, started);
      }
    }
    return { ...res, message: counted() };
  };
}

/** Counts a finished call by its code, and times it when unary. */
function finish(metrics: Metrics, procedure: string, code: number, unary: boolean, started: number): void {
  metrics.rpcFinished(procedure, codeName(code), unary ? (performance.now() - started) / 1000 : undefined);
}
