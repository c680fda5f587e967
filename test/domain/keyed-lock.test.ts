import { describe, expect, it } from "vitest";
import { createKeyedLock } from "../../src/domain/keyed-lock.js";

describe("keyed lock", () => {
  it("runs tasks of one key one at a time in order, other keys in parallel, and forgets idle keys", async () => {
    const lock = createKeyedLock();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([lock.run("a", task("a1", 10)), lock.run("a", task("a2", 1)), lock.run("b", task("b1", 1))]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    await new Promise((r) => setTimeout(r, 0));
    expect(lock.size).toBe(0);
  });

  it("keeps going after a task fails", async () => {
    const lock = createKeyedLock();
    await expect(lock.run("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.run("k", async () => "next")).resolves.toBe("next");
  });
});
