import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openRaw } from "./raw-connection.js";

describe("idle connections", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer({ connections: { keepAliveTimeoutMs: 300, http2IdleTimeoutMs: 300 } });
  });
  afterAll(() => server.close());

  it("closes an HTTP/1.1 keep-alive connection after the keep-alive timeout", async () => {
    const conn = await openRaw(server.port);
    conn.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const started = Date.now();
    expect(await conn.closedWithin(2_000)).toBe(true);
    expect(conn.received().toString()).toMatch(/^HTTP\/1\.1 200 /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("closes an HTTP/1.1 connection that stops after its first byte, at the headers timeout", async () => {
    const strict = await startAbuseServer({ connections: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
    try {
      const conn = await openRaw(strict.port);
      conn.socket.write("G");
      expect(await conn.closedWithin(2_000)).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it.each(["shared", "h2c"] as const)("closes an HTTP/2 connection with no open stream after the idle timeout, on the %s port", async (which) => {
    const session = http2.connect(which === "shared" ? server.url : server.h2cUrl);
    session.on("error", () => {});
    let goaway: number | undefined;
    session.once("goaway", (code) => (goaway = code));
    const closed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2_000);
      session.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ":path": "/healthz" });
      req.on("response", (h) => resolve(Number(h[":status"])));
      req.on("error", reject);
      req.resume();
    });
    expect(status).toBe(200);
    expect(await closed).toBe(true);
    expect(goaway).toBe(http2.constants.NGHTTP2_NO_ERROR); // told, not dropped
  });
});
