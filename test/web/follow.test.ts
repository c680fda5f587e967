import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { LifecycleEventSchema, LifecycleEventType, type LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
import { followSession, type Connection } from "../../web/shared/follow.js";

/** The page's and the console's follower, without a browser: resume after a break, no gaps, no repeats. */
const event = (sequence: number, type = LifecycleEventType.SUBMISSION) => create(LifecycleEventSchema, { sequence: BigInt(sequence), type });

/** A session's events, served by streams that break after `breakAfter` messages each. */
function flakyWatch(all: LifecycleEvent[], breakAfter: number) {
  const asked: bigint[] = [];
  return {
    asked,
    async *watch(after: bigint) {
      asked.push(after);
      // A replica may replay an event the follower already has; it must be dropped.
      const from = all.findIndex((e) => e.sequence > after);
      const rest = all.slice(Math.max(0, from - 1));
      let sent = 0;
      for (const e of rest) {
        if (sent++ === breakAfter) throw new ConnectError("network", Code.Unavailable);
        yield { event: e };
      }
    },
  };
}

describe("followSession", () => {
  it("resumes after each break from the last sequence, and delivers every event once, in order", async () => {
    const all = [1, 2, 3, 4, 5, 6].map((n) => event(n)).concat(event(7, LifecycleEventType.RESOLVED));
    const stream = flakyWatch(all, 3);
    const seen: bigint[] = [];
    const states: Connection[] = [];
    let probes = 0;
    await followSession({
      watch: (after) => stream.watch(after),
      probe: async () => void probes++,
      onEvent: (e) => seen.push(e.sequence),
      onConnection: (s) => states.push(s),
      signal: new AbortController().signal,
      backoffMs: [1],
    });
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(stream.asked).toEqual([0n, 3n, 5n]);
    expect(probes).toBe(2);
    expect(states.at(-1)).toBe("ended");
    expect(states.filter((s) => s === "lost")).toHaveLength(2);
  });

  it("keeps trying while the service cannot be reached, and says so once it answers", async () => {
    let down = 3;
    const states: Connection[] = [];
    await followSession({
      async *watch() {
        if (down-- > 0) throw new ConnectError("refused", Code.Unavailable);
        yield { event: event(1, LifecycleEventType.FAILED) };
      },
      probe: async () => {
        if (down-- > 0) throw new ConnectError("refused", Code.Unavailable);
      },
      onEvent: () => undefined,
      onConnection: (s) => states.push(s),
      signal: new AbortController().signal,
      backoffMs: [1],
    });
    expect(states[0]).toBe("lost");
    expect(states.slice(-2)).toEqual(["live", "ended"]);
  });

  it("gives up on a refusal another attempt cannot fix", async () => {
    const follow = followSession({
      async *watch() {
        yield* [];
        throw new ConnectError("gone", Code.NotFound);
      },
      probe: async () => undefined,
      onEvent: () => undefined,
      onConnection: () => undefined,
      signal: new AbortController().signal,
    });
    await expect(follow).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    const follow = followSession({
      async *watch() {
        yield* [];
        throw new ConnectError("refused", Code.Unavailable);
      },
      probe: async () => {
        throw new ConnectError("refused", Code.Unavailable);
      },
      onEvent: () => undefined,
      onConnection: () => controller.abort(),
      signal: controller.signal,
      backoffMs: [10_000],
    });
    const started = Date.now();
    await expect(follow).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
