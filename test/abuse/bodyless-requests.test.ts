import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openWatch, Status } from "./health-watch.js";
import { openRaw, sleep } from "./raw-connection.js";

const watched = "sessionflow.v1.SessionService";

/** Resolves with the stream's RST_STREAM code once it closes, or undefined if it is still open after `ms`. */
function closedWithin(stream: http2.ClientHttp2Stream, ms: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    stream.once("close", () => {
      clearTimeout(timer);
      resolve(stream.rstCode);
    });
    stream.on("error", () => {});
    stream.resume();
  });
}

/**
 * A request whose body never arrives is cut at the request timeout, while a server stream opened
 * before it (its request complete) outlives every timeout: the request timeout covers receiving
 * the request, never the response.
 */
describe("requests whose body never arrives", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer({
      connections: { firstBytesTimeoutMs: 300, headersTimeoutMs: 300, requestTimeoutMs: 500, keepAliveTimeoutMs: 300, http2IdleTimeoutMs: 300 },
    });
  });
  afterAll(() => server.close());

  /** Flips the watched service's status and expects the long-lived watch to see it. */
  async function expectAlive(watch: Awaited<ReturnType<typeof openWatch>>) {
    server.app.health.set(watched, Status.NOT_SERVING);
    try {
      expect(await watch.next()).toBe(Status.NOT_SERVING);
    } finally {
      server.app.health.set(watched, Status.SERVING);
    }
    expect(await watch.next()).toBe(Status.SERVING);
  }

  it("closes an HTTP/1.1 request with a Content-Length and no body; a Connect server stream lives on", async () => {
    const watch = await openWatch(createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }), watched);
    try {
      const conn = await openRaw(server.port);
      conn.socket.write("POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
      expect(await conn.closedWithin(2_500)).toBe(true);
      expect(conn.received().toString()).toMatch(/^HTTP\/1\.1 408/);
      await sleep(300);
      await expectAlive(watch);
    } finally {
      watch.stop();
    }
  });

  it.each(["shared", "h2c"] as const)("resets an HTTP/2 stream that never ends its request on the %s port; a gRPC stream lives on", async (which) => {
    const url = which === "shared" ? server.url : server.h2cUrl;
    const watch = await openWatch(createGrpcTransport({ baseUrl: url }), watched);
    const session = http2.connect(url);
    session.on("error", () => {});
    try {
      const stream = session.request(
        { ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc" },
        { endStream: false },
      );
      expect(await closedWithin(stream, 2_500)).toBeDefined();
      await sleep(300);
      await expectAlive(watch);
    } finally {
      watch.stop();
      session.destroy();
    }
  });
});
