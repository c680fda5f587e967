import { cors } from "@connectrpc/connect";
import type { RequestHandler } from "./one-port.js";

export interface CorsOptions {
  /** Allowed origins, or "*" for any. */
  origins: readonly string[] | "*";
  /** Extra response headers browsers may read. */
  exposeHeaders?: readonly string[];
}

/**
 * CORS for Connect-Web and gRPC-Web clients. Credentials are bearer tokens in a header, never
 * cookies, so a wildcard origin is safe; Authorization still has to be listed explicitly.
 */
export function withCors(handler: RequestHandler, { origins, exposeHeaders = [] }: CorsOptions): RequestHandler {
  const allowHeaders = [...cors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
  const exposed = [...cors.exposedHeaders, ...exposeHeaders, "X-Request-Id"].join(", ");
  const methods = cors.allowedMethods.join(", ");
  return (req, res) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && (origins === "*" || origins.includes(origin));
    if (allowed) {
      res.setHeader("Access-Control-Allow-Origin", origins === "*" ? "*" : origin);
      res.setHeader("Vary", "Origin");
      res.setHeader("Access-Control-Expose-Headers", exposed);
    }
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      if (allowed) {
        res.setHeader("Access-Control-Allow-Methods", methods);
        res.setHeader("Access-Control-Allow-Headers", allowHeaders);
        res.setHeader("Access-Control-Max-Age", "7200");
      }
      res.statusCode = 204;
      res.end();
      return;
    }
    handler(req, res);
  };
}
