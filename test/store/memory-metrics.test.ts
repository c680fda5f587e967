import { describe, expect, it } from "vitest";
import { runInCall } from "../../src/domain/call-scope.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { scanSlice } from "../../src/store/memory/scan.js";
import { crowd } from "../support/crowd.js";

/** The embedded store's metrics scan shares the event loop and stops once its call is no longer wanted. */
describe("the embedded store's metrics scan", () => {
  const until = new Date("2026-03-10T00:00:00Z");
  const query = { start: new Date("2026-03-01T00:00:00Z"), end: until, interval: "DAY" as const, now: until };

  it("lets other work run between slices, and stops at the next slice once its deadline has passed", async () => {
    const store = createMemoryStore();
    await crowd(store, "acme", 4 * scanSlice, until);
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const counted = await store.sessions.tallyMetrics("acme", query);
    done = true;
    expect(counted.total[0]).toBe(4 * scanSlice);
    expect(turns).toBeGreaterThanOrEqual(3); // one turn between each two of the four slices

    const passed = new Error("deadline passed");
    let asked = 0;
    const scope = { stopReason: () => (++asked > 1 ? passed : undefined) };
    await expect(runInCall(scope, () => store.sessions.tallyMetrics("acme", query))).rejects.toBe(passed);
    expect(asked).toBe(2);
    await store.close();
  });
});
