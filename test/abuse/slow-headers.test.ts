import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { http2Preface, openRaw, sleep, type RawConnection } from "./raw-connection.js";

/** Writes `chunks` one every `everyMs` until the server closes the connection; true if it did within `ms`. */
async function trickle(conn: RawConnection, chunks: Buffer[], everyMs: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (const chunk of chunks) {
    if (conn.closed() || Date.now() > deadline) break;
    conn.socket.write(chunk);
    await sleep(everyMs);
  }
  return conn.closedWithin(Math.max(0, deadline - Date.now()));
}

/** One HEADERS frame on stream 1 whose header block (GET / and 100 small headers) is valid HPACK. */
function headersFrame(): Buffer {
  const literal = Buffer.from([0x00, 3, ...Buffer.from("x-a"), 1, ...Buffer.from("b")]);
  const block = Buffer.concat([Buffer.from([0x82, 0x86, 0x84]), ...Array.from({ length: 100 }, () => literal)]);
  const header = Buffer.from([(block.length >> 16) & 0xff, (block.length >> 8) & 0xff, block.length & 0xff, 0x1, 0x5, 0, 0, 0, 1]);
  return Buffer.concat([header, block]);
}

function slices(buffer: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(buffer.length / size) }, (_, i) => buffer.subarray(i * size, (i + 1) * size));
}

describe("slow headers (slowloris)", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer({ connections: { headersTimeoutMs: 400, requestTimeoutMs: 1_000, http2IdleTimeoutMs: 400 } });
  });
  afterAll(() => server.close());

  it("closes an HTTP/1.1 connection whose headers keep trickling in past the headers timeout", async () => {
    const conn = await openRaw(server.port);
    const lines = ["GET /healthz HTTP/1.1\r\nHost: x\r\n", ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    expect(await trickle(conn, lines.map((l) => Buffer.from(l)), 100, 2_500)).toBe(true);
    expect(conn.received().toString()).not.toContain("200 OK");
  });

  it.each(["shared", "h2c"] as const)("closes an HTTP/2 connection whose HEADERS frame trickles in, on the %s port", async (which) => {
    const conn = await openRaw(which === "shared" ? server.port : server.h2cPort);
    conn.socket.write(http2Preface);
    expect(await trickle(conn, slices(headersFrame(), 20), 100, 2_500)).toBe(true);
  });
});
