import { Code, ConnectError } from "@connectrpc/connect";
import type { LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";

/** What a follower tells its screen about the stream. */
export type Connection = "live" | "lost" | "ended";

export interface FollowOptions {
  /** Opens WatchSession after the given sequence. */
  watch(afterSequence: bigint, signal: AbortSignal): AsyncIterable<{ event?: LifecycleEvent }>;
  /**
   * A cheap unary call made before reopening a lost stream. The server sends a stream's headers
   * with its first message, so a quiet session's new stream says nothing; the probe's answer is
   * what shows the service can be reached again.
   */
  probe(signal: AbortSignal): Promise<unknown>;
  onEvent(event: LifecycleEvent): void;
  onConnection(state: Connection): void;
  signal: AbortSignal;
  /** Delays between attempts after a lost connection; the last repeats. */
  backoffMs?: readonly number[];
}

/** Refusals a new attempt cannot fix: the session is gone, or the credentials no longer reach it. */
const permanent = new Set([Code.NotFound, Code.PermissionDenied, Code.Unauthenticated, Code.InvalidArgument, Code.FailedPrecondition, Code.OutOfRange]);

const terminal = new Set([LifecycleEventType.RESOLVED, LifecycleEventType.FAILED]);

/**
 * Follows one session's lifecycle events until its terminal event: when the stream breaks (a
 * lost network, a restarting replica) it opens a new one after the last sequence it saw, so
 * nothing is missed and nothing is shown twice (SPEC §2). Rejects on a permanent refusal.
 */
export async function followSession(opts: FollowOptions): Promise<void> {
  const backoff = opts.backoffMs ?? [250, 500, 1000, 2000, 4000];
  let last = 0n;
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      let live = false;
      const opened = () => {
        if (live) return;
        live = true;
        failures = 0;
        opts.onConnection("live");
      };
      if (failures > 0) {
        await opts.probe(opts.signal);
        opened();
      }
      for await (const { event } of opts.watch(last, opts.signal)) {
        opened();
        if (!event || event.sequence <= last) continue;
        last = event.sequence;
        opts.onEvent(event);
        if (terminal.has(event.type)) {
          opts.onConnection("ended");
          return;
        }
      }
      // A stream that ends before the terminal event was cut short (a replica shutting down).
    } catch (e) {
      if (opts.signal.aborted) return;
      const error = ConnectError.from(e);
      if (permanent.has(error.code)) throw error;
    }
    opts.onConnection("lost");
    await sleep(backoff[Math.min(failures++, backoff.length - 1)]!, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
