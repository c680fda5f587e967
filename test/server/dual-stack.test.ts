import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

/** GET /healthz over cleartext HTTP/2, the one protocol both ports speak. */
function healthz(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const req = session.request({ ":path": "/healthz" });
    req.on("response", (h) => {
      resolve(Number(h[":status"]));
      session.close();
    });
    req.on("error", reject);
    req.end();
  });
}

/** `localhost` resolves to ::1 on many systems: the default host must take IPv6 and IPv4 alike. */
describe("the default host", () => {
  let app: App;
  const ports = { main: 0, h2c: 0 };
  beforeAll(async () => {
    const { host } = loadConfig({});
    app = createApp({ store: createMemoryStore(), logger: createLogger("silent"), sweepIntervalMs: 0 });
    ports.main = (await app.server.listen(0, host)).port;
    ports.h2c = (await app.h2c.listen(0, host)).port;
  });
  afterAll(() => app.shutdown(100));

  it.each([
    ["main", "127.0.0.1"],
    ["main", "[::1]"],
    ["h2c", "127.0.0.1"],
    ["h2c", "[::1]"],
  ] as const)("accepts the %s port over %s", async (port, address) => {
    expect(await healthz(`http://${address}:${ports[port]}`)).toBe(200);
  });

  it("serves HTTP/1.1 over ::1 on the main port", async () => {
    expect((await fetch(`http://[::1]:${ports.main}/healthz`)).status).toBe(200);
  });
});

describe("a host without IPv6", () => {
  it("falls back to IPv4 when :: cannot be bound", async () => {
    const listen = net.Server.prototype.listen;
    // As on a kernel or container with IPv6 turned off: binding :: fails with EAFNOSUPPORT.
    const spy = vi.spyOn(net.Server.prototype, "listen").mockImplementation(function (this: net.Server, ...args: unknown[]) {
      const options = args[0] as net.ListenOptions;
      if (options?.host === "::") {
        process.nextTick(() => this.emit("error", Object.assign(new Error("address family not supported"), { code: "EAFNOSUPPORT" })));
        return this;
      }
      return listen.apply(this, args as Parameters<typeof listen>);
    });
    const app = createApp({ store: createMemoryStore(), logger: createLogger("silent"), sweepIntervalMs: 0 });
    try {
      const address = await app.server.listen(0, loadConfig({}).host);
      expect(address.address).toBe("0.0.0.0");
      expect(await healthz(`http://127.0.0.1:${address.port}`)).toBe(200);
    } finally {
      spy.mockRestore();
      await app.shutdown(100);
    }
  });
});
