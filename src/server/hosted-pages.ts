import type { RequestHandler } from "./one-port.js";
import type { StaticFile } from "./static-files.js";

/**
 * Strict: scripts, styles and connections from this origin only, nothing inline, no plugins,
 * no framing. `img-src data:` is for the transfer QR code, an SVG the page shows as an image
 * (an image cannot run script, unlike SVG markup put into the document).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: Record<string, string> = {
  "Content-Security-Policy": contentSecurityPolicy,
  "X-Content-Type-Options": "nosniff",
  // The page's URL holds the link token: no request it makes may carry it elsewhere.
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

export interface HostedPagesOptions {
  /** The built front ends by URL path (see loadStaticFiles); undefined when they were not built. */
  files: ReadonlyMap<string, StaticFile> | undefined;
  /** Everything that is neither page, console nor asset: probes, 404s. */
  fallback: RequestHandler;
}

/** The two documents and where they are served; every link path is the same page. */
const pageDocument = "/page/index.html";
const consoleDocument = "/console/index.html";
const linkPath = /^\/s\/[^/]+$/;

/**
 * The hosted verification page at /s/{link token} and the operator console at /console, with
 * their assets under /assets/. Only paths no RPC uses reach here (the RPC router answers first),
 * and anything else goes on to the fallback, so probes and 404s are unchanged. Requests are not
 * logged: a page path holds a link token.
 */
export function createHostedPages({ files, fallback }: HostedPagesOptions): RequestHandler {
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const document = linkPath.test(path) ? pageDocument : path === "/console" || path === "/console/" ? consoleDocument : undefined;
    const asset = path.startsWith("/assets/") ? path : undefined;
    if (!document && !asset) return fallback(req, res);

    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    const reply = (status: number, text: string) => {
      res.statusCode = status;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      res.end(text + "\n");
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return reply(405, "method not allowed");
    }
    if (!files) return reply(503, "the hosted page and console are not built: run `npm run build:web`");
    const file = files.get(document ?? asset ?? "");
    if (!file) return reply(404, "not found");

    res.setHeader("Content-Type", file.contentType);
    res.setHeader("ETag", file.etag);
    // Assets are named by their content hash, so they never change; documents always revalidate
    // and are never stored, as a page's address holds a link token.
    res.setHeader("Cache-Control", asset ? "public, max-age=31536000, immutable" : "no-store");
    if (asset && req.headers["if-none-match"] === file.etag) {
      res.statusCode = 304;
      return res.end();
    }
    // Compressed once at start: a phone on a slow network fetches about a third of the bytes.
    res.setHeader("Vary", "Accept-Encoding");
    const gzip = file.gzipped && acceptsGzip(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? file.gzipped! : file.body;
    if (gzip) res.setHeader("Content-Encoding", "gzip");
    res.statusCode = 200;
    res.setHeader("Content-Length", String(body.length));
    if (req.method === "HEAD") return res.end();
    res.end(body);
  };
}

/** Whether an Accept-Encoding header takes gzip: named, or by `*`, with a weight above 0 (RFC 9110 §12.5.3). */
function acceptsGzip(header: string): boolean {
  let star: boolean | undefined;
  for (const entry of header.split(",")) {
    const [coding = "", ...params] = entry.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const wanted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === "gzip") return wanted;
    if (coding === "*") star = wanted;
  }
  return star ?? false;
}
