import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { loggerKey, principalKey } from "../../service/context.js";
import { createLogSampler, type LogSampler } from "../log-sampler.js";
import { requestIdOf } from "../request-id.js";
import { nextOf } from "./next-call.js";

/**
 * One "rpc" line per request with its request id, procedure and outcome, and a child logger
 * carrying the request id and procedure for whatever else the call logs. It logs the outcome,
 * never the messages: requests hold personal data, and the redaction config is only a backstop.
 * The request id is the client's only when it cannot be a secret (see request-id.ts).
 *
 * Calls refused for a limit (RESOURCE_EXHAUSTED) are sampled per tenant: a client that never
 * backs off would otherwise write a line per refusal, as fast as it can send. Every other line
 * is bounded by the calls the limits let through.
 */
export function createLoggingInterceptor(logger: Logger, now: () => number = () => performance.now()): Interceptor {
  const refusals = createLogSampler({
    perKey: refusalLinesPerTenant,
    lines: refusalLines,
    trackedKeys: 10_000,
    now,
    onSuppressed: ({ suppressed, keys, windowMs }) => logger.warn({ suppressed, tenants: keys, windowMs }, "calls refused for limits not logged"),
  });
  return (next) => (req) => {
    const rid = requestIdOf(req.header.get("x-request-id"));
    const procedure = `${req.service.typeName}/${req.method.name}`;
    // The child logger is made only for a handler that logs: pino redacts a child's bindings
    // when it is made, which cost every call more than the rest of this interceptor. The "rpc"
    // line below carries the same fields, in the same order, as the child would have added.
    let log: Logger | undefined;
    req.contextValues.set(loggerKey, () => (log ??= logger.child({ rid, procedure })));
    const call: Call = { logger, refusals, values: req.contextValues, rid, procedure, started: performance.now() };
    return nextOf(next, req).then(
      (res) => {
        res.header.set("x-request-id", rid);
        if (!res.stream) {
          done(call);
          return res;
        }
        return { ...res, message: logged(res.message, call) };
      },
      (e: unknown) => {
        done(call, e);
        throw e;
      },
    );
  };
}

/** A response stream, its "rpc" line written when it ends. */
async function* logged<T>(source: AsyncIterable<T>, call: Call) {
  try {
    yield* source;
    done(call);
  } catch (e) {
    done(call, e);
    throw e;
  }
}

interface Call {
  logger: Logger;
  refusals: LogSampler;
  values: ContextValues;
  rid: string;
  procedure: string;
  started: number;
}

/** Writes a call's "rpc" line; a module function, not a closure made for every call. */
function done(call: Call, e?: unknown): void {
  const error = e === undefined ? undefined : ConnectError.from(e);
  const ms = Math.round((performance.now() - call.started) * 10) / 10;
  if (error?.code !== Code.ResourceExhausted || call.refusals.admit(call.values.get(principalKey)?.tenantId ?? "")) {
    call.logger[error ? "warn" : "info"]({ rid: call.rid, procedure: call.procedure, code: error ? Code[error.code] : "ok", ms }, "rpc");
  }
  // A refused call tells its client the id too (a header in Connect, a trailer in gRPC).
  if (e instanceof ConnectError) e.metadata.set("x-request-id", call.rid);
}

/** Refusals for limits logged per tenant, and in all, per minute. */
const refusalLinesPerTenant = 10;
const refusalLines = 100;
