import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

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
  const child: ChildProcess = fork(fileURLToPath(new URL("./server-child.ts", import.meta.url)), [mode], {
    execArgv: ["--import", "tsx", "--expose-gc", "--max-old-space-size=4096"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<{ port: number; h2cPort: number; key: string }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { port: number; h2cPort: number; key: string }));
    child.once("exit", (code) => reject(new Error(`target exited with ${code}`)));
  });
  return {
    port: ready.port,
    key: ready.key,
    baseUrl: `http://127.0.0.1:${ready.port}`,
    h2cBaseUrl: `http://127.0.0.1:${ready.h2cPort}`,
    ask<T>(cmd: string) {
      return new Promise<T>((resolve) => {
        const onMessage = (m: { cmd: string }) => {
          if (m.cmd !== cmd) return;
          child.off("message", onMessage);
          resolve(m as T);
        };
        child.on("message", onMessage);
        child.send({ cmd });
      });
    },
    stop() {
      return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ cmd: "exit" });
      });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
