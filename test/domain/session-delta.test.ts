import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { sessionDelta } from "../../src/domain/session-delta.js";
import type { Session } from "../../src/domain/session.js";

function random(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/** Values from a small pool, so that equal and unequal pairs both come up often. */
function value(next: () => number, depth: number): unknown {
  const primitives = [0, -0, 1, NaN, "", "a", "1", true, false, null, undefined];
  const pick = Math.floor(next() * (depth > 2 ? 3 : 8));
  switch (pick) {
    case 0:
    case 1:
    case 2:
      return primitives[Math.floor(next() * primitives.length)];
    case 3:
      return new Date(Math.floor(next() * 3));
    case 4: {
      const list = Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
      if (next() < 0.1) list.length += 1; // a hole
      return list;
    }
    case 5:
      return Object.assign(Object.create(null) as object, { a: value(next, depth + 1) });
    default: {
      const out: Record<string | symbol, unknown> = {};
      for (const key of ["a", "b", "c"]) if (next() < 0.5) out[key] = value(next, depth + 1);
      if (next() < 0.05) out[Symbol.for("s")] = 1;
      return out;
    }
  }
}

describe("sessionDelta", () => {
  it("sets a changed field exactly when isDeepStrictEqual tells the old and new values apart", () => {
    let changed = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const next = random(seed);
      const before = value(next, 0);
      const after = next() < 0.5 ? structuredClone(before) : value(next, 0);
      if (after === undefined) continue; // an unset field, not a changed one
      const delta = sessionDelta({ risk: before } as unknown as Session, { risk: after } as unknown as Session);
      // An identical value (=== first, so 0 and -0 too) is never compared further.
      const expected = before !== after && !isDeepStrictEqual(before, after);
      if (expected) changed++;
      expect("risk" in delta.set, `seed ${seed}`).toBe(expected);
    }
    expect(changed).toBeGreaterThan(1000);
    expect(changed).toBeLessThan(4000);
  });
});
