import { describe, expect, it } from "vitest";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import { createSession, sealChange } from "../../src/domain/stitching.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

/**
 * The embedded store forgets what MongoDB's TTL indexes would delete, on their schedule: sessions
 * past their retention (with their request ids, link and replacement entries) and old feed
 * events. Without it, abandoned sessions and the feed grew for the life of the process.
 */
describe("embedded store retention", () => {
  it("purges sessions past their retention with every index entry, and feed events past theirs", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const store = createMemoryStore({ now: () => now, sessionRetentionMs: 30 * 86_400_000, eventRetentionMs: 7 * 86_400_000 });
    const make = (id: string, extra = {}) =>
      sealChange(
        { ...createSession({ tenantId: "acme", id, workflow: "w", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy }, now), ...extra },
        { requestId: `r-${id}`, fingerprint: "", procedure: "/p", principal: "key:k", provided: {} },
        {},
        now,
      );
    const old = make("0197f665-6c88-7512-bc33-000000000001", { linkTokenHash: "h-old", linkVersion: 1 });
    await store.sessions.insert(old);
    const [oldEvent] = await store.events.read("acme", undefined, undefined, 10);
    now = new Date(now.getTime() + 10 * 86_400_000);
    const young = make("0197f665-6c88-7512-bc33-000000000002", { replaces: old.id });
    await store.sessions.insert(young);

    expect(store.purge()).toBe(0); // neither is 30 days old yet
    expect((await store.events.read("acme", undefined, undefined, 10)).map((e) => e.sessionId)).toEqual([young.id]); // the old event is 10 days old
    expect(await store.events.checkResumable("acme", oldEvent!.cursor)).toBeUndefined(); // it was the newest purged: nothing lost after it
    now = new Date(now.getTime() + 25 * 86_400_000);
    expect(store.purge()).toBe(1);
    expect(await store.sessions.get("acme", old.id)).toBeUndefined();
    expect(await store.sessions.findByRequestId("acme", `r-${old.id}`)).toBeUndefined();
    expect(await store.sessions.findByLinkTokenHash("h-old")).toBeUndefined();
    expect((await store.sessions.get("acme", young.id))?.replaces).toBe(old.id);
    expect(await store.events.read("acme", undefined, undefined, 10)).toEqual([]);
    await store.close();
  });
});
