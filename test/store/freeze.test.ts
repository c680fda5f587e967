import { describe, expect, it } from "vitest";
import { frozenCopy } from "../../src/store/freeze.js";

describe("frozenCopy", () => {
  it("copies plain data deeply, dates included, and freezes every level of the copy", () => {
    const source = { a: 1, when: new Date(5), list: [{ b: "x", c: [1, 2] }], missing: undefined, none: null };
    const copy = frozenCopy(source);
    expect(copy).toStrictEqual(source);
    expect(copy).toStrictEqual(structuredClone(source));
    expect(copy.list[0]).not.toBe(source.list[0]);
    expect(copy.when).not.toBe(source.when);
    for (const part of [copy, copy.when, copy.list, copy.list[0], copy.list[0]!.c]) expect(Object.isFrozen(part)).toBe(true);
    expect(Object.isFrozen(source.list)).toBe(false);
    source.list[0]!.b = "changed";
    expect(copy.list[0]!.b).toBe("x");
  });

  it("copies anything else as structuredClone does, and refuses functions as it does", () => {
    const source = { m: new Map([["k", { v: 1 }]]) };
    const copy = frozenCopy(source);
    expect(copy.m).not.toBe(source.m);
    expect(copy.m.get("k")).toEqual({ v: 1 });
    expect(copy.m.get("k")).not.toBe(source.m.get("k"));
    expect(() => frozenCopy({ f: () => 1 })).toThrow();
  });

  it("copies an object with many keys (a session) the same way", () => {
    const source: Record<string, unknown> = { when: new Date(5), list: [{ b: "x" }], missing: undefined, none: null, nested: { a: 1 } };
    for (let i = 0; i < 30; i++) source[`k${i}`] = i % 2 ? `v${i}` : { i };
    const copy = frozenCopy(source);
    expect(copy).toStrictEqual(source);
    expect(Object.keys(copy)).toEqual(Object.keys(source));
    expect(copy["when"]).not.toBe(source["when"]);
    expect(copy["k0"]).not.toBe(source["k0"]);
    for (const part of [copy, copy["when"], copy["list"], copy["k0"], copy["nested"]]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => frozenCopy({ ...source, f: () => 1 })).toThrow();
  });
});
