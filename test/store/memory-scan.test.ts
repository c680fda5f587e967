import { describe, expect, it } from "vitest";
import { createIdOrder } from "../../src/store/memory/id-order.js";
import { scanDown, scanSlice, scanUp } from "../../src/store/memory/scan.js";

const id = (n: number) => String(n).padStart(8, "0");

describe("the embedded store's sliced scans", () => {
  it("visit each id once and in order while ids are added and purged between slices", async () => {
    const order = createIdOrder();
    for (let n = 1000; n < 1000 + 3 * scanSlice; n++) order.add("t", id(n));
    order.add("t", id(500)); // out of order: goes in its place

    const down: string[] = [];
    await scanDown(() => order.of("t"), undefined, (v) => {
      down.push(v);
      if (down.length === scanSlice) {
        // Between slices: a newer session arrives, and a purge drops the oldest ones.
        setImmediate(() => {
          order.add("t", id(9_999_999));
          order.retain("t", (x) => x >= id(1000 + 10));
        });
      }
      return true;
    });
    expect(down).toEqual([...down].sort().reverse());
    expect(new Set(down).size).toBe(down.length);
    expect(down).not.toContain(id(9_999_999)); // above where the scan started
    expect(down.at(-1)).toBe(id(1010));

    const up: string[] = [];
    await scanUp(() => order.of("t"), id(1500), (v) => (up.push(v), up.length < 5));
    expect(up).toEqual([1501, 1502, 1503, 1504, 1505].map(id));
  });
});
