import { describe, expect, it } from "vitest";
import { createBudgets } from "../../src/server/budgets.js";

describe("call budgets under a flood of callers", () => {
  it("remember a bounded number of callers, and a forgotten one comes back with a full bucket, never less", () => {
    const budgets = createBudgets({ ratePerSecond: 1, burst: 2, maxCalls: 1 }, 100);
    for (let i = 0; i < 10_000; i++) budgets.admit(`caller-${i}`, 1, false, 0);
    expect(budgets.size).toBe(100);

    expect("release" in budgets.admit("caller-0", 1, false, 0)).toBe(true);
    expect("release" in budgets.admit("caller-0", 1, false, 0)).toBe(true);
    expect(budgets.admit("caller-0", 1, false, 0)).toEqual({ refused: "rate", retryAfterMs: 1000, earlyMs: 0 });
    // Back before the time it was given: the refusal says by how much.
    expect(budgets.admit("caller-0", 1, false, 400)).toEqual({ refused: "rate", retryAfterMs: 600, earlyMs: 600 });
  });

  it("spend nothing on a refused call, and free a call in progress once, however often it is released", () => {
    const budgets = createBudgets({ ratePerSecond: 1_000, burst: 10, maxCalls: 1 }, 10);
    const first = budgets.admit("t", 1, true, 0);
    expect(budgets.admit("t", 1, true, 0)).toMatchObject({ refused: "calls" });
    if (!("release" in first)) throw new Error("the first call was refused");
    first.release();
    first.release();
    const second = budgets.admit("t", 1, true, 0);
    expect("release" in second).toBe(true);
    expect(budgets.admit("t", 1, true, 0)).toMatchObject({ refused: "calls" });
  });
});
