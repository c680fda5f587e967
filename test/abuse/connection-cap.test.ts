import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { bearer } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { openWatch, Status } from "./health-watch.js";
import { openRaw, sleep, type RawConnection } from "./raw-connection.js";

const root = new URL("../..", import.meta.url).pathname;

/** Opens `count` TCP connections that never send a byte. */
async function openSilent(port: number, count: number): Promise<RawConnection[]> {
  const conns: RawConnection[] = [];
  for (let i = 0; i < count; i++) conns.push(await openRaw(port));
  return conns;
}

async function stillOpen(conns: RawConnection[]): Promise<number> {
  await sleep(200); // lets the server's closes arrive
  return conns.filter((c) => !c.closed()).length;
}

describe("the cap on open connections", () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("keeps a process with 128 file descriptors answering /healthz and RPCs through 200 silent sockets", async () => {
    const secret = `sf_test_${randomBytes(16).toString("hex")}`;
    const apiKeys = [{ id: "k1", tenant: "acme", scopes: ["sessions"], sha256: createHash("sha256").update(secret).digest("hex") }];
    const child: ChildProcess = spawn("bash", ["-c", "ulimit -n 128 && exec node --import tsx src/main.ts"], {
      cwd: root,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SESSIONFLOW_MAX_CONNECTIONS: "64", SESSIONFLOW_API_KEYS: JSON.stringify(apiKeys) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup.push(() => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGKILL")))));
    const port = await new Promise<number>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "sessionflow listening" && entry.port) resolve(entry.port);
      });
    });

    const silent = await openSilent(port, 200);
    cleanup.push(() => silent.forEach((c) => c.socket.destroy()));
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) });
    expect(healthz.status).toBe(200);
    const client = createClient(SubmissionService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1", interceptors: [bearer(secret)] }));
    const created = await client.submit({ workflow: "kyc" }, { timeoutMs: 3_000 });
    expect(created.session?.id).toBeTruthy();
    expect(await stillOpen(silent)).toBeLessThanOrEqual(64);
    expect(child.exitCode).toBeNull();
  });

  it("counts both ports, displaces the oldest idle connection, and never one with a call in progress", async () => {
    const server: AbuseServer = await startAbuseServer({ connections: { maxConnections: 4 }, heartbeatMs: 100 });
    cleanup.push(() => server.close());
    // An authenticated stream: a call in progress that holds its connection.
    const stop = new AbortController();
    cleanup.push(() => stop.abort());
    const events = createClient(EventService, createGrpcTransport({ baseUrl: server.h2cUrl, interceptors: [bearer(server.key)] }));
    const stream = events.watchEvents({}, { signal: stop.signal })[Symbol.asyncIterator]();
    await stream.next(); // its first heartbeat: the stream is open

    const silent = await openSilent(server.port, 10);
    cleanup.push(() => silent.forEach((c) => c.socket.destroy()));
    expect(await stillOpen(silent)).toBeLessThanOrEqual(3); // the stream's connection holds the fourth place
    expect(silent.slice(-3).every((c) => !c.closed())).toBe(true); // the newest stay, the oldest went first

    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await stream.next()).done).toBe(false); // the busy connection was never displaced
  });

  it("lets anonymous health watches be displaced, so holding one on every connection locks nobody out", async () => {
    const server: AbuseServer = await startAbuseServer({ connections: { maxConnections: 4 } });
    cleanup.push(() => server.close());
    // A stranger's watches, each on a connection of its own, on both ports: the cap is full.
    const watches = [];
    for (const url of [server.url, server.h2cUrl, server.url, server.h2cUrl]) {
      const watch = await openWatch(createGrpcTransport({ baseUrl: url }), "");
      cleanup.push(() => watch.stop());
      watches.push(watch);
    }
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const submissions = createClient(SubmissionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.key)] }));
    expect((await submissions.submit({ workflow: "kyc" })).session?.id).toBeTruthy();
  });

  it("logs a connection it refuses because every connection has a call in progress, sampled, and counts it", async () => {
    const server: AbuseServer = await startAbuseServer({ connections: { maxConnections: 2 }, heartbeatMs: 100, logs: true });
    cleanup.push(() => server.close());
    const stop = new AbortController();
    cleanup.push(() => stop.abort());
    for (const url of [server.url, server.h2cUrl]) {
      const events = createClient(EventService, createGrpcTransport({ baseUrl: url, interceptors: [bearer(server.key)] }));
      await events.watchEvents({}, { signal: stop.signal })[Symbol.asyncIterator]().next();
    }
    const refused = await openSilent(server.port, 5);
    cleanup.push(() => refused.forEach((c) => c.socket.destroy()));
    expect(await stillOpen(refused)).toBe(0);
    const lines = server.logs().split("\n").filter((l) => l.includes("connection refused"));
    expect(lines).toHaveLength(1); // one line a minute; the rest are counted
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, maxConnections: 2 });
    stop.abort(); // the streams end, their connections go idle, and /metrics can be reached
    const refusedCount = async () => Number(/^sessionflow_connections_refused_total (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    // The five, and any scrape refused while the streams were still closing.
    await expect.poll(refusedCount, { timeout: 2_000 }).toBeGreaterThanOrEqual(5);
  });
});
