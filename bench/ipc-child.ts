import { fork } from "node:child_process";

/** A benchmark process forked with tsx, answering commands over IPC (see noisy-server.ts, noisy-load.ts). */
export interface IpcChild<Ready> {
  ready: Ready;
  pid: number;
  ask<T>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

export async function forkChild<Ready>(script: URL, args: string[], execArgv: string[] = []): Promise<IpcChild<Ready>> {
  const child = fork(script, args, {
    execArgv: ["--import", "tsx", "--max-old-space-size=4096", ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("message", (m) => resolve(m as Ready));
    child.once("exit", (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
  });
  return {
    ready,
    pid: child.pid!,
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
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.send({ cmd: "exit" });
      });
    },
  };
}
