import { Code, ConnectError, createConnectRouter, createContextValues, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
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
    interceptors: [createRequestInputInterceptor(options.readMaxBytes), ...(options.interceptors ?? [])],
  });
  options.routes(router);
  const onReplaced = createReplacementLog(options.logger, options.onRefused);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, withCatalogReasons(h, { compressions, onReplaced, ...(options.readMaxBytes !== undefined ? { maxRequestBytes: options.readMaxBytes } : {}) })]));
  return (req, res) => {
    const handler = paths.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) return options.fallback(req, res);
    // Fresh context values per call: the peer address for authentication's back-off, and a
    // place where the wrapper can see whether the call reached the interceptors.
    const values = createContextValues().set(peerAddressKey, peerAddressOf(req));
    handler(universalRequestFromNodeRequest(req, res, undefined, values))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
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
