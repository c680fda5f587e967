/**
 * The server's single timeline. Each operation is due at the moment it reaches the server
 * (its issue time plus a random latency) and runs there, synchronously and alone, so a write
 * is applied atomically at its commit moment and a read sees exactly what has committed by
 * then. Operations run in order of due time (ties in issue order), so with random latencies
 * a write issued later can commit first, as it can against a real replica set.
 */
export interface CommitQueue {
  /** Runs `run` `delayMs` from now; 0 still runs later (on a macrotask), never synchronously. */
  schedule(delayMs: number, run: () => void): void;
  /** Operations scheduled and not yet run. */
  readonly pending: number;
  /**
   * Milliseconds spent running operations: the server's own work, which a benchmark of the
   * service (whose process also hosts this fake) subtracts from what it measures.
   */
  readonly busyMs: number;
}

interface Entry {
  due: number;
  seq: number;
  run: () => void;
}

export function createCommitQueue(now: () => number = () => performance.now()): CommitQueue {
  // Sorted by (due, seq); short in practice, so a linear insert is enough.
  const entries: Entry[] = [];
  let seq = 0;
  let timer: { cancel(): void; due: number } | undefined;
  let busyMs = 0;

  function arm() {
    const head = entries[0];
    if (!head) return;
    if (timer && timer.due <= head.due) return;
    timer?.cancel();
    const wait = head.due - now();
    if (wait <= 0) {
      const handle = setImmediate(fire);
      timer = { cancel: () => clearImmediate(handle), due: head.due };
    } else {
      // Timers have millisecond granularity and may fire a little early; fire() re-arms if so.
      const handle = setTimeout(fire, Math.ceil(wait));
      timer = { cancel: () => clearTimeout(handle), due: head.due };
    }
  }

  function fire() {
    timer = undefined;
    const t = now();
    while (entries[0] && entries[0].due <= t) {
      const entry = entries.shift()!;
      const started = performance.now();
      try {
        entry.run();
      } catch (e) {
        // An operation reports its own errors to its caller; one that throws here is a bug in the fake.
        queueMicrotask(() => {
          throw e;
        });
      } finally {
        busyMs += performance.now() - started;
      }
    }
    arm();
  }

  return {
    schedule(delayMs, run) {
      const entry = { due: now() + Math.max(0, delayMs), seq: seq++, run };
      let i = entries.length;
      while (i > 0 && entries[i - 1]!.due > entry.due) i--;
      entries.splice(i, 0, entry);
      arm();
    },
    get pending() {
      return entries.length;
    },
    get busyMs() {
      return busyMs;
    },
  };
}
