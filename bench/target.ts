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
