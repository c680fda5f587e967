import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { createEventHub } from "../../src/domain/event-hub.js";
import { createMemoryFeed } from "../../src/store/memory/feed.js";

/** Busy work standing in for what each delivery costs a server: mapping, encoding, framing, writing. */
const work = (us: number) => {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
};

describe("one tenant's event fan-out", () => {
  it("delivers to thousands of its streams a slice at a time, so one event does not hold the event loop", async () => {
    const feed = createMemoryFeed({ now: () => new Date(), retentionMs: 1e12 });
    const hub = createEventHub({ feed, maxSubscribersPerTenant: 10_000 });
    const stop = new AbortController();
    const streams = 4_000;
    let delivered = 0;
    const readers = Array.from({ length: streams }, async () => {
      for await (const _ of hub.subscribe("noisy", { afterCursor: undefined, filter: () => true, signal: stop.signal })) {
        work(50);
        delivered++;
      }
    });
    await new Promise((resolve) => setImmediate(resolve));

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the monitor's first tick only sets its start
    // Turns of the event loop while the deliveries run: each lets other calls' I/O and timers in.
    let turns = 0;
    const tick = () => delivered < streams && (turns++, setImmediate(tick));
    setImmediate(tick);
    feed.publish({ tenantId: "noisy", id: "s1", workflow: "w" }, [{ sequence: 1, type: "OPENED", time: new Date(), state: "OPEN" }]);
    while (delivered < streams) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the monitor records a stall on its next tick
    delay.disable();
    stop.abort();
    await Promise.all(readers);

    // 4,000 deliveries of 50 µs each used to run back to back in one turn: 200 ms with nothing else in between.
    console.info(`fan-out to ${streams} streams: ${turns} turns of the event loop, delay max ${(delay.max / 1e6).toFixed(1)} ms`);
    expect(turns).toBeGreaterThanOrEqual(streams / 8 - 2); // 8 a turn, give or take the turns the count starts and ends in
    // A slice is about 1 ms of work; the rest of the bound is room for a shared machine's own stalls.
    expect(delay.max / 1e6).toBeLessThan(150);
  });
});

describe("stream deliveries", () => {
  it("are budgeted per tenant: a noisy tenant's streams wait for its budget while another tenant's go on", async () => {
    const feed = createMemoryFeed({ now: () => new Date(), retentionMs: 1e12 });
    const hub = createEventHub({ feed, deliveries: { ratePerSecond: 1_000, burst: 100 } });
    const stop = new AbortController();
    const receive = (tenantId: string, want: number) =>
      (async () => {
        let n = 0;
        for await (const _ of hub.subscribe(tenantId, { afterCursor: undefined, filter: () => true, signal: stop.signal })) {
          if (++n === want) return performance.now();
        }
        return NaN;
      })();
    const noisy = receive("noisy", 600);
    const quiet = receive("quiet", 10);
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    const event = (sequence: number) => ({ sequence, type: "SUBMISSION" as const, time: new Date(), state: "OPEN" as const });
    feed.publish({ tenantId: "noisy", id: "n1", workflow: "w" }, Array.from({ length: 600 }, (_, i) => event(i + 1)));
    feed.publish({ tenantId: "quiet", id: "q1", workflow: "w" }, Array.from({ length: 10 }, (_, i) => event(i + 1)));
    const [noisyDone, quietDone] = await Promise.all([noisy, quiet]);
    stop.abort();
    // 100 at once, then 1,000 a second: the other 500 take about half a second.
    expect(noisyDone - started).toBeGreaterThan(400);
    expect(quietDone - started).toBeLessThan(100);
  });
});

describe("a stream waiting for its budget", () => {
  it("reports as its cursor only what it has delivered", async () => {
    const feed = createMemoryFeed({ now: () => new Date(), retentionMs: 1e12 });
    const hub = createEventHub({ feed, deliveries: { ratePerSecond: 100, burst: 1 } });
    const event = (sequence: number) => ({ sequence, type: "SUBMISSION" as const, time: new Date(), state: "OPEN" as const });
    feed.publish({ tenantId: "t", id: "s", workflow: "w" }, [event(1), event(2)]);
    const stop = new AbortController();
    const sub = hub.subscribe("t", { afterCursor: "", filter: () => true, signal: stop.signal });
    const it = sub[Symbol.asyncIterator]();
    const first = await it.next();
    const second = it.next(); // the backlog's next event waits about 10 ms for the budget
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(sub.cursor).toBe(first.value?.cursor);
    expect((await second).value?.cursor > first.value!.cursor).toBe(true);
    stop.abort();
    sub.close();
  });
});
