import { Code, ConnectError, createConnectRouter, createContextValues, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { withCatalogReasons } from "./framework-errors.js";
import { peerAddressKey, peerAddressOf } from "./request-source.js";
import type { RequestHandler } from "./one-port.js";

export interface NodeAdapterOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Serves whatever is not an RPC: probes, 404s. */
  fallback: RequestHandler;
  logger: Logger;
}

/**
 * connect-node's adapter, plus one step: every RPC handler is wrapped so errors Connect raises
 * on its own (undecodable or oversized requests) carry the catalog reason too.
 */
export function createNodeAdapter(options: NodeAdapterOptions): RequestHandler {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, withCatalogReasons(h)]));
  return (req, res) => {
    const handler = paths.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) return options.fallback(req, res);
    const values = createContextValues().set(peerAddressKey, peerAddressOf(req));
    handler(universalRequestFromNodeRequest(req, res, undefined, values))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, procedure: `${handler.service.typeName}/${handler.method.name}` }, "handler failed");
      });
  };
}
