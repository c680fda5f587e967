import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/domain/canonical-json.js";

describe("canonicalJson", () => {
  it("lists keys in sorted order at every level, however many there are", () => {
    const keys = ["b", "a", "é", "Z", "aa", "a b", "10", "9", "_", "😀", "\uffff", "ab"];
    for (const count of [0, 1, 2, 5, 12, 16, 17, 40]) {
      const names = Array.from({ length: count }, (_, i) => `${keys[i % keys.length]}${Math.floor(i / keys.length) || ""}`);
      const value = Object.fromEntries(names.map((name, i) => [name, { [name]: i, z: 1, a: [{ y: 2, x: 1 }] }]));
      const sorted = (o: Record<string, unknown>): unknown =>
        Array.isArray(o) ? o.map((x) => sorted(x as Record<string, unknown>)) : o !== null && typeof o === "object" ? Object.fromEntries(Object.keys(o).sort().map((k) => [k, sorted(o[k] as Record<string, unknown>)])) : o;
      expect(canonicalJson(value)).toBe(JSON.stringify(sorted(value)));
    }
  });
});
