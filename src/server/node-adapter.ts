import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues, type ConnectRouter, type ConnectRouterOptions, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { withCatalogReasons, type Replaced } from "./framework-errors.js";
import { createRequestInputInterceptor } from "./interceptors/request-input.js";
import { peerAddressKey, peerAddressOf } from "./request-source.js";
import type { RequestHandler } from "./one-port.js";
import { requestIdOf } from "./request-id.js";

export interface NodeAdapterOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Serves whatever is not an RPC: probes, 404s. */
  fallback: RequestHandler;
  logger: Logger;
  /** Told of each request Connect refused before the interceptors ran (they never saw it). */
  onRefused?: (procedure: string, code: Code) => void;
  /**
   * RPC requests being read before they reach the interceptors, at once. A unary body is read
   * whole before authentication sees the call, so without this a stranger could hold as many
   * bodies as connections and streams allow, each up to readMaxBytes, by never finishing them.
   */
  maxReading: number;
}

/**
 * Connect ignores unknown JSON fields by default, and protobuf-es then drops unknown enum names
 * too: a misspelled "sessionID" or a filter state "FOO" would silently vanish and widen the
 * request. Strict parsing refuses both; invalid UTF-8 is refused instead of becoming U+FFFD.
 */
const strictJson = { ignoreUnknownFields: false, textDecoder: new TextDecoder("utf-8", { fatal: true }) };

/**
 * connect-node's adapter, plus one step: every RPC handler is wrapped so errors Connect raises
 * on its own (unreadable, undecodable or oversized requests) are the client's errors, with the
 * catalog reason and fixed text, and are logged like every other call.
 */
export function createNodeAdapter(options: NodeAdapterOptions): RequestHandler {
  const compressions = [compressionGzip, compressionBrotli];
  const router = createConnectRouter({
    acceptCompression: compressions,
    jsonOptions: strictJson,
    ...options,
    interceptors: [bodyRead, createRequestInputInterceptor(options.readMaxBytes), ...(options.interceptors ?? [])],
  });
  options.routes(router);
  const onReplaced = createReplacementLog(options.logger, options.onRefused);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, withCatalogReasons(h, { compressions, onReplaced, ...(options.readMaxBytes !== undefined ? { maxRequestBytes: options.readMaxBytes } : {}) })]));
  let reading = 0;
  return (req, res) => {
    const handler = paths.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) return options.fallback(req, res);
    if (reading >= options.maxReading) {
      // Refused unread: HTTP 503 is UNAVAILABLE to gRPC and Connect clients alike, which retry.
      options.onRefused?.(`${handler.service.typeName}/${handler.method.name}`, Code.Unavailable);
      res.writeHead(503, { "retry-after": "1" });
      res.end();
      return;
    }
    reading++;
    let counted = true;
    const read = () => {
      if (counted) reading--;
      counted = false;
    };
    req.once("close", read);
    // Fresh context values per call: the peer address for authentication's back-off, a place
    // where the wrapper can see whether the call reached the interceptors, and what to tell then.
    const values = createContextValues().set(peerAddressKey, peerAddressOf(req)).set(readKey, read);
    handler(universalRequestFromNodeRequest(req, res, undefined, values))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .finally(read)
      .catch((reason: unknown) => {
        // Whatever failed, the client must not wait for an answer that will never come.
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(500);
          res.end();
        }
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, procedure: `${handler.service.typeName}/${handler.method.name}` }, "handler failed");
      });
  };
}

const readKey = createContextKey<(() => void) | undefined>(undefined, { description: "body read" });

/**
 * The interceptors start once Connect has read a unary request's body and parsed it; a stream's
 * request is read by its implementation, after authentication has let the call in. Either way
 * the body no longer counts against maxReading.
 */
const bodyRead: Interceptor = (next) => (req) => {
  req.contextValues.get(readKey)?.();
  return next(req);
};

/**
 * A refused request never reached the logging interceptor, so it gets the same "rpc" line here:
 * the code only, never Connect's message, which may quote the input. A failure after the call
 * started is Connect failing on our response, logged as an error.
 */
function createReplacementLog(logger: Logger, onRefused: (procedure: string, code: Code) => void = () => {}) {
  return ({ request, procedure, original, sent, started, ms }: Replaced) => {
    if (started) {
      logger.error({ procedure, code: Code[original.code], cause: original.rawMessage }, "response failed");
      return;
    }
    onRefused(procedure, sent.code);
    const rid = requestIdOf(request.header.get("x-request-id"));
    logger.warn({ rid, procedure, code: Code[sent.code], ms: Math.round(ms * 10) / 10 }, "rpc");
  };
}
