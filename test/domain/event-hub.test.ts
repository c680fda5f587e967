import { describe, expect, it } from "vitest";
import { createEventHub } from "../../src/domain/event-hub.js";
import type { EventFeed, FeedEvent } from "../../src/store/store.js";

/** A feed that appends on demand, like a store does on each write. */
function createFakeFeed() {
  const log = new Map<string, FeedEvent[]>();
  const listeners = new Set<(e: readonly FeedEvent[]) => void>();
  const feed: EventFeed = {
    async read(tenantId, after, limit) {
      const all = log.get(tenantId) ?? [];
      const start = after === undefined ? 0 : Number(after);
      return all.slice(start, start + limit);
    },
    async head(tenantId) {
      const n = log.get(tenantId)?.length ?? 0;
      return n ? String(n).padStart(4, "0") : undefined;
    },
    isCursor: (v) => /^\d{4}$/.test(v),
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const append = (tenantId: string, sessionId: string, n = 1) => {
    const all = log.get(tenantId) ?? [];
    log.set(tenantId, all);
    const added: FeedEvent[] = [];
    for (let i = 0; i < n; i++) {
      added.push({
        tenantId,
        sessionId,
        workflow: "w",
        cursor: String(all.length + 1).padStart(4, "0"),
        event: { sequence: all.length + 1, type: "SUBMISSION", time: new Date(0), state: "OPEN" },
      });
      all.push(added.at(-1)!);
    }
    for (const l of listeners) l(added);
  };
  return { feed, append };
}

async function take(it: AsyncIterator<FeedEvent>, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.cursor);
  }
  return out;
}

describe("event hub", () => {
  it("replays the backlog after a cursor, then live events, each exactly once and in order", async () => {
    const { feed, append } = createFakeFeed();
    const hub = createEventHub({ feed, backlogPage: 2 });
    append("t", "s", 5);
    const ac = new AbortController();
    const sub = hub.subscribe("t", { afterCursor: "0002", filter: () => true, signal: ac.signal });
    const it = sub[Symbol.asyncIterator]();
    const first = await take(it, 2);
    append("t", "s", 3); // arrives while the backlog is still being read
    expect([...first, ...(await take(it, 4))]).toEqual(["0003", "0004", "0005", "0006", "0007", "0008"]);
    expect(sub.cursor).toBe("0008");
    ac.abort();
    expect((await it.next()).done).toBe(true);
    expect(hub.count()).toBe(0);
  });

  it("starts from now, or from the beginning, and filters", async () => {
    const { feed, append } = createFakeFeed();
    const hub = createEventHub({ feed });
    append("t", "a", 2);
    const ac = new AbortController();
    const now = hub.subscribe("t", { afterCursor: undefined, filter: (e) => e.sessionId === "b", signal: ac.signal });
    const all = hub.subscribe("t", { afterCursor: "", filter: () => true, signal: ac.signal });
    append("t", "a");
    append("t", "b");
    expect(await take(now[Symbol.asyncIterator](), 1)).toEqual(["0004"]);
    expect(await take(all[Symbol.asyncIterator](), 4)).toEqual(["0001", "0002", "0003", "0004"]);
    ac.abort();
  });

  it("keeps tenants apart", async () => {
    const { feed, append } = createFakeFeed();
    const hub = createEventHub({ feed });
    const ac = new AbortController();
    const sub = hub.subscribe("t1", { afterCursor: undefined, filter: () => true, signal: ac.signal });
    append("t2", "x", 3);
    append("t1", "y");
    const [only] = await take(sub[Symbol.asyncIterator](), 1);
    expect(only).toBe("0001");
    ac.abort();
  });

  it("cuts off a subscriber that falls too far behind, without holding up the others", async () => {
    const { feed, append } = createFakeFeed();
    const hub = createEventHub({ feed, maxQueue: 10 });
    const ac = new AbortController();
    const slow = hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal: ac.signal });
    const fast = hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal: ac.signal });
    const slowIt = slow[Symbol.asyncIterator]();
    const fastIt = fast[Symbol.asyncIterator]();
    expect(await take(slowIt, 0)).toEqual([]);
    for (let i = 0; i < 25; i++) {
      append("t", "s");
      await fastIt.next(); // the fast one keeps up
    }
    await expect(slowIt.next()).rejects.toMatchObject({ reason: "SUBSCRIBER_TOO_SLOW" });
    append("t", "s");
    expect((await fastIt.next()).value?.cursor).toBe("0026");
    ac.abort();
  });

  it("bounds open subscriptions per tenant and frees the slot on close", () => {
    const { feed } = createFakeFeed();
    const hub = createEventHub({ feed, maxSubscribersPerTenant: 2 });
    const signal = new AbortController().signal;
    const a = hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal });
    hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal });
    expect(() => hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal })).toThrow(expect.objectContaining({ reason: "TOO_MANY_STREAMS" }));
    hub.subscribe("u", { afterCursor: undefined, filter: () => true, signal });
    a.close();
    hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal });
    expect(hub.count("t")).toBe(2);
  });
});
