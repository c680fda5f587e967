import { forkChild } from "./ipc-child.js";

/** A benchmark target process (see server-child.ts) and a way to ask it questions. */
export interface Target {
  port: number;
  key: string;
  baseUrl: string;
  /** The HTTP/2-only port. */
  h2cBaseUrl: string;
  ask<T>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startTarget(mode: "real" | "noop"): Promise<Target> {
  const child = await forkChild<{ port: number; h2cPort: number; key: string }>(new URL("./server-child.ts", import.meta.url), [mode], ["--expose-gc"]);
  return {
    port: child.ready.port,
    key: child.ready.key,
    baseUrl: `http://127.0.0.1:${child.ready.port}`,
    h2cBaseUrl: `http://127.0.0.1:${child.ready.h2cPort}`,
    ask: child.ask,
    stop: child.stop,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

/** The identity every benchmark journey submits: name, email and phone, so each Submit runs the whole risk assessment. */
export const journeyIdentity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };

/**
 * `concurrency` callers running sign-up journeys (one creating Submit, then four continuing
 * ones) until `seconds` pass; each call's latency goes to `latencies`. A server that makes no
 * sessions (a no-op) is sent creating calls throughout.
 */
export async function runJourneys(
  submit: (req: { workflow: string; sessionId: string; identity: typeof journeyIdentity; step: string }) => Promise<{ session?: { id: string } }>,
  opts: { concurrency: number; seconds: number; continues: boolean },
  latencies: number[],
): Promise<void> {
  const end = performance.now() + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        let sessionId = "";
        for (let step = 0; step < 5; step++) {
          const started = performance.now();
          const res = await submit({ workflow: "bank-signup", sessionId, identity: journeyIdentity, step: `step-${step}` });
          latencies.push(performance.now() - started);
          sessionId = opts.continues ? res.session!.id : "";
        }
      }
    }),
  );
}
