import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "../one-port.js";
import type { Metrics } from "./metrics.js";

export interface MetricsEndpointOptions {
  metrics: Metrics;
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * GET /metrics in Prometheus' text format, on the main port beside /healthz and /readyz;
 * everything else goes on to `next`. The series hold no tenant data, but they do tell traffic
 * and approval rates, so a deployment whose port is public can require a bearer token.
 */
export function withMetricsEndpoint(next: RequestHandler, { metrics, token }: MetricsEndpointOptions): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") return next(req, res);
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "method not allowed\n", { Allow: "GET, HEAD" });
    if (expected) {
      const sent = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
      // Compared as digests, so the time taken says nothing about the token, not even its length.
      if (sent === undefined || !timingSafeEqual(digest(sent), expected)) {
        return reply(401, "send the metrics token as 'Authorization: Bearer <token>'\n", { "WWW-Authenticate": "Bearer" });
      }
    }
    metrics.exposition().then(
      (text) => reply(200, req.method === "HEAD" ? "" : text, { "Content-Type": metrics.contentType }),
      () => reply(500, "metrics unavailable\n"),
    );
  };
}
