import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { withCatalogReasons } from "./framework-errors.js";
import type { RequestHandler } from "./one-port.js";

export interface NodeAdapterOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Serves whatever is not an RPC: probes, 404s. */
  fallback: RequestHandler;
  logger: Logger;
}

/**
 * Connect ignores unknown JSON fields by default, and protobuf-es then drops unknown enum names
 * too: a misspelled "sessionID" or a filter state "FOO" would silently vanish and widen the
 * request. Strict parsing refuses both; invalid UTF-8 is refused instead of becoming U+FFFD.
 */
const strictJson = { ignoreUnknownFields: false, textDecoder: new TextDecoder("utf-8", { fatal: true }) };

/**
 * connect-node's adapter, plus one step: every RPC handler is wrapped so errors Connect raises
 * on its own (undecodable or oversized requests) carry the catalog reason too.
 */
export function createNodeAdapter(options: NodeAdapterOptions): RequestHandler {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], jsonOptions: strictJson, ...options });
  options.routes(router);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, withCatalogReasons(h)]));
  return (req, res) => {
    const handler = paths.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) return options.fallback(req, res);
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, procedure: `${handler.service.typeName}/${handler.method.name}` }, "handler failed");
      });
  };
}
