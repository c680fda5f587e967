import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { loggerKey } from "../../service/context.js";
import { requestIdOf } from "../request-id.js";

/**
 * One child logger per request carrying the request id and procedure. It logs the outcome,
 * never the messages: requests hold personal data, and the redaction config is only a backstop.
 * The request id is the client's only when it cannot be a secret (see request-id.ts).
 */
export function createLoggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const rid = requestIdOf(req.header.get("x-request-id"));
    const log = logger.child({ rid, procedure: `${req.service.typeName}/${req.method.name}` });
    req.contextValues.set(loggerKey, log);
    const started = performance.now();
    const done = (e?: unknown) => {
      const code = e === undefined ? "ok" : Code[ConnectError.from(e).code];
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log[e === undefined ? "info" : "warn"]({ code, ms }, "rpc");
      // A refused call tells its client the id too (a header in Connect, a trailer in gRPC).
      if (e instanceof ConnectError) e.metadata.set("x-request-id", rid);
    };
    try {
      const res = await next(req);
      res.header.set("x-request-id", rid);
      if (!res.stream) {
        done();
        return res;
      }
      const source = res.message;
      async function* logged() {
        try {
          yield* source;
          done();
        } catch (e) {
          done(e);
          throw e;
        }
      }
      return { ...res, message: logged() };
    } catch (e) {
      done(e);
      throw e;
    }
  };
}
