import { createGrpcTransport } from "@connectrpc/connect-node";
import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openWatch, Status } from "./health-watch.js";
import { openRaw, sleep, type RawConnection } from "./raw-connection.js";

/** Opens `count` TCP connections that never send a byte. */
async function openSilent(port: number, count: number): Promise<RawConnection[]> {
  const conns: RawConnection[] = [];
  for (let i = 0; i < count; i++) conns.push(await openRaw(port));
  return conns;
}

async function stillOpen(conns: RawConnection[]): Promise<number> {
  await sleep(200); // lets the server's closes arrive
  return conns.filter((c) => !c.closed()).length;
}

describe("the cap on open connections", () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("counts both ports, displaces the oldest idle connection, and never one with a call in progress", async () => {
    const server: AbuseServer = await startAbuseServer({ connections: { maxConnections: 4 } });
    cleanup.push(() => server.close());
    const watch = await openWatch(createGrpcTransport({ baseUrl: server.h2cUrl }), "");
    cleanup.push(() => watch.stop());

    const silent = await openSilent(server.port, 10);
    cleanup.push(() => silent.forEach((c) => c.socket.destroy()));
    expect(await stillOpen(silent)).toBeLessThanOrEqual(3); // the watch's connection holds the fourth place
    expect(silent.slice(-3).every((c) => !c.closed())).toBe(true); // the newest stay, the oldest went first

    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.app.health.set("", Status.NOT_SERVING);
    expect(await watch.next()).toBe(Status.NOT_SERVING); // the busy connection was never displaced
  });
});
