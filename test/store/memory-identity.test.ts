import { describe, expect, it } from "vitest";
import type { IdentityLink } from "../../src/domain/identity-graph.js";
import { createMemoryIdentityGraph } from "../../src/store/memory/identity-links.js";

describe("the embedded identity graph's key index", () => {
  it("finds what a scan of every link finds, through replacements, ties and limits", async () => {
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const graph = createMemoryIdentityGraph();
    const all = new Map<string, IdentityLink>();
    const keyPool = ["email:a@x.io", "email:b@x.io", "phone:447700900123", "device:d1", "device:d2", "address:1 a st|ox1|gb"];
    for (let i = 0; i < 400; i++) {
      const link: IdentityLink = {
        tenantId: ["acme", "globex"][next(2)]!,
        sessionId: `s${next(30)}`,
        accountId: `acct-${next(5)}`,
        keys: keyPool.filter(() => next(3) === 0),
        approved: next(2) === 0,
        time: new Date(Date.UTC(2026, 0, 1, 0, next(20))),
      };
      await graph.upsert(link);
      all.set(`${link.tenantId}|${link.sessionId}`, structuredClone(link));
      link.keys.push("email:mutated@x.io"); // the caller's object is not the stored one
      const tenantId = ["acme", "globex"][next(2)]!;
      const keys = keyPool.filter(() => next(2) === 0);
      const limit = 1 + next(8);
      const expected = [...all.values()]
        .filter((l) => l.tenantId === tenantId && l.keys.some((k) => keys.includes(k)))
        .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.sessionId < b.sessionId ? -1 : 1))
        .slice(0, limit);
      expect(await graph.findByKeys(tenantId, keys, limit)).toEqual(expected);
    }
  });
});
