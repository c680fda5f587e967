import { describe, expect, it } from "vitest";
import { createUuidV7Generator, isUuid } from "../../src/domain/ids.js";

describe("UUIDv7 ids", () => {
  it("are version 7, RFC 9562 variant, and carry the millisecond time", () => {
    const ms = Date.UTC(2026, 2, 2, 9, 0, 0);
    const id = createUuidV7Generator(() => ms).next();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms);
  });

  it("sort in issue order even within one millisecond and when the clock steps back", () => {
    let now = 1_000_000;
    const gen = createUuidV7Generator(() => now);
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i === 2500) now -= 10; // a clock step back must not break ordering
      ids.push(gen.next());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("isUuid accepts canonical UUIDs only", () => {
    expect(isUuid("0197f665-6c88-7512-bc33-a7605d487377")).toBe(true);
    expect(isUuid("0197F665-6C88-7512-BC33-A7605D487377")).toBe(true);
    for (const bad of ["", "x", "0197f6656c887512bc33a7605d487377", "{0197f665-6c88-7512-bc33-a7605d487377}", "0197f665-6c88-7512-bc33-a7605d48737g"]) {
      expect(isUuid(bad)).toBe(false);
    }
  });
});
