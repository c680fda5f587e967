import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { http2Preface, openRaw, sleep } from "./raw-connection.js";

describe("routing by first bytes", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer();
  });
  afterAll(() => server.close());

  it("serves an HTTP/1.1 request whose first TCP segment is a lone P, and HTTP/2 whose preface arrives in pieces", async () => {
    const conn = await openRaw(server.port);
    const body = "{}";
    conn.socket.write("P");
    await sleep(50);
    conn.socket.write(`OST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    expect(await conn.closedWithin(2_000)).toBe(true);
    const response = conn.received().toString();
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('{"status":"SERVING"}');

    // Waiting for enough bytes must not misroute HTTP/2 either: its preface may arrive in pieces too.
    const h2 = await openRaw(server.port);
    h2.socket.write(http2Preface.subarray(0, 1));
    await sleep(50);
    h2.socket.write(http2Preface.subarray(1, 10));
    await sleep(50);
    h2.socket.write(http2Preface.subarray(10));
    await sleep(200);
    expect(h2.received()[3]).toBe(0x4); // the server's SETTINGS frame
    expect(h2.closed()).toBe(false);
    h2.socket.destroy();
  });
});
