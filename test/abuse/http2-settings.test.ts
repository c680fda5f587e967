import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";

function remoteSettings(url: string): Promise<http2.Settings> {
  const session = http2.connect(url);
  return new Promise((resolve, reject) => {
    session.once("remoteSettings", (settings) => {
      resolve(settings);
      session.close();
    });
    session.once("error", reject);
  });
}

describe("HTTP/2 settings", () => {
  let server: AbuseServer | undefined;
  afterEach(() => server?.close());

  it("advertise at most 1,000 concurrent streams per connection on both ports by default", async () => {
    server = await startAbuseServer();
    for (const url of [server.url, server.h2cUrl]) {
      expect((await remoteSettings(url)).maxConcurrentStreams).toBe(1_000);
    }
  });

  it("advertise the configured bound", async () => {
    server = await startAbuseServer({ connections: { maxConcurrentStreams: 7 } });
    for (const url of [server.url, server.h2cUrl]) {
      expect((await remoteSettings(url)).maxConcurrentStreams).toBe(7);
    }
  });
});
