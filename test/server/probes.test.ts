import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createApp } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

describe("readiness", () => {
  it("turns /readyz unready while the store does not answer, and ready again when it does", async () => {
    let reachable = true;
    const store = { ...createMemoryStore(), ping: async () => { if (!reachable) throw new Error("connection lost"); } };
    const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0 });
    const { port } = await app.server.listen(0, "127.0.0.1");
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
    try {
      expect(await ready()).toBe(200);
      reachable = false;
      expect(await ready()).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // alive, just not ready
      reachable = true;
      expect(await ready()).toBe(200);
    } finally {
      await app.shutdown(100);
    }
  });
});
