import { createContextKey, type Interceptor } from "@connectrpc/connect";
import type { DescMessage } from "@bufbuild/protobuf";
import { requestErrorOf } from "../request-errors.js";

/** True once a call reached the interceptors, so an error without a catalog reason came from Connect. */
export const callStartedKey = createContextKey(false, { description: "call started" });

/**
 * A unary call reaches the interceptors with its message decoded, but a streaming call's
 * messages are decoded while the handler reads them. This interceptor marks the call as started
 * and turns any failure to read a stream's messages into the client's error (requestErrorOf),
 * including a server-streaming request with no message or more than one.
 */
export function createRequestInputInterceptor(maxBytes?: number): Interceptor {
  // Not an async function: it awaits nothing, and every call would pay for its promise.
  return (next) => (req) => {
    req.contextValues.set(callStartedKey, true);
    if (!req.stream) return next(req);
    const single = req.method.methodKind === "server_streaming";
    // signal by name: a transport's request may read it through a getter, which a spread drops.
    return next({ ...req, signal: req.signal, message: readOrRefuse(req.message, req.method.input, single, maxBytes) });
  };
}

/** Only errors from reading the source are the client's; what the consumer does is not caught here. */
async function* readOrRefuse<T>(source: AsyncIterable<T>, input: DescMessage, single: boolean, maxBytes?: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (let count = 0; ; count++) {
      let next: IteratorResult<T>;
      try {
        next = await it.next();
      } catch (e) {
        done = true; // a source that threw is finished
        throw requestErrorOf(e, input, maxBytes);
      }
      if (next.done) {
        done = true;
        if (single && count === 0) throw requestErrorOf(new Error("no request message"), input);
        return;
      }
      if (single && count > 0) throw requestErrorOf(new Error("more than one request message"), input);
      yield next.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
