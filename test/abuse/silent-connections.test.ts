import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openRaw } from "./raw-connection.js";

describe("connections that never say which protocol they speak", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer({ connections: { firstBytesTimeoutMs: 300 } });
  });
  afterAll(() => server.close());

  it("are closed after the first-bytes timeout on the shared port and the HTTP/2-only port", async () => {
    const started = Date.now();
    const silent = [await openRaw(server.port), await openRaw(server.h2cPort)];
    // A partial HTTP/2 preface leaves the protocol undecided; it must not hold the connection either.
    const partial = await openRaw(server.port);
    partial.socket.write("PRI * HTTP/2.0\r\n");
    const h2Partial = await openRaw(server.h2cPort);
    h2Partial.socket.write("PRI * HTTP/2.0\r\n");

    const closed = await Promise.all([...silent, partial, h2Partial].map((c) => c.closedWithin(2_000)));
    expect(closed).toEqual([true, true, true, true]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
