import { createClient } from "@connectrpc/connect";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { contentSecurityPolicy } from "../../src/server/hosted-pages.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * The hosted page and console beside the RPCs on the main port: the right document for each
 * path, strict headers, long caching for hashed assets only, and nothing else disturbed.
 */
const bigScript = `export const words = ${JSON.stringify("sessionflow ".repeat(2_000))};`;

describe("the hosted page and console on the main port", () => {
  let server: TestServer;
  let unbuilt: TestServer;
  let root = "";

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sessionflow-hosted-"));
    await mkdir(join(root, "page"));
    await mkdir(join(root, "console"));
    await mkdir(join(root, "assets"));
    await writeFile(join(root, "page/index.html"), "<!doctype html><title>page</title>");
    await writeFile(join(root, "console/index.html"), "<!doctype html><title>console</title>");
    await writeFile(join(root, "assets/page-abc123.js"), "export {};");
    await writeFile(join(root, "assets/page-abc123.css"), "body{}");
    await writeFile(join(root, "assets/page-abc123.js.map"), "{}");
    await writeFile(join(root, "assets/page-big.js"), bigScript);
    server = await startTestServer({ webRoot: root });
    unbuilt = await startTestServer({ webRoot: join(root, "missing") });
  });
  afterAll(async () => {
    await server.close();
    await unbuilt.close();
    await rm(root, { recursive: true, force: true });
  });

  const get = (path: string, init?: RequestInit, on = server) => fetch(on.baseUrl + path, init);

  it("serves the page at every link path and the console at /console, never cached", async () => {
    const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    for (const [path, title] of [[`/s/${token}`, "page"], ["/console", "console"], ["/console/", "console"]] as const) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`<title>${title}</title>`);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toBe(contentSecurityPolicy);
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
    // The token never reaches the logs.
    expect(server.logs()).not.toContain(token);
  });

  it("sends a policy with no inline script or style and no other origin", () => {
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).toContain("style-src 'self'");
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });

  it("caches hashed assets for a year, with content types and revalidation", async () => {
    const js = await get("/assets/page-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = js.headers.get("etag")!;
    expect((await get("/assets/page-abc123.js", { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await get("/assets/page-abc123.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const big = await get("/assets/page-big.js", { headers: { "accept-encoding": "gzip" } });
    expect(big.headers.get("content-encoding")).toBe("gzip");
    expect(big.headers.get("vary")).toContain("Accept-Encoding");
    expect(Number(big.headers.get("content-length"))).toBeLessThan(2_000);
    expect(await big.text()).toBe(bigScript); // fetch decompresses
    const plain = await fetch(server.baseUrl + "/assets/page-big.js", { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("content-length")).toBe(String(bigScript.length));
    // q=0 refuses an encoding (RFC 9110 §12.5.3).
    for (const refuses of ["gzip;q=0", "br, gzip; q=0.0", "*;q=0, identity"]) {
      const r = await fetch(server.baseUrl + "/assets/page-big.js", { headers: { "accept-encoding": refuses } });
      expect(r.headers.get("content-encoding")).toBeNull();
    }
    expect((await fetch(server.baseUrl + "/assets/page-big.js", { headers: { "accept-encoding": "br;q=1, gzip;q=0.5" } })).headers.get("content-encoding")).toBe("gzip");
    const head = await get("/assets/page-abc123.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10");
  });

  it("serves nothing outside the build: no source maps, no traversal, no other files", async () => {
    expect((await get("/assets/page-abc123.js.map")).status).toBe(404);
    expect((await get("/assets/../package.json")).status).toBe(404);
    expect((await get("/assets/%2e%2e/%2e%2e/package.json")).status).toBe(404);
    expect((await get("/page/index.html")).status).toBe(404);
    expect((await get("/s/a/b")).status).toBe(404);
  });

  it("refuses other methods on its paths", async () => {
    const res = await get("/console", { method: "POST", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("leaves probes, 404s, CORS and RPCs as they were", async () => {
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(200);
    expect((await get("/nothing-here")).status).toBe(404);
    const preflight = await get("/sessionflow.v1.SessionService/ListSessions", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const sessions = createClient(SessionService, transportFor("connect-json-h1", server.baseUrl, server.keys.acme));
    expect((await sessions.listSessions({})).sessions).toEqual([]);
  });

  it("says how to build the front ends when they were not built", async () => {
    const res = await get("/console", undefined, unbuilt);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("npm run build:web");
    expect((await get("/healthz", undefined, unbuilt)).status).toBe(200);
  });
});
