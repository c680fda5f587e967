import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { loggerKey } from "../../service/context.js";
import { toConnectError } from "../../service/connect-errors.js";

/**
 * Turns whatever a handler throws into a ConnectError with a catalog reason, for unary calls
 * and mid-stream alike. Unexpected failures are logged here, once, with their stack.
 */
export function createErrorInterceptor(fallbackLogger: Logger): Interceptor {
  return (next) => async (req) => {
    const report = (e: unknown): ConnectError => {
      const error = toConnectError(e);
      if (error.code === Code.Internal && !(e instanceof ConnectError)) {
        (req.contextValues.get(loggerKey)?.() ?? fallbackLogger).error({ err: e }, "unexpected failure");
      }
      return error;
    };
    try {
      const res = await next(req);
      if (!res.stream) return res;
      const source = res.message;
      async function* guarded() {
        try {
          yield* source;
        } catch (e) {
          throw report(e);
        }
      }
      return { ...res, message: guarded() };
    } catch (e) {
      throw report(e);
    }
  };
}
