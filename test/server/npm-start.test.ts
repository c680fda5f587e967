import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;

/** Whether something accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** The port of the "sessionflow listening" log line, once it is written. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += String(chunk);
      const line = out.split("\n").find((l) => l.includes('"sessionflow listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

/**
 * `npm start` runs the server as one process: a supervisor (docker, systemd, npm itself) sends
 * SIGTERM to the process it started, and that must be the server, which drains and exits 0.
 */
describe("npm start", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("is one process that releases its port and exits 0 on SIGTERM", async () => {
    // npm itself, as a developer or a supervisor runs it: SIGTERM goes to npm, which passes it on.
    child = spawn("npm", ["start", "--silent"], {
      cwd: root,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SESSIONFLOW_SHUTDOWN_GRACE_MS: "500" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await listeningPort(child);
    expect(await accepts(port)).toBe(true);

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await accepts(port)).toBe(false);
  }, 30_000);
});
