import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openWatch, type OpenWatch } from "./health-watch.js";

describe("unauthenticated grpc.health.v1.Health/Watch streams", () => {
  let server: AbuseServer;
  beforeAll(async () => {
    server = await startAbuseServer({ maxHealthWatches: 3 });
  });
  afterAll(() => server.close());

  it("are capped per process: one more is RESOURCE_EXHAUSTED with TOO_MANY_STREAMS until one ends", async () => {
    const transport = createGrpcTransport({ baseUrl: server.url });
    const h2c = createGrpcTransport({ baseUrl: server.h2cUrl });
    const watches: OpenWatch[] = [await openWatch(transport), await openWatch(transport), await openWatch(h2c)];
    try {
      const refused = await openWatch(h2c).then(
        (w) => (watches.push(w), undefined),
        (e: unknown) => ConnectError.from(e),
      );
      expect(refused?.code).toBe(Code.ResourceExhausted);
      expect(refused?.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "TOO_MANY_STREAMS", metadata: { limit: "health_watches", max: "3" } });

      watches.shift()!.stop();
      await expect.poll(async () => openWatch(transport).then((w) => (watches.push(w), true), () => false), { timeout: 2_000 }).toBe(true);
    } finally {
      for (const w of watches) w.stop();
    }
  });
});
