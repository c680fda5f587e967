import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { loggerKey } from "../../service/context.js";
import { toConnectError } from "../../service/connect-errors.js";
import { nextOf } from "./next-call.js";

/**
 * Turns whatever a handler throws into a ConnectError with a catalog reason, for unary calls
 * and mid-stream alike. Unexpected failures are logged here, once, with their stack.
 */
export function createErrorInterceptor(fallbackLogger: Logger): Interceptor {
  return (next) => (req) =>
    nextOf(next, req).then(
      (res) => (res.stream ? { ...res, message: guarded(res.message, req.contextValues, fallbackLogger) } : res),
      (e: unknown) => {
        throw report(e, req.contextValues, fallbackLogger);
      },
    );
}

/** A response stream whose failures mid-stream leave as the client's error, as a unary call's do. */
async function* guarded<T>(source: AsyncIterable<T>, values: ContextValues, fallbackLogger: Logger) {
  try {
    yield* source;
  } catch (e) {
    throw report(e, values, fallbackLogger);
  }
}

/**
 * What Node raises when a response is written to a stream or socket its client has already
 * reset or closed: the caller went away, which is no failure of ours and nothing to log.
 */
const clientGone = new Set(["ERR_HTTP2_INVALID_STREAM", "ERR_STREAM_DESTROYED", "ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]);

/** The error the client gets for `e`; an unexpected one is logged first, with the call's logger. */
function report(e: unknown, values: ContextValues, fallbackLogger: Logger): ConnectError {
  if (e instanceof Error && clientGone.has((e as NodeJS.ErrnoException).code ?? "")) return new ConnectError("the caller went away", Code.Canceled);
  const error = toConnectError(e);
  if (error.code === Code.Internal && !(e instanceof ConnectError)) {
    (values.get(loggerKey)?.() ?? fallbackLogger).error({ err: e }, "unexpected failure");
  }
  return error;
}
