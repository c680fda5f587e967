import { describe, expect, it } from "vitest";
import { createEventHub } from "../../src/domain/event-hub.js";
import type { EventFeed, FeedEvent } from "../../src/domain/store.js";
import { createMemoryFeed } from "../../src/store/memory/feed.js";

/** The embedded store's feed, appended to on demand as a store does on each write, with a switch to break it. */
function createFakeFeed(opts: { retentionMs?: number } = {}) {
  let clock = 0;
  const memory = createMemoryFeed({ now: () => new Date(clock), retentionMs: opts.retentionMs ?? 1e12 });
  const sequences = new Map<string, number>();
  let up = true;
  let breakFeed: ((e: Error) => void) | undefined;
  const feed: EventFeed = {
    ...memory,
    healthy: () => up && memory.healthy(),
    subscribe(onEvents, onDown) {
      breakFeed = onDown;
      return memory.subscribe(onEvents);
    },
  };
  const append = (tenantId: string, sessionId: string, n = 1) => {
    const events = Array.from({ length: n }, () => {
      const sequence = (sequences.get(sessionId) ?? 0) + 1;
      sequences.set(sessionId, sequence);
      return { sequence, type: "SUBMISSION" as const, time: new Date(clock), state: "OPEN" as const };
    });
    memory.publish({ tenantId, id: sessionId, workflow: "w" }, events);
  };
  return {
    feed,
    append,
    advance: (ms: number) => (clock += ms),
    down: () => {
      up = false;
      breakFeed?.(new Error("stream failed"));
    },
  };
}

const c = (n: number) => String(n).padStart(16, "0");

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
    const sub = hub.subscribe("t", { afterCursor: c(2), filter: () => true, signal: ac.signal });
    const it = sub[Symbol.asyncIterator]();
    const first = await take(it, 2);
    append("t", "s", 3); // arrives while the backlog is still being read
    expect([...first, ...(await take(it, 4))]).toEqual([c(3), c(4), c(5), c(6), c(7), c(8)]);
    expect(sub.cursor).toBe(c(8));
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
    expect(await take(now[Symbol.asyncIterator](), 1)).toEqual([c(4)]);
    expect(await take(all[Symbol.asyncIterator](), 4)).toEqual([c(1), c(2), c(3), c(4)]);
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
    expect(only).toBe(c(4)); // one sequence across tenants; t1 sees only its own event
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
    expect((await fastIt.next()).value?.cursor).toBe(c(26));
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

  it("never reports a cursor past backlog events it has not delivered, even when filtered-out live events arrive", async () => {
    const { feed, append } = createFakeFeed();
    const hub = createEventHub({ feed, backlogPage: 2 });
    append("t", "a", 4); // c(1)..c(4): the backlog
    const ac = new AbortController();
    const sub = hub.subscribe("t", { afterCursor: "", filter: (e) => e.sessionId === "a", signal: ac.signal });
    const it = sub[Symbol.asyncIterator]();
    expect(await take(it, 1)).toEqual([c(1)]);
    append("t", "b", 2); // live, filtered out, while c(2)..c(4) are still to be delivered
    expect(sub.cursor).toBe(c(1));
    // Resuming from what it reports now yields exactly the rest.
    const resumed = hub.subscribe("t", { afterCursor: sub.cursor, filter: (e) => e.sessionId === "a", signal: ac.signal });
    expect(await take(resumed[Symbol.asyncIterator](), 3)).toEqual([c(2), c(3), c(4)]);
    expect(await take(it, 3)).toEqual([c(2), c(3), c(4)]);
    // Once everything is delivered and the consumer waits, a filtered-out event moves it on: nothing below is owed.
    const waiting = it.next();
    await new Promise((r) => setImmediate(r));
    append("t", "b");
    expect(sub.cursor).toBe(c(7));
    ac.abort();
    expect((await waiting).done).toBe(true);
  });

  it("refuses a cursor older than the retained feed, naming the oldest one still there", async () => {
    const { feed, append, advance } = createFakeFeed({ retentionMs: 1000 });
    const hub = createEventHub({ feed });
    append("t", "a", 2);
    advance(2000);
    append("t", "a", 1); // purges c(1) and c(2)
    const ac = new AbortController();
    const stale = hub.subscribe("t", { afterCursor: c(1), filter: () => true, signal: ac.signal });
    await expect(stale[Symbol.asyncIterator]().next()).rejects.toMatchObject({ reason: "CURSOR_EXPIRED", metadata: { oldest_cursor: c(3) } });
    const fine = hub.subscribe("t", { afterCursor: c(2), filter: () => true, signal: ac.signal });
    expect(await take(fine[Symbol.asyncIterator](), 1)).toEqual([c(3)]);
    ac.abort();
  });

  it("ends every stream with FEED_UNAVAILABLE and its resume cursor when the feed breaks, and refuses new ones while down", async () => {
    const { feed, append, down } = createFakeFeed();
    const hub = createEventHub({ feed });
    const ac = new AbortController();
    const sub = hub.subscribe("t", { afterCursor: "", filter: () => true, signal: ac.signal });
    append("t", "a", 2);
    const it = sub[Symbol.asyncIterator]();
    expect(await take(it, 2)).toEqual([c(1), c(2)]);
    down();
    await expect(it.next()).rejects.toMatchObject({ reason: "FEED_UNAVAILABLE", metadata: { resume_cursor: c(2) } });
    expect(() => hub.subscribe("t", { afterCursor: undefined, filter: () => true, signal: ac.signal })).toThrow(expect.objectContaining({ reason: "FEED_UNAVAILABLE" }));
    expect(hub.count()).toBe(0);
    ac.abort();
  });
});
